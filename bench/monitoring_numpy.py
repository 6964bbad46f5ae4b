"""The numpy side of the monitoring bench: every `sovra monitor` KPI and the `sovra decompose` effects for each
of the 40 WIOD 2013 regions other than CHN (each region on its own as us) against CHN, with dense inverses —
the straightforward numpy way, reusing what is naturally shared. Uses the independent implementation of
conformance/monitoring/dump.py (textbook definitions of docs/monitoring.md).

Usage: python bench/monitoring_numpy.py WIOD_DIR OUT.json    (WIOD_DIR: ../shared/data/wiod2013)

Timed phases (wall clock, all included in seconds_total):
  load       read the 17 yearly CSVs with sovra's cleaning, x, v, nu, A
  kpis       per year one L = inv(I - A) shared by all regions; per region and year the restricted inverse
             over us + CHN and every KPI for scope ALL x (all sectors, each sector), 1995-2011
  decompose  L of 1995 and 2011 formed again (as a separate run would), technology / sourcing split once per
             pair, then the six total effects 1995 -> 2011 for each region
OUT.json: {"seconds_load", "seconds_kpis", "seconds_decompose", "seconds_total", "regions",
           "check": {REGION: {"fva_final_demand_2011", "import_penetration_2011", "effects": {...}}}}
"""
import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "conformance", "monitoring"))
import dump  # noqa: E402

THEM = ["CHN"]


def main():
    wiod_dir, out = sys.argv[1], sys.argv[2]
    t0 = time.perf_counter()
    years = dump.load(wiod_dir)
    t1 = time.perf_counter()
    regions = [r for r in years[dump.YEARS[0]].regions if r not in THEM]
    last = {}
    for y in dump.YEARS:
        yr = years[y]
        for r in regions:
            rows = dump.kpi_rows(yr, y, [r], THEM, by_region=False)
            if y == dump.YEARS[-1]:
                last[r] = rows[0]                      # ALL, all sectors
        yr.drop_L()                                    # one L per year, freed when its year is done
    t2 = time.perf_counter()
    effects = {r: dump.decompose(years, [r], THEM, 1995, 2011, by_sector=False) for r in regions}
    t3 = time.perf_counter()
    check = {r: {"fva_final_demand_2011": last[r]["fva_final_demand"],
                 "import_penetration_2011": last[r]["import_penetration"],
                 "effects": effects[r]["effects"]} for r in regions}
    res = {"seconds_load": t1 - t0, "seconds_kpis": t2 - t1, "seconds_decompose": t3 - t2,
           "seconds_total": t3 - t0, "regions": len(regions), "check": check}
    with open(out, "w") as fh:
        json.dump(res, fh, indent=1)
    print(json.dumps({k: v for k, v in res.items() if k != "check"}))


if __name__ == "__main__":
    main()
