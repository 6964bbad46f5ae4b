"""Reference numbers for `sovra monitor` and `sovra decompose`, computed independently with numpy and dense
inverses from the textbook definitions of docs/monitoring.md, on the real WIOD 2013 series (1995-2011).

Usage: python dump.py OUTDIR WIOD_DIR
  WIOD_DIR  folder of wiod2013_YYYY.csv.gz (../shared/data/wiod2013)
Writes OUTDIR/kpis.json and OUTDIR/decompose.json (full float precision, undefined values as null).

Reading (the data convention, the same as sovra's reader; not part of the analysis being checked):
  regions and sectors in the order of their first appearance in the header's node columns CCC_cN, nodes
  region-major (region * 35 + sector), rows looked up by label; ROM is renamed ROU; cells kept as published
  (negative final demand included), the published GO column ignored. Cleaning, repeated until nothing changes:
  node i is bad when its sales (Z row sum + Y row sum) are < 0, or <= 0 while its Z column sum is not 0; the
  Z row, Z column and Y row of every bad node found in a pass are set to 0. Then
  x = Z1 + Y1, v = x - Z'1, nu = v / x (0 where x = 0), A = Z diag(x)^-1 (0 columns where x = 0),
  L = inv(I - A) (dense, on purpose: sovra never forms an inverse). A final-demand column's destination is
  its CCC prefix.

KPIs (per year, scope G = all of us or one region of us, product set P = all sectors or one):
  Q   = sum x over r(i) in G, s(i) in P
  M   = sum over r(i) not in G, s(i) in P of (Z row into G + Y columns with destination in G);  M_T: r(i) in T
  X   = sum over r(i) in G, s(i) in P of (Z row out of G + Y columns with destination not in G)
  Q - X + M, M / (Q - X + M), Q / (Q - X + M)  (ratios null when Q - X + M <= 0); M_T / M
  direct input share  = inputs of GP bought from T / all inputs of GP  (GP = nodes of G with sector in P)
  va_from_them        = sum_GP x_j w_j / sum_GP x_j, w = nu_T' L
  va_via_third        = the same with w - w', w' = nu_T' inv(I - A_SS) over S = U + T (U, T the whole us
                        and them, also for a one-region scope)
  foreign_supplier_hhi over origin regions not in G of the intermediate inputs of GP
  fva_final_demand    D = w' f, f_k = sum of Y_kd over destinations d in G for s(k) in P (else 0);
  fva_final_demand_share = D / sum f
Structural decomposition of D = nu_T' L f (G = U, P = all), f the final demand of U: six effects from the
average of the two polar decompositions, A = S o Abar (technology Abar by product, import sourcing S),
f = F m o sigma (level, product mix, final-demand sourcing); by sector = by the product k of f; --chain sums
the consecutive pairs. The six effects are checked to add up to D1 - D0 (1e-9 relative).
"""
import gzip
import io
import json
import os
import re
import sys
import time

import numpy as np

YEARS = list(range(1995, 2012))
FD_CATEGORIES = ("HFCE", "NPISH", "GGFC", "GFCF", "INVEN")
RENAME = {"ROM": "ROU"}
KPI_KEYS = ["output", "imports", "exports", "apparent_consumption", "import_penetration", "self_sufficiency",
            "imports_from_them", "imports_from_them_share", "direct_input_share", "va_from_them",
            "va_via_third", "foreign_supplier_hhi", "fva_final_demand", "fva_final_demand_share"]
EFFECTS = ["va_coefficients", "technology", "import_sourcing", "fd_level", "fd_mix", "fd_sourcing"]
KPI_CASES = [(["RUS"], ["DEU", "FRA", "ITA", "GBR", "POL"]), (["DEU"], ["CHN"]),
             (["USA"], ["CHN", "JPN", "KOR"]), (["DEU", "FRA", "ITA"], ["CHN"])]
DECOMPOSE_CASES = [(["RUS"], ["CHN"], 1995, 2011, False), (["DEU"], ["CHN"], 2000, 2008, False),
                   (["USA"], ["CHN", "JPN", "KOR"], 1995, 2011, False),
                   (["DEU", "FRA", "ITA"], ["CHN"], 1995, 2011, False), (["RUS"], ["CHN"], 1995, 2011, True)]
NODE = re.compile(r"^(.+)_(c\d+)$")


