"""Reference numbers for sovra's import-substitution projects, computed independently.

Usage: python dump.py OUT WHEEL PROJECTS_TOML

Effects, from the definition in issue 13 / docs/projects.md, with a dense inverse of every changed table
(sovra uses Sherman-Morrison-Woodbury updates of one factorisation instead):
  for project k (host h, sector s, buyers B, origins O): S = sum_{o in O} sum_{j in B} Z[(o,s), j]
  q = min(capacity, S), f = q / S; Z'[(o,s), j] = (1 - f) Z[(o,s), j], Z'[(h,s), j] += f Z[(o,s), j]
  A' = Z' diag(x)^-1 (the original x), L' = inv(I - A'), y = Y 1 kept (icio2022 has no destination split)
  D = sum_{i in T} sum_{j in U} nu_i L_ij y_j; dependence cut = D - D'
  value added gained = sum_{j in U} nu_j (x'_j - x_j), x' = L' y
Us: every host and served region; them: every replaced region that is not ours (sovra's defaults).

Selections: maximise the sum of the dependence cuts under a total budget (and payer budgets), requires,
excludes, and for every flow (origin node, buyer region) replaced by several projects that could together take
more than all of it, sum f_k z_k <= 1 -- solved with scipy.optimize.milp (HiGHS) and by brute force over all
2^12 subsets; the two must agree here before anything is written.
"""
import itertools
import json
import os
import sys
import tomllib

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "dependency"))
from dump import icio2022  # noqa: E402  (the same icio2022 build as the dependency conformance)

BUDGETS = [0, 500, 1000, 2000, 3000, 5000, 8000, 12000]
PAYER_CASES = [
    {"budget": 6000, "budget_by": {"USA": 3000, "EIB": 400}},
    {"budget": 4000, "budget_by": {"RUS": 300, "BLR": 200}},
]


