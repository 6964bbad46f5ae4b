"""The numpy side of bench case c: every dependency indicator and key-sector exposure for every country of
icio2022 (as "us" on its own) against one bloc, with full inverses formed once and reused — the way a
careful numpy implementation would do it. Includes reading the table from the wheel.

Usage: python dependency_numpy.py WHEEL THEM_CODES   (e.g. ARE,BRA,CHN,EGY,IDN,IND,RUS,ZAF)
Prints one JSON line: {"seconds": …, "countries": …, "checksum": …}.
"""
import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "conformance", "dependency"))
import numpy as np  # noqa: E402
from dump import icio2022  # noqa: E402


def main():
    wheel, them_codes = sys.argv[1], sys.argv[2].split(",")
    t0 = time.perf_counter()
    t = icio2022(wheel)
    Z, Y, x, v = t["Z"], t["Y"], t["x"], t["v"]
    regions, ns = t["regions"], len(t["sectors"])
    n, nr = len(x), len(regions)
    reg_of = np.repeat(np.arange(nr), ns)
    ti = [regions.index(c) for c in them_codes]
    T = np.isin(reg_of, ti)
    N = ~T
    safe_x = np.where(x > 0, x, 1.0)
    A = Z / safe_x[None, :] * (x > 0)[None, :]
    B = Z / safe_x[:, None] * (x > 0)[:, None]
    nu = np.where(x > 0, v / safe_x, 0.0)
    L = np.linalg.inv(np.eye(n) - A)
    G = L * safe_x[None, :] / safe_x[:, None]                     # x̂⁻¹ L x̂
    w_t = nu[T] @ L[T, :]
    GNN = np.linalg.inv(np.eye(N.sum()) - B[np.ix_(N, N)])
    sales_total = np.zeros(n)
    sales_total[N] = GNN @ B[np.ix_(N, T)].sum(axis=1)            # no final demand by destination in icio2022
    sales_direct = Z[:, T].sum(axis=1) / safe_x
    inputs = Z.sum(axis=0)
    from_them = Z[T, :].sum(axis=0)
    by_origin = Z.reshape(nr, ns, n).sum(axis=1)                  # inputs of each column by origin region
    checksum = 0.0
    countries = 0
    for r in range(nr):
        if r in ti:
            continue
        countries += 1
        U = reg_of == r
        S = U | T
        LS = np.linalg.inv(np.eye(S.sum()) - A[np.ix_(S, S)])
        w_cut = nu[S & T] @ LS[T[S], :]
        cols = np.where(U)[0]
        via = w_t[cols] - w_cut[U[S]]
        w_u = nu[U] @ L[np.ix_(U, cols)]
        foreign = by_origin[:, cols].copy()
        foreign[r, :] = 0.0
        tot = foreign.sum(axis=0)
        shares = np.divide(foreign, tot, out=np.zeros_like(foreign), where=tot > 0)
        hhi = (shares ** 2).sum(axis=0)
        top = shares.max(axis=0)
        direct = np.divide(from_them[cols], inputs[cols], out=np.zeros(len(cols)), where=inputs[cols] > 0)
        g = G[np.ix_(cols, cols)].sum(axis=1)
        exposed = from_them[cols] * g
        active = x[cols] > 0
        checksum += float(np.sum((w_t[cols] + via + w_u + hhi + top + direct + sales_direct[cols]
                                  + sales_total[cols] + exposed * 1e-6)[active]))
    seconds = time.perf_counter() - t0
    print(json.dumps({"seconds": seconds, "countries": countries, "checksum": checksum}))


if __name__ == "__main__":
    main()
