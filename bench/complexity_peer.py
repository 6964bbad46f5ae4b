"""py-ecomplexity 0.5.3 side of bench case f: ecomplexity() with default options on a long CSV.

    python bench/complexity_peer.py IN.csv

Reads IN.csv (`year,exporter,product,value`) with pandas (not timed), times only the ecomplexity() call
(RCA, M, diversity, ubiquity, ECI, PCI, density, COI, COG; proximity is computed inside it) and prints one JSON
line: {"seconds", "rows", "eci_first" (ECI of the first country, C000), "eci_top" ([country, ECI] of the
highest-ECI country), "countries", "products"}.
"""
import json
import sys
import time
import warnings

import pandas as pd

from ecomplexity import ecomplexity

COLS = {"time": "year", "loc": "exporter", "prod": "product", "val": "value"}


def main() -> None:
    if len(sys.argv) != 2:
        sys.exit("usage: complexity_peer.py IN.csv")
    data = pd.read_csv(sys.argv[1], dtype={"exporter": str, "product": str})
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = ecomplexity(data, COLS)  # default options: presence_test="rca", rca_mcp_threshold=1, ...
    seconds = time.perf_counter() - t0
    eci = res.groupby("exporter")["eci"].first().sort_index()
    top = eci.idxmax()
    print(json.dumps({
        "seconds": seconds,
        "rows": int(len(res)),
        "countries": int(res["exporter"].nunique()),
        "products": int(res["product"].nunique()),
        "eci_first": float(eci.iloc[0]),
        "eci_top": [top, float(eci[top])],
    }))


if __name__ == "__main__":
    main()
