"""Time pymrio 0.7.0 on a sovra store, the way a pymrio user would run the same job.

    python bench/pymrio_side.py STORE_DIR --task system|footprint

system:    calc_system() + calc_extensions() with value added as the only extension (x, A, L, S, M, D_*).
footprint: calc_all() with value added as the only extension (what `sovra footprint --stressor "value added"` does).
Reading the .npy arrays into DataFrames is not timed. Prints one JSON line.
"""
import argparse
import json
import os
import time

import numpy as np
import pandas as pd
import pymrio


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("store")
    ap.add_argument("--task", choices=["system", "footprint"], required=True)
    a = ap.parse_args()
    meta = json.load(open(os.path.join(a.store, "meta.json")))
    regions = [r["code"] for r in meta["regions"]]
    sectors = [s["code"] for s in meta["sectors"]]
    nodes = pd.MultiIndex.from_product([regions, sectors], names=["region", "sector"])
    fd = pd.MultiIndex.from_tuples([(c["region"], c["category"]) for c in meta["final_demand"]], names=["region", "category"])
    Z = pd.DataFrame(np.load(os.path.join(a.store, "Z.npy")), index=nodes, columns=nodes)
    Y = pd.DataFrame(np.load(os.path.join(a.store, "Y.npy")).reshape(len(nodes), -1), index=nodes, columns=fd)
    v = np.load(os.path.join(a.store, "v.npy"))
    io = pymrio.IOSystem(Z=Z, Y=Y, unit=pd.DataFrame({"unit": meta.get("units", "")}, index=nodes), name=meta["name"])
    F = pd.DataFrame([v], index=pd.Index(["value added"], name="inputtype"), columns=nodes)
    io.factor_inputs = pymrio.Extension(name="factor_inputs", F=F, unit=pd.DataFrame({"unit": ["USD million"]}, index=F.index))
    t0 = time.perf_counter()
    if a.task == "system":
        io.calc_system()
        io.calc_extensions()
    else:
        io.calc_all()
    secs = time.perf_counter() - t0
    print(json.dumps({"tool": "pymrio", "task": a.task, "seconds": secs, "nodes": len(nodes)}))


if __name__ == "__main__":
    main()