class Year:
    """One year of WIOD 2013, read and cleaned; L, the sector aggregates and the sourcing shares on demand."""

    def __init__(self, path):
        with gzip.open(path, "rt") as fh:
            lines = fh.read().splitlines()
        header = lines[0].split(",")
        regions, sectors, node_col, fd_cols, fd_dest = [], [], {}, [], []
        for k, h in enumerate(header[1:]):
            m = NODE.match(h)
            if m:
                r, s = m.groups()
                if r not in regions:
                    regions.append(r)
                if s not in sectors:
                    sectors.append(s)
                node_col[(r, s)] = k
            elif h == "GO":
                continue
            else:
                r, _, cat = h.rpartition("_")
                if cat not in FD_CATEGORIES:
                    raise ValueError(f"{path}: unknown column {h}")
                fd_cols.append(k)
                fd_dest.append(RENAME.get(r, r))
        labels, body = [], []
        for line in lines[1:]:
            if not line:
                continue
            c = line.index(",")
            labels.append(line[:c])
            body.append(line[c + 1:])
        data = np.loadtxt(io.StringIO("\n".join(body)), delimiter=",", ndmin=2)
        row_of = {lab: k for k, lab in enumerate(labels)}
        nodes = [(r, s) for r in regions for s in sectors]
        rows = np.array([row_of[f"{r}_{s}"] for r, s in nodes])
        cols = np.array([node_col[rs] for rs in nodes])
        Z = data[np.ix_(rows, cols)]
        Y = data[np.ix_(rows, np.array(fd_cols))]
        while True:                                   # cleaning, iterated until nothing changes
            sales = Z.sum(axis=1) + Y.sum(axis=1)
            bad = (sales < 0) | ((sales <= 0) & (Z.sum(axis=0) != 0))
            if not bad.any():
                break
            Z[bad, :] = 0.0
            Z[:, bad] = 0.0
            Y[bad, :] = 0.0
        self.regions = [RENAME.get(r, r) for r in regions]
        self.sectors = sectors
        self.nr, self.ns = len(regions), len(sectors)
        self.n = self.nr * self.ns
        self.reg = np.repeat(np.arange(self.nr), self.ns)
        self.sec = np.tile(np.arange(self.ns), self.nr)
        self.ydest = np.array([self.regions.index(r) for r in fd_dest])
        self.Z, self.Y = Z, Y
        self.x = Z.sum(axis=1) + Y.sum(axis=1)
        self.v = self.x - Z.sum(axis=0)
        pos = self.x != 0
        safe = np.where(pos, self.x, 1.0)
        self.nu = np.where(pos, self.v / safe, 0.0)
        self.A = Z / safe[None, :] * pos[None, :]
        self.zreg = Z.reshape(self.nr, self.ns, self.n).sum(axis=1)     # inputs by origin region
        self.zrow, self.yrow, self.zcol = Z.sum(axis=1), Y.sum(axis=1), Z.sum(axis=0)
        self._L = self._Abar = self._S = None
        self._them = {}

    @property
    def L(self):
        if self._L is None:
            self._L = np.linalg.inv(np.eye(self.n) - self.A)
        return self._L

    def drop_L(self):
        self._L = None
        self._them.clear()

    def them(self, codes):
        """(T mask, nu_T, w = nu_T' L, inputs bought from T per column), shared by every us against them."""
        key = tuple(codes)
        if key not in self._them:
            T, _ = self.mask(codes)
            nuT = np.where(T, self.nu, 0.0)
            self._them[key] = (T, nuT, nuT @ self.L, self.Z[T].sum(axis=0))
        return self._them[key]

    @property
    def Abar(self):
        """Abar_ij = sum over k with s(k) = s(i) of A_kj, as a full n x n matrix."""
        if self._Abar is None:
            self._Abar = np.tile(self.A.reshape(self.nr, self.ns, self.n).sum(axis=0), (self.nr, 1))
        return self._Abar

    @property
    def S(self):
        if self._S is None:
            ab = self.Abar
            self._S = np.divide(self.A, ab, out=np.zeros_like(ab), where=ab != 0)
            assert np.allclose(self._S * ab, self.A, rtol=1e-12, atol=0), "A != S o Abar"
        return self._S

    def mask(self, codes):
        """Node mask and final-demand column mask of a list of region codes."""
        idx = [self.regions.index(c) for c in codes]
        return np.isin(self.reg, idx), np.isin(self.ydest, idx)


def load(wiod_dir, years=YEARS):
    return {y: Year(os.path.join(wiod_dir, f"wiod2013_{y}.csv.gz")) for y in years}


def _ratio(a, b):
    """A share: undefined (None) when its denominator is not positive (no imports, no inputs, or final
    demand that nets to zero or less where inventories were drawn down)."""
    return None if b <= 0 else float(a / b)


def _consumption_ratio(a, q, x, m):
    c = q - x + m
    return None if c <= 0 else float(a / c)


