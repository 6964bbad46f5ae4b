"""Dump the reference output of the peer package ecomplexity==0.5.3 (py-ecomplexity) for sovra's
economic-complexity indicators.

    python dump.py OUTDIR_TMP          (called by run.sh, which renames OUTDIR_TMP to OUTDIR/complexity)

Writes:
  input.csv           year,exporter,product,value   synthetic, seeded: 120 countries x 600 products x 2 years
  output.csv          the package's output with default options, sorted by year, exporter, product
  proximity_2020.csv  product_1,product_2,proximity  (the package's proximity() for year 2020)
  meta.json           versions, shapes, timing and a few diagnostics
"""
import json
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

import ecomplexity
from ecomplexity import ecomplexity as run_ecomplexity
from ecomplexity import proximity as run_proximity

SEED = 20261123
N_COUNTRIES = 120
N_PRODUCTS = 600
YEARS = (2020, 2021)
COLS = {"time": "year", "loc": "exporter", "prod": "product", "val": "value"}
FLOAT = "%.17g"


def synth() -> pd.DataFrame:
    """Nested capability structure: a country exports a product more likely (and more) when its
    capability exceeds the product's complexity; plus lognormal country and product size effects.
    About 35 % of the cells are exact zeros. 2021 is a noisy continuation of 2020."""
    rng = np.random.default_rng(SEED)
    cap = rng.uniform(0.0, 1.0, N_COUNTRIES)            # country capability
    cplx = rng.uniform(0.0, 1.0, N_PRODUCTS)            # product complexity
    csize = rng.normal(0.0, 1.5, N_COUNTRIES)           # log country size
    psize = rng.normal(0.0, 1.0, N_PRODUCTS)            # log product market size
    gap = cap[:, None] - cplx[None, :]
    u_base = rng.uniform(0.0, 1.0, (N_COUNTRIES, N_PRODUCTS))
    eps_base = rng.normal(0.0, 1.0, (N_COUNTRIES, N_PRODUCTS))
    frames = []
    for y, year in enumerate(YEARS):
        # probability of zero trade: high when the product is beyond the country's capability
        p_zero = 1.0 / (1.0 + np.exp(-(-6.0 * gap - 1.1)))
        u = np.clip(u_base + (rng.normal(0.0, 0.05, u_base.shape) if y else 0.0), 0.0, 1.0)
        eps = eps_base + (rng.normal(0.0, 0.35, eps_base.shape) if y else 0.0)
        logv = 12.0 + csize[:, None] + psize[None, :] + 2.0 * gap + 1.2 * eps + 0.03 * y
        v = np.where(u < p_zero, 0.0, np.round(np.exp(logv), 2))
        frames.append(pd.DataFrame({
            "year": year,
            "exporter": np.repeat([f"C{i:03d}" for i in range(N_COUNTRIES)], N_PRODUCTS),
            "product": np.tile([f"P{j:04d}" for j in range(N_PRODUCTS)], N_COUNTRIES),
            "value": v.ravel(),
        }))
    return pd.concat(frames, ignore_index=True)


def main() -> None:
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)

    synth().to_csv(out / "input.csv", index=False, float_format=FLOAT)
    # run the package on exactly what a reader of input.csv sees
    data = pd.read_csv(out / "input.csv", dtype={"exporter": str, "product": str})

    t0 = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = run_ecomplexity(data, COLS)  # default options: presence_test="rca", rca_mcp_threshold=1, ...
    t_eco = time.perf_counter() - t0
    warn_msgs = sorted({f"{w.category.__name__}: {str(w.message).splitlines()[0]}" for w in caught})

    assert len(res) == len(data), (len(res), len(data))
    res = res.sort_values(["year", "exporter", "product"]).reset_index(drop=True)
    front = ["year", "exporter", "product", "value"]
    res = res[front + [c for c in res.columns if c not in front]]
    res.to_csv(out / "output.csv", index=False, float_format=FLOAT)

    t0 = time.perf_counter()
    prox = run_proximity(data, COLS)
    t_prox = time.perf_counter() - t0
    prox = prox[prox["year"] == 2020][["product_1", "product_2", "proximity"]]
    prox = prox.sort_values(["product_1", "product_2"])
    prox.to_csv(out / "proximity_2020.csv", index=False, float_format=FLOAT)

    meta = {
        "peer": "ecomplexity==0.5.3",
        "versions": {"numpy": np.__version__, "pandas": pd.__version__,
                     "ecomplexity_module": getattr(ecomplexity, "__file__", "")},
        "seed": SEED,
        "n_countries": N_COUNTRIES, "n_products": N_PRODUCTS, "years": list(YEARS),
        "input_rows": int(len(data)),
        "zero_share": float((data["value"] == 0).mean()),
        "output_columns": list(res.columns),
        "seconds_ecomplexity": round(t_eco, 3), "seconds_proximity": round(t_prox, 3),
        "warnings": warn_msgs,
        "per_year": {},
    }
    for year, g in res.groupby("year"):
        meta["per_year"][str(year)] = {
            "countries": int(g["exporter"].nunique()), "products": int(g["product"].nunique()),
            "mcp_ones": int(g["mcp"].sum()),
            "nan_eci_rows": int(g["eci"].isna().sum()), "nan_pci_rows": int(g["pci"].isna().sum()),
            "corr_eci_diversity": float(g.groupby("exporter")[["eci", "diversity"]].first().corr().iloc[0, 1]),
        }
    (out / "meta.json").write_text(json.dumps(meta, indent=2) + "\n")
    print(json.dumps(meta, indent=2))


if __name__ == "__main__":
    main()
