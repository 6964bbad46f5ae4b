"""Reference numbers for sovra's dependency indicators, computed independently with numpy and full inverses.

Usage: python dump.py OUT WHEEL PYMRIO_DUMP
  WHEEL        the sanction-simulator 0.1.4 wheel (icio2022 is built from its bench_cache.npz)
  PYMRIO_DUMP  the pymrio conformance dump directory (its wiod2011/input is pymrio's save_all of WIOD 2011);
               the WIOD case is skipped when it is missing.

Every indicator is computed from its textbook definition with explicit inverses, deliberately not the way
sovra computes it (sovra never forms an inverse, and uses Leontief forms where this uses Ghosh ones):
  L = (I - A)^-1; nu = v / x
  value added from them     w_j  = sum_{i in T} nu_i L_ij                 (row-vector product with full L)
  via third countries       w_j - sum_{i in T} nu_i (I - A_SS)^-1_ij        S = us + them
  value added from us       sum_{i in U} nu_i L_ij
  direct input share        sum_{i in T} Z_ij / sum_i Z_ij; of output: / x_j
  HHI, top foreign supplier over origin countries != own country of column j's inputs
  sales direct              (sum_{k in T} Z_jk + sum_{d in T} Y_jd) / x_j
  sales total               (I - B_NN)^-1 (B_NT 1 + x^-1 Y_NT 1), B = x^-1 Z, N = not them   (Ghosh form)
  keys                      g_j = sum_{k in U} G_jk with G = (I - B)^-1 formed in full; E_j = m_j g_j
Nodes of us without output get NaN.

TiVA (per country c, global L, e_d exports of d, y_d final demand of destination d):
  VAX[c, d] = sum_{i in c} nu_i (L e_d)_i; EXGR_DVA = VAX[c, c]; EXGR_FVA = sum_{o != c} VAX[o, c];
  EXGR_DVAFX = sum_{d != c} VAX[c, d]; FFD_DVA / DFD_FVA likewise with y_d; the same on intermediate
  exports only (EXGR_INT...), which is all icio2022 allows (no final demand by destination).
"""
import io
import json
import os
import sys
import zipfile

import numpy as np

EU27 = "AUT BEL BGR HRV CYP CZE DNK EST FIN FRA DEU GRC HUN IRL ITA LVA LTU LUX MLT NLD POL PRT ROU SVK SVN ESP SWE".split()
ICIO_CASES = {
    "deu_chn": (["DEU"], ["CHN"]),
    "eu27_brics": (EU27, "ARE BRA CHN EGY IDN IND RUS ZAF".split()),
    "usmca_chn_rus": (["USA", "CAN", "MEX"], ["CHN", "RUS"]),
    "eaeu_g7": (["RUS", "BLR", "KAZ"], "CAN DEU FRA GBR ITA JPN USA".split()),
}
WIOD_CASES = {
    "deu_chn": (["DEU"], ["CHN"]),
    "usa_bric": (["USA"], ["CHN", "RUS", "IND", "BRA"]),
    "eu_chn_rus": ([c for c in EU27 if c != "HRV"] , ["CHN", "RUS"]),
}