def kpi_rows(yr, year, us, them, by_region=True):
    """Every KPI for scope ALL (and each region of us with by_region) x sector all and each sector."""
    U, _ = yr.mask(us)
    T, nuT, w, col_them = yr.them(them)
    assert not (U & T).any(), "us and them overlap"
    S = U | T
    LS = np.linalg.inv(np.eye(int(S.sum())) - yr.A[np.ix_(S, S)])
    wp = np.zeros(yr.n)
    wp[S] = nuT[S] @ LS
    third = w - wp
    Z, Y, x, sec, ns = yr.Z, yr.Y, yr.x, yr.sec, yr.ns
    zrow, yrow, col_all = yr.zrow, yr.yrow, yr.zcol

    def by_sector(vec, m):
        """[sum over the nodes of m, then the sum for each sector]"""
        return np.concatenate(([vec[m].sum()], np.bincount(sec[m], weights=vec[m], minlength=ns)))

    rows = []
    scopes = [("ALL", us)] + ([(c, [c]) for c in us] if by_region else [])
    for scope, G in scopes:
        g, dg = yr.mask(G)
        zin, yin = Z[:, g].sum(axis=1), Y[:, dg].sum(axis=1)
        inflow = zin + yin
        outflow = (zrow - zin) + (yrow - yin)
        everywhere = np.ones(yr.n, bool)
        Q = by_sector(x, g)
        M = by_sector(inflow, ~g)
        MT = by_sector(inflow, T & ~g)
        X = by_sector(outflow, g)
        din_num, din_den = by_sector(col_them, g), by_sector(col_all, g)
        vat, va3 = by_sector(x * w, g), by_sector(x * third, g)
        f = yin
        D, Fsum = by_sector(w * f, everywhere), by_sector(f, everywhere)
        # foreign intermediate inputs of GP by origin region: (regions, [all, sectors])
        gi = np.where(g)[0]
        onehot = np.zeros((len(gi), ns))
        onehot[np.arange(len(gi)), sec[gi]] = 1.0
        R = yr.zreg[:, gi] @ onehot
        R = np.concatenate((yr.zreg[:, gi].sum(axis=1, keepdims=True), R), axis=1)
        foreign = ~np.isin(np.arange(yr.nr), [yr.regions.index(c) for c in G])
        R = R[foreign]
        for p in range(ns + 1):
            tot = R[:, p].sum()
            hhi = None if tot == 0 else float(((R[:, p] / tot) ** 2).sum())
            q, m, xx = Q[p], M[p], X[p]
            rows.append({
                "year": year, "scope": scope, "sector": "all" if p == 0 else yr.sectors[p - 1],
                "output": float(q), "imports": float(m), "exports": float(xx),
                "apparent_consumption": float(q - xx + m),
                "import_penetration": _consumption_ratio(m, q, xx, m),
                "self_sufficiency": _consumption_ratio(q, q, xx, m),
                "imports_from_them": float(MT[p]),
                "imports_from_them_share": _ratio(MT[p], m),
                "direct_input_share": _ratio(din_num[p], din_den[p]),
                "va_from_them": _ratio(vat[p], q),
                "va_via_third": _ratio(va3[p], q),
                "foreign_supplier_hhi": hhi,
                "fva_final_demand": float(D[p]),
                "fva_final_demand_share": _ratio(D[p], Fsum[p]),
            })
    return rows


_pair_cache = {}


def _delta_A(y0, y1, key):
    """Technology and import-sourcing parts of A1 - A0 (shared by every case of the same pair of years)."""
    if key not in _pair_cache:
        _pair_cache.clear()
        tech = 0.5 * (y0.S + y1.S) * (y1.Abar - y0.Abar)
        src = 0.5 * (y1.S - y0.S) * (y0.Abar + y1.Abar)
        _pair_cache[key] = (tech, src)
    return _pair_cache[key]


def _fd_factors(yr, f):
    tot = np.bincount(yr.sec, weights=f, minlength=yr.ns)[yr.sec]       # the product's total, per k
    F = f.sum()
    m = tot / F
    sigma = np.divide(f, tot, out=np.zeros_like(f), where=tot != 0)
    assert np.allclose(F * m * sigma, f, rtol=1e-12, atol=1e-9), "f != F m o sigma"
    return F, m, sigma


