"""Write the input of bench case f: a seeded synthetic product-level export table for economic complexity.

    python bench/complexity_gen.py OUT.csv

230 countries (C000..C229) x 5,000 products (P00000..P04999), one year (2022), long CSV with the header
`year,exporter,product,value`, every cell written (about 35 % of them as explicit 0 rows).

Values are lognormal with a country size and a product size effect, on top of a hidden nested structure:
each country has a capability and each product a complexity, and a country exports a product less often
(and less) the further the product's complexity is above its capability. Same idea as the conformance
table of conformance/complexity/dump.py, at the size of a full HS6-level year; seed 20261124.
"""
import sys
from pathlib import Path

import numpy as np

SEED = 20261124
N_COUNTRIES = 230
N_PRODUCTS = 5_000
YEAR = 2022


def synth() -> np.ndarray:
    """The country x product matrix of export values (0 where there is no trade), rounded to cents."""
    rng = np.random.default_rng(SEED)
    capability = rng.uniform(0.0, 1.0, N_COUNTRIES)
    complexity = rng.uniform(0.0, 1.0, N_PRODUCTS)
    log_csize = rng.normal(0.0, 1.5, N_COUNTRIES)
    log_psize = rng.normal(0.0, 1.0, N_PRODUCTS)
    gap = capability[:, None] - complexity[None, :]
    # no trade is likely when the product is beyond the country's capability (~35 % zeros overall)
    p_zero = 1.0 / (1.0 + np.exp(6.0 * gap + 1.1))
    no_trade = rng.uniform(0.0, 1.0, gap.shape) < p_zero
    noise = rng.normal(0.0, 1.0, gap.shape)
    log_value = 12.0 + log_csize[:, None] + log_psize[None, :] + 2.0 * gap + 1.2 * noise
    return np.where(no_trade, 0.0, np.round(np.exp(log_value), 2))


def main() -> None:
    if len(sys.argv) != 2:
        sys.exit("usage: complexity_gen.py OUT.csv")
    out = Path(sys.argv[1])
    values = synth()
    countries = [f"C{i:03d}" for i in range(N_COUNTRIES)]
    products = [f"P{j:05d}" for j in range(N_PRODUCTS)]
    tmp = out.with_name(out.name + ".tmp")
    with open(tmp, "w", newline="\n") as f:
        f.write("year,exporter,product,value\n")
        for i, country in enumerate(countries):
            prefix = f"{YEAR},{country},"
            f.write("".join(
                f"{prefix}{p},{v:.2f}\n" if v else f"{prefix}{p},0\n" for p, v in zip(products, values[i].tolist())
            ))
    tmp.replace(out)
    zeros = float((values == 0).mean())
    print(f"wrote {out}: {N_COUNTRIES} countries x {N_PRODUCTS} products, year {YEAR}, "
          f"{values.size} rows, {zeros:.1%} zeros", file=sys.stderr)


if __name__ == "__main__":
    main()
