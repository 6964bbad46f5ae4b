"""Writes N random import-substitution projects on icio2022 as a project file (fixed seed), for bench case p.

Usage: python projects_gen.py OUT.toml [N=1000] [SEED=20261201]
Each project: a random host among the regions outside the EU and the G7 (the bench measures the dependence on
EU27+G7), a random manufacturing sector, a capacity of 5-50 % of the
host's output of it (at least 10), a cost of 0.2-0.6 per unit of capacity; it serves its host and replaces
every other region (the defaults: the largest change a project can make, ~79 origins). Every 10th project
requires the one before it and every 25th excludes the one after it, so a selection has precedences and
exclusions.
"""
import json
import os
import random
import sys

import numpy as np

out = sys.argv[1]
n = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
seed = int(sys.argv[3]) if len(sys.argv) > 3 else 20261201
store = os.environ.get("SOVRA_HOME", os.path.expanduser("~/.local/share/sovra"))
meta = json.load(open(os.path.join(store, "datasets", "icio2022", "meta.json")))
x = np.load(os.path.join(store, "datasets", "icio2022", "x.npy"))
regions = [r["code"] for r in meta["regions"]]
sectors = [s["code"] for s in meta["sectors"]]
manufacturing = [k for k, s in enumerate(sectors) if s.startswith("C")]
EU27_G7 = set("AUT BEL BGR HRV CYP CZE DNK EST FIN FRA DEU GRC HUN IRL ITA LVA LTU LUX MLT NLD POL PRT ROU SVK "
              "SVN ESP SWE CAN GBR JPN USA".split())
hosts = [k for k, r in enumerate(regions) if r not in EU27_G7]
rng = random.Random(seed)
lines = [f"# {n} random projects on icio2022 (bench/projects_gen.py, seed {seed})\n"]
for k in range(n):
    h = rng.choice(hosts)
    s = rng.choice(manufacturing)
    out_hs = x[h * len(sectors) + s]
    cap = max(10.0, round(out_hs * rng.uniform(0.05, 0.5), 1))
    cost = round(cap * rng.uniform(0.2, 0.6), 1)
    lines.append(f'[[project]]\nid = "p{k:04d}"\nhost = "{regions[h]}"\nsector = "{sectors[s]}"\n'
                 f"capacity = {cap}\ncost = {cost}\n")
    if k % 10 == 9:
        lines.append(f'requires = ["p{k - 1:04d}"]\n')
    if k % 25 == 24 and k + 1 < n:
        lines.append(f'excludes = ["p{k + 1:04d}"]\n')
    lines.append("\n")
open(out, "w").write("".join(lines))
