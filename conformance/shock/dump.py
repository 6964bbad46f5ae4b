"""Reference numbers for sovra's shock engine, produced by the peer itself: sanction-simulator 0.1.4, called
through its public API (power_trade_estimation: Benchmark, ScenarioBatch.balance/solve/diagnostics).

Usage: python dump.py OUT WHEEL
  WHEEL  the sanction-simulator 0.1.4 wheel; it is unzipped into a temporary directory inside OUT (removed at
         the end) and its sanction_simulator/ directory is put on sys.path, so only numpy and pandas are needed
         (the GUI module, which pulls in streamlit and plotly, is never imported).

Writes into OUT:
  scenarios.json           one object per scenario (see SCENARIOS): the scenario spec, the legs actually severed
                           as [seller, buyer] ISO3 pairs, world/country losses, solver iteration counts and errors,
                           every key of ScenarioBatch.diagnostics as a float at the top level (sink_iters and
                           fp_iters, which it shares with the solver fields, stay integers), and the wall times
                           seconds_balance (ScenarioBatch construction + balance) and seconds_solve
  <name>.node_loss.csv     per node, in the peer's sector-major order i = r*C + u:
                           country, sector, loss = s - s_omega, s_omega, h, kappa
  benchmark.json           countries, sectors, s, z, dbar, omb (sector-major), to check both sides read the
                           same benchmark

Every scenario is its own ScenarioBatch of one, so the per-batch diagnostics are per scenario. Parameters are
the peer's defaults: tau 0.30, delta 0.10, rho -1, varrho -1 (set with set_rho_out). Legs are built the way
the peer's GUI builds them: for each a in side A and b in side B (a != b), an export ban severs "a sells to b",
an import ban severs "b sells to a", an embargo both (export leg first); a sector scope is a 0/1 mask over the
selling sectors, attached to every leg. Non-finite numbers are written as null.
"""
import json
import math
import os
import sys
import tempfile
import time
import zipfile

import numpy as np

TAU, DELTA, RHO, RHO_OUT = 0.30, 0.10, -1.0, -1.0

HEADLINE = [("USA", "CHN"), ("CHN", "TWN"), ("USA", "RUS"), ("DEU", "RUS"),
            ("JPN", "CHN"), ("IND", "CHN"), ("USA", "MEX"), ("DEU", "CHN")]
G7 = "USA JPN DEU FRA GBR ITA CAN".split()
EU27 = ("AUT BEL BGR HRV CYP CZE DNK EST FIN FRA DEU GRC HUN IRL ITA LVA LTU LUX MLT NLD POL PRT ROU SVK "
        "SVN ESP SWE").split()
CHIP_MAKERS = "USA JPN NLD KOR TWN".split()
CHIP_SECTORS = ["C26", "C27"]   # computer, electronic and optical products; electrical equipment


def scenarios(countries, sectors):
    """(name, instrument, side_a, side_b, sectors or None), restricted to countries present in the data."""
    have = set(countries)
    out = [(f"embargo_{a}_{b}", "embargo", [a], [b], None) for a, b in HEADLINE]
    target = [c for c in ("RUS", "BLR") if c in have]
    out.append(("g7_embargo_rus_blr", "embargo", G7, target, None))
    out.append(("eu_export_ban_chn", "export-ban", [c for c in EU27 if c in have], ["CHN"], None))
    missing = [s for s in CHIP_SECTORS if s not in sectors]
    if missing:
        raise SystemExit(f"sector codes {missing} not in the benchmark sectors {sectors}")
    out.append(("chips_export_ban_chn", "export-ban", CHIP_MAKERS, ["CHN"], CHIP_SECTORS))
    for name, _, a, b, _ in out:
        absent = [c for c in a + b if c not in have]
        if absent:
            raise SystemExit(f"{name}: countries {absent} not in the benchmark")
    return out


def severed_pairs(side_a, side_b, instrument):
    """[(seller, buyer)] in the order the GUI appends its legs."""
    pairs = []
    for a in side_a:
        for b in side_b:
            if a == b:
                continue
            if instrument in ("export-ban", "embargo"):
                pairs.append((a, b))
            if instrument in ("import-ban", "embargo"):
                pairs.append((b, a))
    return pairs


def unpack_peer(wheel_or_dir, scratch):
    """Directory holding power_trade_estimation.py (and data/) from a wheel, an unzipped wheel or the
    package directory itself. A wheel is unzipped into `scratch`."""
    if os.path.isfile(wheel_or_dir):
        with zipfile.ZipFile(wheel_or_dir) as w:
            w.extractall(scratch)
        wheel_or_dir = scratch
    for cand in (wheel_or_dir, os.path.join(wheel_or_dir, "sanction_simulator")):
        if os.path.isfile(os.path.join(cand, "power_trade_estimation.py")):
            return cand
    raise SystemExit(f"no sanction_simulator/power_trade_estimation.py in {wheel_or_dir}")


