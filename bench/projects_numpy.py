"""numpy re-solving per project, for bench case p: the first K projects of a project file, each by building
the changed table and factorising it afresh (one LU, forward and transposed solves), as a script would.

Usage: python projects_numpy.py STORE_DATASET_DIR PROJECTS.toml SOVRA_CSV [K=10]
Prints one JSON line: seconds per project (the loop only, loading excluded), the projects timed, and the largest
relative difference of the dependence cut against sovra's CSV (the bench fails above 1e-6).
"""
import csv
import json
import os
import sys
import time
import tomllib

import numpy as np
import scipy.linalg as sl

d, projects, sovra_csv = sys.argv[1:4]
k_max = int(sys.argv[4]) if len(sys.argv) > 4 else 10
meta = json.load(open(os.path.join(d, "meta.json")))
Z = np.load(os.path.join(d, "Z.npy"))
Y = np.load(os.path.join(d, "Y.npy"))
x = np.load(os.path.join(d, "x.npy"))
v = np.load(os.path.join(d, "v.npy"))
regions = [r["code"] for r in meta["regions"]]
sectors = [s["code"] for s in meta["sectors"]]
nr, ns = len(regions), len(sectors)
n = nr * ns
ps = tomllib.load(open(projects, "rb"))["project"]
us = sorted({regions.index(p["host"]) for p in ps})
EU27_G7 = set("AUT BEL BGR HRV CYP CZE DNK EST FIN FRA DEU GRC HUN IRL ITA LVA LTU LUX MLT NLD POL PRT ROU SVK "
              "SVN ESP SWE CAN GBR JPN USA".split())
them = [r for r in range(nr) if regions[r] in EU27_G7]
mask_us = np.zeros(n, bool)
mask_them = np.zeros(n, bool)
for r in us:
    mask_us[r * ns:(r + 1) * ns] = True
for r in them:
    mask_them[r * ns:(r + 1) * ns] = True
nu = np.divide(v, x, out=np.zeros(n), where=x != 0)
y = Y.sum(axis=1)
xinv = np.divide(1.0, x, out=np.zeros(n), where=x != 0)


def effects(Zp):
    lu = sl.lu_factor(np.eye(n) - Zp * xinv[None, :])
    xp = sl.lu_solve(lu, y)
    w = sl.lu_solve(lu, nu * mask_them, trans=1)
    return float(w @ (y * mask_us)), xp


D0, x0 = effects(Z)
sovra = {r["id"]: float(r["dependence_cut"]) for r in csv.DictReader(l for l in open(sovra_csv) if not l.startswith("#"))}
worst = 0.0
t0 = time.perf_counter()
for p in ps[:k_max]:
    h, s = regions.index(p["host"]), sectors.index(p["sector"])
    cols = np.arange(h * ns, (h + 1) * ns)
    rows = [o * ns + s for o in range(nr) if o != h]
    S = Z[np.ix_(rows, cols)].sum()
    f = min(p["capacity"], S) / S if S > 0 else 0.0
    Zp = Z.copy()
    moved = f * Zp[np.ix_(rows, cols)]
    Zp[np.ix_(rows, cols)] -= moved
    Zp[h * ns + s, cols] += moved.sum(axis=0)
    D1, _ = effects(Zp)
    cut = D0 - D1
    ref = sovra[p["id"]]
    if ref != 0.0:
        worst = max(worst, abs(cut - ref) / abs(ref))
secs = (time.perf_counter() - t0) / min(k_max, len(ps))
print(json.dumps({"seconds_per_project": secs, "timed": min(k_max, len(ps)), "max_rel_diff": worst}))
