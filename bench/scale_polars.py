"""The peer of bench/scale.sh: the dependency screen of every importer for one year, with persistence (dependent
in at least 2 of the 3 years ending in it), on a sovra trade store's Parquet files, with polars' lazy engine
(streaming). The same definitions as `sovra trade depend ALL --each` (docs/indicators.md): flows between two
different countries with a positive value; per (year, importer, product) imports M, HHI of suppliers Σm²/M²,
exports X of the importer, HHI of world exporters, M/X (9999 without exports); dependent when all three
criteria hold.

    python bench/scale_polars.py STORE YEAR OUT.csv

Reads the files the store's manifest lists (sovra-trade.json) for YEAR-2..YEAR, writes one row per importer
(importer, products, dependent, persistent) to OUT.csv and prints one JSON line: seconds (the query alone,
collect included), rows read.
"""
import json
import sys
import time
from pathlib import Path

import polars as pl

store, year, out = Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
manifest = json.loads((store / "sovra-trade.json").read_text())
years = [y for y in (year - 2, year - 1, year) if str(y) in manifest["years"]]
t0 = time.perf_counter()
parts, rows = [], 0
for y in years:
    e = manifest["years"][str(y)]
    files = [str(store / e["dir"] / f) for f in e["files"]]
    rows += e["rows"]
    parts.append(
        pl.scan_parquet(files).select("exporter", "importer", "product", "value").with_columns(pl.lit(y).alias("year"))
    )
f = pl.concat(parts).filter((pl.col("exporter") != pl.col("importer")) & (pl.col("value") > 0))
m = f.group_by("year", "importer", "product", "exporter").agg(pl.col("value").sum().alias("m"))
imp = m.group_by("year", "importer", "product").agg(
    pl.col("m").sum().alias("M"), (pl.col("m") ** 2).sum().alias("M2")
)
x = f.group_by("year", "exporter", "product").agg(pl.col("value").sum().alias("x"))
w = x.group_by("year", "product").agg(pl.col("x").sum().alias("W"), (pl.col("x") ** 2).sum().alias("W2"))
s = (
    imp.join(x, left_on=["year", "importer", "product"], right_on=["year", "exporter", "product"], how="left")
    .join(w, on=["year", "product"], how="left")
    .with_columns(
        (pl.col("M2") / pl.col("M") ** 2).alias("hhi_m"),
        (pl.col("W2") / pl.col("W") ** 2).alias("hhi_w"),
        pl.when(pl.col("x") > 0).then(pl.col("M") / pl.col("x")).otherwise(9999.0).alias("ratio"),
    )
    .with_columns(((pl.col("hhi_m") > 0.4) & (pl.col("hhi_w") > 0.4) & (pl.col("ratio") > 1.0)).alias("dependent"))
)
need = min(2, len(years))
dep_years = s.filter(pl.col("dependent")).group_by("importer", "product").agg(pl.len().alias("n"))
res = (
    s.filter(pl.col("year") == year)
    .join(dep_years, on=["importer", "product"], how="left")
    .with_columns((pl.col("n").fill_null(0) >= need).alias("persistent"))
    .group_by("importer")
    .agg(
        pl.len().alias("products"),
        pl.col("dependent").sum().alias("dependent"),
        # as sovra's column: the dependent products of the year that are persistent
        (pl.col("dependent") & pl.col("persistent")).sum().alias("persistent"),
    )
    .sort("importer")
)
df = res.collect(engine="streaming")
seconds = time.perf_counter() - t0
df.write_csv(out)
print(json.dumps({"seconds": seconds, "rows": rows, "importers": df.height}))