def import_peer(pkg_dir):
    """(pte module, Benchmark) with the peer's bundled data and cache."""
    sys.path.insert(0, pkg_dir)
    import power_trade_estimation as pte
    data = os.path.join(pkg_dir, "data")
    bench = pte.Benchmark(data, cache=os.path.join(data, "bench_cache.npz"))
    return pte, bench


def peer_legs(bench, pairs, sector_codes):
    """Peer legs (l, k) or (l, k, rowmask) for [(seller, buyer)] pairs."""
    if sector_codes is None:
        return [(bench.cidx[a], bench.cidx[b]) for a, b in pairs]
    mask = np.array([1.0 if s in sector_codes else 0.0 for s in bench.sectors])
    return [(bench.cidx[a], bench.cidx[b], mask) for a, b in pairs]


def run_one(pte, bench, legs, tau=TAU, delta=DELTA, rho=RHO, rho_out=RHO_OUT):
    """Solve one scenario as a batch of one. Returns (sb, res, seconds_balance, seconds_solve);
    seconds_balance includes building the ScenarioBatch."""
    pte.set_rho_out(rho_out)
    t0 = time.perf_counter()
    sb = pte.ScenarioBatch(bench, [legs], tau, delta)
    sb.balance()
    t1 = time.perf_counter()
    res = sb.solve(rho)
    t2 = time.perf_counter()
    return sb, res, t1 - t0, t2 - t1


def num(x):
    x = float(x)
    return x if math.isfinite(x) else None


def main():
    out, wheel = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    t_all = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix=".peer-", dir=out) as scratch:
        pte, bench = import_peer(unpack_peer(wheel, scratch))
        print(f"benchmark: C={bench.C} S={bench.S} N={bench.N} ({bench.load_seconds:.1f}s)", flush=True)
        C, S = bench.C, bench.S
        node_country = [bench.countries[i % C] for i in range(bench.N)]
        node_sector = [bench.sectors[i // C] for i in range(bench.N)]
        with open(os.path.join(out, "benchmark.json"), "w") as f:
            json.dump({"countries": bench.countries, "sectors": bench.sectors,
                       "s": [num(v) for v in bench.s], "z": [num(v) for v in bench.z],
                       "dbar": [num(v) for v in bench.dbar], "omb": [num(v) for v in bench.omb]},
                      f, allow_nan=False)

        rows = []
        specs = scenarios(bench.countries, bench.sectors)
        for n, (name, instrument, side_a, side_b, secs) in enumerate(specs, 1):
            pairs = severed_pairs(side_a, side_b, instrument)
            sb, res, t_bal, t_sol = run_one(pte, bench, peer_legs(bench, pairs, secs))
            diag = sb.diagnostics(res, RHO)
            s_om, h, kap = res["s_omega"][0], res["h_omega"][0], res["kappa"][0]
            loss = bench.s - s_om
            closs = loss.reshape(S, C).sum(axis=0)
            row = {
                "name": name, "instrument": instrument, "side_a": side_a, "side_b": side_b,
                "sectors": secs, "tau": TAU, "delta": DELTA, "rho": RHO, "rho_out": RHO_OUT,
                "legs": [list(p) for p in pairs],
                "world_loss": num(loss.sum()), "world_output": num(bench.s.sum()),
                "country_loss": {c: num(closs[u]) for u, c in enumerate(bench.countries)},
                "country_output": {c: num(bench.s_country[u]) for u, c in enumerate(bench.countries)},
                "sink_iters": int(sb.sink_iters[0]), "sink_err": num(sb.sink_err[0]),
                "fp_iters": int(res["iters"][0]), "fp_err": num(res["err"][0]),
                "resid_h": num(res["resid_h"][0]),
            }
            for k, v in diag.items():   # sink/fp iters and errors repeat the keys above (iters stay ints)
                row.setdefault(k, num(np.asarray(v).reshape(-1)[0]))
            row["seconds_balance"], row["seconds_solve"] = t_bal, t_sol
            rows.append(row)
            with open(os.path.join(out, f"{name}.node_loss.csv"), "w") as f:
                f.write("country,sector,loss,s_omega,h,kappa\n")
                for i in range(bench.N):
                    f.write(f"{node_country[i]},{node_sector[i]},{float(loss[i])!r},{float(s_om[i])!r},"
                            f"{float(h[i])!r},{float(kap[i])!r}\n")
            print(f"[{n:2d}/{len(specs)}] {name}: {len(pairs)} legs, world loss {row['world_loss']:,.1f}, "
                  f"sink {row['sink_iters']} it err {row['sink_err']:.1e}, fp {row['fp_iters']} it "
                  f"err {row['fp_err']:.1e}, balance {t_bal:.1f}s solve {t_sol:.1f}s", flush=True)
        with open(os.path.join(out, "scenarios.json"), "w") as f:
            json.dump(rows, f, indent=1, allow_nan=False)
    print(f"shock dump: {len(rows)} scenarios in {time.perf_counter() - t_all:.1f}s", flush=True)


if __name__ == "__main__":
    main()