def decompose_pair(years, y0, y1, us, them):
    """Effects per product k of f (arrays of length n), D0 and D1."""
    t0, t1 = years[y0], years[y1]
    U0, dU0 = t0.mask(us)
    U1, dU1 = t1.mask(us)
    T0, _ = t0.mask(them)
    T1, _ = t1.mask(them)
    nu0, nu1 = np.where(T0, t0.nu, 0.0), np.where(T1, t1.nu, 0.0)
    f0, f1 = t0.Y[:, dU0].sum(axis=1), t1.Y[:, dU1].sum(axis=1)
    L0, L1 = t0.L, t1.L
    dnu = nu1 - nu0
    a0, a1 = nu0 @ L0, nu1 @ L1                       # nu0 L0, nu1 L1
    p0, p1 = nu0 @ L1, nu1 @ L1                       # row vectors in front of dA
    tech, src = _delta_A(t0, t1, (y0, y1))
    F0, m0, s0 = _fd_factors(t0, f0)
    F1, m1, s1 = _fd_factors(t1, f1)
    dF, dm, ds = F1 - F0, m1 - m0, s1 - s0
    eff = {
        "va_coefficients": 0.5 * ((dnu @ L1) * f1 + (dnu @ L0) * f0),
        "technology": 0.5 * (((p0 @ tech) @ L0) * f1 + ((p1 @ tech) @ L0) * f0),
        "import_sourcing": 0.5 * (((p0 @ src) @ L0) * f1 + ((p1 @ src) @ L0) * f0),
        "fd_level": 0.5 * (a0 * (dF * m1 * s1) + a1 * (dF * m0 * s0)),
        "fd_mix": 0.5 * (a0 * (F0 * dm * s1) + a1 * (F1 * dm * s0)),
        "fd_sourcing": 0.5 * (a0 * (F0 * m0 * ds) + a1 * (F1 * m1 * ds)),
    }
    return eff, float(a0 @ f0), float(a1 @ f1)


def decompose(years, us, them, y_from, y_to, chain=False, by_sector=True):
    pairs = list(zip(range(y_from, y_to), range(y_from + 1, y_to + 1))) if chain else [(y_from, y_to)]
    total = None
    d0 = d1 = None
    for a, b in pairs:
        eff, da, db = decompose_pair(years, a, b, us, them)
        s = sum(eff[k].sum() for k in EFFECTS)
        assert abs(s - (db - da)) <= 1e-9 * max(abs(da), abs(db)), (us, them, a, b, s, db - da)
        total = eff if total is None else {k: total[k] + eff[k] for k in EFFECTS}
        d0 = da if d0 is None else d0
        d1 = db
    yr = years[y_from]
    out = {"us": us, "them": them, "from": y_from, "to": y_to, "chain": chain, "d0": d0, "d1": d1,
           "total": d1 - d0, "effects": {k: float(total[k].sum()) for k in EFFECTS}}
    s = sum(out["effects"].values())
    assert abs(s - out["total"]) <= 1e-9 * max(abs(d0), abs(d1)), (us, them, s, out["total"])
    if by_sector:
        out["by_sector"] = {}
        per = {k: np.bincount(yr.sec, weights=total[k], minlength=yr.ns) for k in EFFECTS}
        for j, code in enumerate(yr.sectors):
            out["by_sector"][code] = {k: float(per[k][j]) for k in EFFECTS}
    return out


def main():
    outdir, wiod_dir = sys.argv[1], sys.argv[2]
    start = time.perf_counter()
    years = load(wiod_dir)
    first = years[YEARS[0]]
    for y, t in years.items():
        assert t.regions == first.regions and t.sectors == first.sectors, f"{y}: other regions or sectors"
    t_load = time.perf_counter() - start
    kpis = {"cases": []}
    for us, them in KPI_CASES:
        rows = []
        for y in YEARS:
            rows += kpi_rows(years[y], y, us, them)
        kpis["cases"].append({"us": us, "them": them, "rows": rows})
    t_kpi = time.perf_counter() - start - t_load
    dec = {"cases": [decompose(years, us, them, a, b, chain) for us, them, a, b, chain in DECOMPOSE_CASES]}
    t_dec = time.perf_counter() - start - t_load - t_kpi
    os.makedirs(outdir, exist_ok=True)
    with open(os.path.join(outdir, "kpis.json"), "w") as fh:
        json.dump(kpis, fh)
    with open(os.path.join(outdir, "decompose.json"), "w") as fh:
        json.dump(dec, fh, indent=1)
    for case in kpis["cases"]:
        pick = {r["year"]: r for r in case["rows"] if r["scope"] == "ALL" and r["sector"] == "all"}
        for y in (YEARS[0], YEARS[-1]):
            r = pick[y]
            print(f"{'+'.join(case['us'])} on {'+'.join(case['them'])} {y}: IP {r['import_penetration']:.6f} "
                  f"SS {r['self_sufficiency']:.6f} D {r['fva_final_demand']:.3f}")
    for c in dec["cases"]:
        e = " ".join(f"{k} {v:.3f}" for k, v in c["effects"].items())
        print(f"{'+'.join(c['us'])} on {'+'.join(c['them'])} {c['from']}->{c['to']}"
              f"{' chained' if c['chain'] else ''}: D {c['d0']:.3f} -> {c['d1']:.3f}; {e}")
    print(f"{sum(len(c['rows']) for c in kpis['cases'])} KPI rows, {len(dec['cases'])} decompositions; "
          f"load {t_load:.1f}s, kpis {t_kpi:.1f}s, decompose {t_dec:.1f}s, "
          f"total {time.perf_counter() - start:.1f}s")


if __name__ == "__main__":
    main()
