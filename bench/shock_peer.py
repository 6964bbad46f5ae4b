"""The peer side of the shock benchmark: sanction-simulator 0.1.4 solving a USA-CHN bilateral embargo with its
default parameters (tau 0.30, delta 0.10, rho -1, varrho -1), through its public API with numpy + pandas only.

Usage: python shock_peer.py WHEEL_OR_DIR [--sweep N | --draws-from SOVRA.json --count K]
  WHEEL_OR_DIR  the wheel (unzipped into a temporary directory), an unzipped wheel, or its sanction_simulator/
  --sweep N     time N scenarios instead: the same embargo with tau on np.linspace(0.05, 0.8, N), one
                ScenarioBatch each (tau is a per-batch parameter of the peer)
  --draws-from  time the first K draws of a `sovra shock --draws` JSON report (its `draws` table: tau, delta,
                rho, rho_out), one ScenarioBatch each; each world loss must match sovra's within 1e-4 relative

Loading the benchmark (the peer's bench_cache.npz) is not timed; the time covers ScenarioBatch construction,
balance and solve. Prints one JSON line: {"seconds": ..., "world_loss": ...}, or with --sweep
{"seconds": total, "scenarios": N, "per_second": ...}.
"""
import argparse
import json
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "conformance", "shock"))
import numpy as np  # noqa: E402
from dump import import_peer, peer_legs, run_one, severed_pairs, unpack_peer  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("wheel_or_dir")
    ap.add_argument("--sweep", type=int, default=None, metavar="N")
    ap.add_argument("--draws-from", default=None, metavar="SOVRA_JSON")
    ap.add_argument("--count", type=int, default=4, metavar="K")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="shock-peer-") as scratch:
        pte, bench = import_peer(unpack_peer(a.wheel_or_dir, scratch))
        legs = peer_legs(bench, severed_pairs(["USA"], ["CHN"], "embargo"), None)
        if a.draws_from is not None:
            table = next(t for t in json.load(open(a.draws_from))["tables"] if t["key"] == "draws")
            draws = table["rows"][: a.count]
            seconds = 0.0
            for d in draws:
                t0 = time.perf_counter()
                _, res, _, _ = run_one(pte, bench, legs, tau=d["tau"], delta=d["delta"], rho=d["rho"],
                                       rho_out=d["rho_out"])
                seconds += time.perf_counter() - t0
                world = float((bench.s - res["s_omega"][0]).sum())
                rel = abs(world - d["world_output_loss"]) / abs(d["world_output_loss"])
                if not rel <= 1e-4:
                    sys.exit(f"draw {d['draw']}: world loss {world!r} vs sovra {d['world_output_loss']!r} "
                             f"(relative {rel:.2e} > 1e-4)")
            print(json.dumps({"seconds": seconds, "scenarios": len(draws)}))
        elif a.sweep is None:
            t0 = time.perf_counter()
            _, res, _, _ = run_one(pte, bench, legs)
            seconds = time.perf_counter() - t0
            print(json.dumps({"seconds": seconds, "world_loss": float((bench.s - res["s_omega"][0]).sum())}))
        else:
            taus = np.linspace(0.05, 0.8, a.sweep)
            t0 = time.perf_counter()
            for tau in taus:
                run_one(pte, bench, legs, tau=float(tau))
            seconds = time.perf_counter() - t0
            print(json.dumps({"seconds": seconds, "scenarios": a.sweep, "per_second": a.sweep / seconds}))


if __name__ == "__main__":
    main()