def main(out, wheel, projects_toml):
    t = icio2022(wheel)
    Z, Y, x, v = t["Z"], t["Y"], t["x"], t["v"]
    regions, sectors = t["regions"], t["sectors"]
    nr, ns = len(regions), len(sectors)
    n = nr * ns
    ridx = {r: k for k, r in enumerate(regions)}
    with open(projects_toml, "rb") as f:
        ps = tomllib.load(f)["project"]
    ids = [p["id"] for p in ps]

    def regs(expr):
        return sorted(ridx[c] for c in expr.split("+"))

    resolved = []
    for p in ps:
        h = ridx[p["host"]]
        s = sectors.index(p["sector"])
        serves = regs(p.get("serves", p["host"]))
        replaces = regs(p["replaces"]) if "replaces" in p else [r for r in range(nr) if r != h and r not in serves]
        resolved.append((h, s, serves, replaces))
    us = sorted({r for h, _, sv, _ in resolved for r in [h, *sv]})
    them = sorted({r for *_, rp in resolved for r in rp} - set(us))
    node_us = np.zeros(n, bool)
    node_them = np.zeros(n, bool)
    for r in us:
        node_us[r * ns:(r + 1) * ns] = True
    for r in them:
        node_them[r * ns:(r + 1) * ns] = True
    nu = np.divide(v, x, out=np.zeros(n), where=x != 0)
    y = Y.sum(axis=1)
    xinv = np.divide(1.0, x, out=np.zeros(n), where=x != 0)

    def measure(Zp):
        A = Zp * xinv[None, :]
        L = np.linalg.inv(np.eye(n) - A)
        D = (nu * node_them) @ L @ (y * node_us)
        xp = L @ y
        return D, xp

    D0, x0 = measure(Z)
    V0 = float(np.sum((nu * x0)[node_us]))
    effects = []
    fractions = []
    for p, (h, s, serves, replaces) in zip(ps, resolved):
        cols = np.concatenate([np.arange(b * ns, (b + 1) * ns) for b in serves])
        rows = [o * ns + s for o in replaces]
        S = float(sum(Z[i, cols].sum() for i in rows))
        q = min(float(p["capacity"]), S)
        f = q / S if S > 0 else 0.0
        fractions.append((f, rows, serves, cols))
        Zp = Z.copy()
        for i in rows:
            moved = f * Z[i, cols]
            Zp[i, cols] -= moved
            Zp[h * ns + s, cols] += moved
        D1, x1 = measure(Zp)
        effects.append({
            "id": p["id"],
            "substitutable": S,
            "substituted": q,
            "dependence_cut": float(D0 - D1),
            "value_added_gained": float(np.sum((nu * (x1 - x0))[node_us])),
        })
        print(f"{p['id']}: S {S:.1f} q {q:.1f} dD {D0 - D1:.4f}", flush=True)

    # Pools: flows (origin node, buyer region) several projects would replace, beyond all of it together.
    flows = {}
    for k, (f, rows, serves, cols) in enumerate(fractions):
        if f == 0:
            continue
        for i in rows:
            for b in serves:
                if Z[i, b * ns:(b + 1) * ns].sum() > 0:
                    flows.setdefault((i, b), []).append((k, f))
    pools = [g for g in flows.values() if len(g) > 1 and sum(f for _, f in g) > 1 + 1e-12]
    pools = [list(g) for g in {tuple(g) for g in pools}]

    value = np.array([e["dependence_cut"] for e in effects])
    cost = np.array([float(p["cost"]) for p in ps])
    K = len(ps)

    def payer_share(p, who):
        pay = p.get("payers", {p["host"]: 1.0})
        return pay.get(who, 0.0)

    def constraints(case):
        A, lo, hi = [], [], []
        A.append(cost)
        lo.append(-np.inf)
        hi.append(case["budget"])
        for who, b in case.get("budget_by", {}).items():
            A.append(np.array([payer_share(p, who) * p["cost"] for p in ps]))
            lo.append(-np.inf)
            hi.append(b)
        for k, p in enumerate(ps):
            for r in p.get("requires", []):
                row = np.zeros(K)
                row[k], row[ids.index(r)] = 1, -1
                A.append(row)
                lo.append(-np.inf)
                hi.append(0)
            for e in p.get("excludes", []):
                row = np.zeros(K)
                row[k], row[ids.index(e)] = 1, 1
                A.append(row)
                lo.append(-np.inf)
                hi.append(1)
        for g in pools:
            row = np.zeros(K)
            for k, f in g:
                row[k] = f
            A.append(row)
            lo.append(-np.inf)
            hi.append(1)
        return np.array(A), np.array(lo), np.array(hi)

    def brute(case):
        A, _, hi = constraints(case)
        best, arg = 0.0, ()
        for mask in itertools.product([0, 1], repeat=K):
            z = np.array(mask, float)
            if np.all(A @ z <= hi + 1e-9):
                val = float(value @ z)
                if val > best:
                    best, arg = val, mask
        return best, [ids[k] for k in range(K) if arg and arg[k]]

    cases = [{"budget": b} for b in BUDGETS] + PAYER_CASES
    selections = []
    for case in cases:
        A, lo, hi = constraints(case)
        res = milp(-value, constraints=LinearConstraint(A, lo, hi), integrality=np.ones(K),
                   bounds=Bounds(0, 1), options={"mip_rel_gap": 0})
        assert res.success, res.message
        obj = float(-res.fun)
        chosen = [ids[k] for k in range(K) if res.x[k] > 0.5]
        bf, bf_chosen = brute(case)
        assert abs(obj - bf) <= 1e-9 * max(1.0, abs(bf)), (case, obj, bf)
        selections.append({**case, "objective": obj, "chosen": chosen, "brute_force": bf,
                           "brute_force_chosen": bf_chosen})
        print(f"budget {case}: milp {obj:.4f} brute force {bf:.4f} {chosen}", flush=True)

    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "projects.json"), "w") as f:
        json.dump({
            "dependence": float(D0),
            "value_added": V0,
            "us": [regions[r] for r in us],
            "them": [regions[r] for r in them],
            "effects": effects,
            "pools": len(pools),
            "selections": selections,
        }, f, indent=1)


if __name__ == "__main__":
    main(*sys.argv[1:])
