"""Write a fixed-seed synthetic MRIO into sovra's native store format (meta.json + .npy arrays).

EXIOBASE-sized by default: 49 regions x 200 sectors = 9,800 nodes, about 9 % of Z cells non-zero
(dense domestic blocks, sparse import blocks), lognormal flows, technical-coefficient column sums in
[0.3, 0.7), 7 final-demand categories per region, stressors "employment" and "CO2" (with F_Y for CO2).
The table balances exactly: A first, then x = (I - A)^-1 Y 1 by a Neumann series, Z = A diag(x).

    python bench/gen_mrio.py --out DIR [--regions 49 --sectors 200 --density 0.09 --seed 20261122]
"""
import argparse
import json
import os
import shutil

import numpy as np

CATS = ["HFCE", "NPISH", "GGFC", "GFCF", "INVNT", "INVVAL", "EXP"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--name", default="exio-synth")
    ap.add_argument("--regions", type=int, default=49)
    ap.add_argument("--sectors", type=int, default=200)
    ap.add_argument("--density", type=float, default=0.09)
    ap.add_argument("--seed", type=int, default=20261122)
    a = ap.parse_args()
    nr, ns = a.regions, a.sectors
    n = nr * ns
    rng = np.random.default_rng(a.seed)
    dom_density = min(0.7, a.density * 4)
    imp_density = max(0.0, (a.density * n * n - dom_density * nr * ns * ns) / max(1, n * n - nr * ns * ns))
    A = np.zeros((n, n))
    colsum = rng.uniform(0.3, 0.7, n)
    dom_share = rng.uniform(0.6, 0.9, n)
    for r in range(nr):  # one column slab (the buyers of region r) at a time
        cols = slice(r * ns, (r + 1) * ns)
        dens = np.full((n, 1), imp_density)
        dens[r * ns:(r + 1) * ns] = dom_density
        mask = rng.random((n, ns)) < dens
        vals = rng.lognormal(0.0, 1.5, (n, ns)) * mask
        dom = vals[r * ns:(r + 1) * ns]
        imp = vals.copy()
        imp[r * ns:(r + 1) * ns] = 0
        ds, is_ = dom.sum(0), imp.sum(0)
        c = colsum[cols]
        wdom = np.where(is_ > 0, dom_share[cols], 1.0) * c / np.where(ds > 0, ds, 1)
        wimp = np.where(ds > 0, 1 - dom_share[cols], 1.0) * c / np.where(is_ > 0, is_, 1)
        A[:, cols] = imp * wimp
        A[r * ns:(r + 1) * ns, cols] = dom * wdom
    k = nr * len(CATS)
    Y = rng.lognormal(2.0, 1.0, (n, k)) * 0.05
    for r in range(nr):
        Y[r * ns:(r + 1) * ns, r * len(CATS):(r + 1) * len(CATS)] *= 40
    y = Y.sum(1)
    x, term = y.copy(), y.copy()
    for it in range(500):
        term = A @ term
        x += term
        if np.abs(term).max() <= 1e-15 * np.abs(x).max():
            break
    Z = A * x[None, :]
    v = x - Z.sum(0)
    assert (v > 0).all() and (x > 0).all()
    F = np.vstack([x * rng.uniform(0.001, 0.02, n), x * rng.lognormal(0, 1, n)])
    F_Y = np.zeros((2, k))
    F_Y[1] = Y.sum(0) * rng.uniform(0, 0.5, k)
    print(f"{n} nodes, density {np.count_nonzero(Z) / Z.size:.4f}, Neumann terms {it + 1}, "
          f"last term {np.abs(term).max() / np.abs(x).max():.1e}")
    final = os.path.join(a.out)
    tmp = final.rstrip("/") + f".tmp-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(tmp)
    for name, arr in [("Z", Z), ("Y", Y), ("x", x), ("v", v), ("F", F), ("F_Y", F_Y)]:
        np.save(os.path.join(tmp, f"{name}.npy"), np.ascontiguousarray(arr))
    meta = {
        "format": "sovra-store", "format_version": 1, "name": a.name,
        "title": f"synthetic EXIOBASE-sized MRIO ({nr} regions x {ns} sectors, seed {a.seed})",
        "source": "bench/gen_mrio.py", "year": None, "units": "USD million",
        "regions": [{"code": f"R{r + 1:02d}", "name": f"Region {r + 1}"} for r in range(nr)],
        "sectors": [{"code": f"S{s + 1:03d}", "name": f"Sector {s + 1}"} for s in range(ns)],
        "final_demand": [{"region": f"R{r + 1:02d}", "category": c} for r in range(nr) for c in CATS],
        "stressors": [{"name": "employment", "unit": "1000 persons"}, {"name": "CO2", "unit": "kt"}],
        "source_sha256": None, "written_by": "bench/gen_mrio.py", "notes": f"seed {a.seed}, density {a.density}",
    }
    with open(os.path.join(tmp, "meta.json"), "w") as f:
        json.dump(meta, f, indent=1)
    shutil.rmtree(final, ignore_errors=True)
    os.rename(tmp, final)


if __name__ == "__main__":
    main()
