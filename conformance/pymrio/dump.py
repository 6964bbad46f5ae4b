"""Dump pymrio 0.7.0's numbers for sovra's conformance tests.

For each case, OUT/<case>/input is the system as pymrio's save_all writes it (before any calculation; sovra
reads it with its pymrio reader) and OUT/<case>/ref holds pymrio's results after calc_all() as .npy arrays:
x, A, L, output multipliers (column sums of L), and per extension `<ext>__<account>.npy` for S, M, D_cba,
D_pba, D_imp, D_exp (stressors × nodes) and D_cba_reg, D_pba_reg, D_imp_reg, D_exp_reg (stressors × regions).
Node order is pymrio's (region-major for these systems); labels are written beside the arrays.
"""
import json
import os
import sys

import numpy as np
import pandas as pd
import pymrio

ACCOUNTS = ["S", "M", "D_cba", "D_pba", "D_imp", "D_exp", "D_cba_reg", "D_pba_reg", "D_imp_reg", "D_exp_reg"]


def dump_case(io, out, name):
    case = os.path.join(out, name)
    io.save_all(os.path.join(case, "input"))
    io.calc_all()
    ref = os.path.join(case, "ref")
    os.makedirs(ref)
    files = {}

    def save(fname, arr):
        arr = np.ascontiguousarray(np.asarray(arr, dtype=np.float64))
        np.save(os.path.join(ref, fname), arr)
        files[fname] = list(arr.shape)

    save("x.npy", io.x.to_numpy().ravel())
    save("A.npy", io.A.to_numpy())
    save("L.npy", io.L.to_numpy())
    save("output_multipliers.npy", io.L.to_numpy().sum(axis=0))
    save("Y.npy", io.Y.to_numpy())
    pd.DataFrame(list(io.Z.index), columns=["region", "sector"]).to_csv(os.path.join(ref, "labels_nodes.csv"), index=False)
    pd.DataFrame({"region": list(io.get_regions())}).to_csv(os.path.join(ref, "labels_regions.csv"), index=False)
    for ext in io.get_extensions(data=True):
        key = [k for k, v in io.__dict__.items() if v is ext][0]
        idx = ext.F.index
        names = ["/".join(map(str, i)) if isinstance(i, tuple) else str(i) for i in idx]
        unit = ext.unit.reindex(idx)["unit"].astype(str).tolist() if ext.unit is not None else [""] * len(names)
        pd.DataFrame({"stressor": names, "unit": unit}).to_csv(os.path.join(ref, f"{key}__stressors.csv"), index=False)
        for acc in ACCOUNTS:
            df = getattr(ext, acc)
            save(f"{key}__{acc}.npy", df.to_numpy())
    with open(os.path.join(case, "manifest.json"), "w") as f:
        json.dump({"case": name, "files": files, "versions": {
            "python": sys.version.split()[0], "numpy": np.__version__, "pandas": pd.__version__,
            "pymrio": pymrio.__version__}}, f, indent=1)
    print(f"{name}: {len(io.Z)} nodes, extensions {[k for k in os.listdir(os.path.join(case, 'input')) if os.path.isdir(os.path.join(case, 'input', k))]}")


def wiod(path):
    raw = pd.read_csv(path, index_col=0)
    nodes = [c for c in raw.columns if "_c" in c]
    fd = [c for c in raw.columns if c not in nodes and c != "GO"]
    split = lambda labels: pd.MultiIndex.from_tuples([tuple(l.split("_", 1)) for l in labels])
    Z = raw.loc[nodes, nodes].astype(float)
    Z.index = split(nodes).set_names(["region", "sector"])
    Z.columns = split(nodes).set_names(["region", "sector"])
    Y = raw.loc[nodes, fd].astype(float)
    Y.index = Z.index
    Y.columns = split(fd).set_names(["region", "category"])
    # WIOD's rounded integers leave a few tiny nodes with output <= 0 (LUX/c5 and LUX/c8 at -1 in 2011).
    # sovra rejects negative output, so both sides get the same documented cleaning: such nodes are made
    # inactive (their Z rows and columns and Y rows set to 0), repeated until no node with inputs lacks output.
    while True:
        x = Z.sum(axis=1) + Y.sum(axis=1)
        bad = (x < 0) | ((x <= 0) & (Z.sum(axis=0) != 0))
        if not bad.any():
            break
        print(f"wiod2011: made inactive (output <= 0): {['/'.join(i) for i in x.index[bad]]}")
        Z.loc[bad, :] = 0.0
        Z.loc[:, bad.to_numpy()] = 0.0
        Y.loc[bad, :] = 0.0
    go = raw.loc[nodes, "GO"].astype(float).to_numpy()
    d = np.abs(go - x.to_numpy())
    print(f"wiod2011: |GO - (Z1 + Y1)| max {d.max():.3f}, max relative {np.max(d / np.maximum(go, 1)):.2e} (pymrio uses Z1 + Y1)")
    va = pd.DataFrame([x.to_numpy() - Z.sum(axis=0).to_numpy()], index=pd.Index(["VA"], name="inputtype"), columns=Z.columns)
    io = pymrio.IOSystem(Z=Z, Y=Y, unit=pd.DataFrame({"unit": "M.USD"}, index=Z.index), name="wiod2011")
    io.factor_inputs = pymrio.Extension(name="factor_inputs", F=va, unit=pd.DataFrame({"unit": ["M.USD"]}, index=va.index))
    return io


def main():
    out, shared = sys.argv[1], sys.argv[2]
    os.makedirs(out)
    dump_case(pymrio.load_test(), out, "test_mrio")
    w = os.path.join(shared, "wiod2013", "wiod2013_2011.csv.gz")
    if os.path.exists(w):
        dump_case(wiod(w), out, "wiod2011")
    else:
        print(f"NOTICE: {w} not found: the WIOD 2011 case is skipped")


if __name__ == "__main__":
    main()