def icio2022(wheel):
    with zipfile.ZipFile(wheel) as w:
        npz = np.load(io.BytesIO(w.read("sanction_simulator/data/bench_cache.npz")))
        A, omb, s, fu = npz["A"], npz["omb"], npz["s"], npz["z"]
        countries = [str(c) for c in npz["countries"]]
        sectors = [str(c) for c in npz["sectors"]]
    nc, ns = len(countries), len(sectors)
    # sector-major (sector * nc + country) -> region-major (country * ns + sector)
    perm = np.array([(i % ns) * nc + i // ns for i in range(nc * ns)])
    A = A[np.ix_(perm, perm)]
    s, omb, fu = s[perm], omb[perm], fu[perm]
    Z = A * (omb * s)[None, :]
    x = s.copy()
    v = s * (1 - omb)
    Y = fu[:, None]
    return dict(Z=Z, Y=Y, x=x, v=v, regions=countries, sectors=sectors, fd_regions=None)


def wiod(input_dir):
    import pymrio
    mrio = pymrio.load_all(input_dir)
    Z = mrio.Z.to_numpy()
    Y = mrio.Y.to_numpy()
    x = Z.sum(axis=1) + Y.sum(axis=1)
    v = x - Z.sum(axis=0)
    regions = list(mrio.get_regions())
    sectors = list(mrio.get_sectors())
    fd_regions = [r for r, _ in mrio.Y.columns]
    return dict(Z=Z, Y=Y, x=x, v=v, regions=regions, sectors=sectors, fd_regions=fd_regions)


def indicators(t, us, them):
    Z, Y, x, v = t["Z"], t["Y"], t["x"], t["v"]
    regions, ns = t["regions"], len(t["sectors"])
    n = len(x)
    reg_of = np.repeat(np.arange(len(regions)), ns)
    ui = [regions.index(c) for c in us]
    ti = [regions.index(c) for c in them]
    U = np.isin(reg_of, ui)
    T = np.isin(reg_of, ti)
    S = U | T
    N = ~T
    safe_x = np.where(x > 0, x, 1.0)
    A = Z / safe_x[None, :] * (x > 0)[None, :]
    nu = np.where(x > 0, v / safe_x, 0.0)
    L = np.linalg.inv(np.eye(n) - A)
    w_t = nu[T] @ L[T, :]
    w_u = nu[U] @ L[U, :]
    LS = np.linalg.inv(np.eye(S.sum()) - A[np.ix_(S, S)])
    w_cut = np.zeros(n)
    w_cut[S] = nu[S & T] @ LS[T[S], :]
    inputs = Z.sum(axis=0)
    from_them = Z[T, :].sum(axis=0)
    # sales
    if t["fd_regions"] is not None:
        fd_t = np.isin(np.array([regions.index(r) for r in t["fd_regions"]]), ti)
        y_t = Y[:, fd_t].sum(axis=1)
    else:
        y_t = np.zeros(n)
    sold = Z[:, T].sum(axis=1) + y_t
    B = Z / safe_x[:, None] * (x > 0)[:, None]
    GNN = np.linalg.inv(np.eye(N.sum()) - B[np.ix_(N, N)])
    sales_total = np.zeros(n)
    sales_total[N] = GNN @ (B[np.ix_(N, T)].sum(axis=1) + y_t[N] / safe_x[N])
    G = np.linalg.inv(np.eye(n) - B)
    g = G[:, U].sum(axis=1)
    m = from_them
    out = {k: [] for k in ["direct_input_share", "direct_output_share", "value_added_from_them",
                           "via_third_countries", "value_added_from_us", "foreign_supplier_hhi",
                           "top_foreign_supplier_share", "sales_direct", "sales_total",
                           "keys_forward_multiplier", "keys_exposed_output"]}
    top = []
    for j in np.where(U)[0]:
        if x[j] <= 0:
            for k in out:
                out[k].append(np.nan)
            top.append("")
            continue
        home = reg_of[j]
        by_origin = np.bincount(reg_of, weights=Z[:, j], minlength=len(regions))
        foreign = [(c, f) for c, f in enumerate(by_origin) if c != home and f > 0]
        tot = sum(f for _, f in foreign)
        if tot > 0:
            hhi = sum((f / tot) ** 2 for _, f in foreign)
            c, f = max(foreign, key=lambda cf: cf[1])
            top.append(regions[c])
            top_share = f / tot
        else:
            hhi, top_share = 0.0, 0.0
            top.append("")
        out["direct_input_share"].append(from_them[j] / inputs[j] if inputs[j] > 0 else 0.0)
        out["direct_output_share"].append(from_them[j] / x[j])
        out["value_added_from_them"].append(w_t[j])
        out["via_third_countries"].append(w_t[j] - w_cut[j])
        out["value_added_from_us"].append(w_u[j])
        out["foreign_supplier_hhi"].append(hhi)
        out["top_foreign_supplier_share"].append(top_share)
        out["sales_direct"].append(sold[j] / x[j])
        out["sales_total"].append(sales_total[j])
        out["keys_forward_multiplier"].append(g[j])
        out["keys_exposed_output"].append(m[j] * g[j])
    return {k: np.array(v_) for k, v_ in out.items()}, top


def tiva(t):
    Z, Y, x, v = t["Z"], t["Y"], t["x"], t["v"]
    regions, ns = t["regions"], len(t["sectors"])
    n, nr = len(x), len(regions)
    reg_of = np.repeat(np.arange(nr), ns)
    safe_x = np.where(x > 0, x, 1.0)
    A = Z / safe_x[None, :] * (x > 0)[None, :]
    nu = np.where(x > 0, v / safe_x, 0.0)
    L = np.linalg.inv(np.eye(n) - A)
    own = reg_of[:, None] == np.arange(nr)[None, :]          # n x nr: node i belongs to region c
    foreign_col = reg_of[:, None] != reg_of[None, :]          # Z_jk with k abroad
    e_int = (Z * foreign_col).sum(axis=1)                    # intermediate exports of each node
    E_int = own * e_int[:, None]                             # n x nr, column d = e_int of region d
    VAint = (own * nu[:, None]).T @ (L @ E_int)              # nr x nr
    out = {"EXGR_INT": E_int.sum(axis=0), "EXGR_INT_DVA": np.diag(VAint),
           "EXGR_INT_FVA": VAint.sum(axis=0) - np.diag(VAint), "EXGR_INT_DVAFX": VAint.sum(axis=1) - np.diag(VAint)}
    if t["fd_regions"] is not None:
        dest = np.array([regions.index(r) for r in t["fd_regions"]])
        Yd = Y @ (dest[:, None] == np.arange(nr)[None, :])   # n x nr final demand by destination
        y_exp = (Yd * ~own).sum(axis=1)                      # final exports of each node
        E = own * (e_int + y_exp)[:, None]
        VAX = (own * nu[:, None]).T @ (L @ E)
        VAFD = (own * nu[:, None]).T @ (L @ Yd)
        exgr = E.sum(axis=0)
        fva = VAX.sum(axis=0) - np.diag(VAX)
        dvafx = VAX.sum(axis=1) - np.diag(VAX)
        out.update({"EXGR": exgr, "EXGR_DVA": np.diag(VAX), "EXGR_FVA": fva, "EXGR_FVASH": fva / exgr,
                    "EXGR_DVAFX": dvafx, "GVC_forward": dvafx / exgr, "GVC_total": (fva + dvafx) / exgr,
                    "FFD_DVA": VAFD.sum(axis=1) - np.diag(VAFD), "DFD_FVA": VAFD.sum(axis=0) - np.diag(VAFD)})
    return out


def dump(t, name, cases, out):
    d = os.path.join(out, name, "tiva")
    os.makedirs(d, exist_ok=True)
    tv = tiva(t)
    for k, a in tv.items():
        np.save(os.path.join(d, k + ".npy"), a)
    print(f"{name}/tiva: {sorted(tv)}")
    for case, (us, them) in cases.items():
        us = [c for c in us if c in t["regions"]]
        them = [c for c in them if c in t["regions"]]
        d = os.path.join(out, name, case)
        os.makedirs(d, exist_ok=True)
        arrays, top = indicators(t, us, them)
        for k, a in arrays.items():
            np.save(os.path.join(d, k + ".npy"), a)
        with open(os.path.join(d, "case.json"), "w") as f:
            json.dump({"dataset": name, "us": us, "them": them, "top_foreign_supplier": top,
                       "numpy": np.__version__}, f)
        print(f"{name}/{case}: us {len(us)} regions, them {len(them)}; "
              f"max value added from them {np.nanmax(arrays['value_added_from_them']):.4f}")


def main():
    out, wheel, pymrio_dump = sys.argv[1], sys.argv[2], sys.argv[3]
    dump(icio2022(wheel), "icio2022", ICIO_CASES, out)
    wiod_input = os.path.join(pymrio_dump, "wiod2011", "input")
    if os.path.isdir(wiod_input):
        dump(wiod(wiod_input), "wiod2011", WIOD_CASES, out)
    else:
        print(f"NOTICE: {wiod_input} not found (no WIOD data beside the clone): the WIOD 2011 cases are skipped")


if __name__ == "__main__":
    main()
