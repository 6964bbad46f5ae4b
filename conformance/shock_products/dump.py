"""Independent numpy check of product-level shock legs (see run.sh).

Writes into OUTDIR:
  trade.csv            a synthetic trade year 2022 on real codes (year,exporter,importer,product,value)
  expected_blocks.csv  seller,sector,buyer,share,basis for every block the scenario severs in part

Re-implements, from docs/shock.md "Product legs" and the shipped concordance only:
  - the bridge: HS6 -> ISIC Rev.4 classes; classes that make no goods (divisions 33 and 41-99) dropped when a
    goods-making one remains; equal parts per class; classes -> ICIO sectors by the ICIO 2025 definitions;
  - the share: sigma = sum_{p in P} w(p,s) T(p) / sum_p w(p,s) T(p) (as named / (named + other): exactly 0
    or 1 when one part is empty), T the pair's trade, else the seller's exports to everyone, else 1 for every
    code.
"""
import csv
import os
import sys

import numpy as np

try:
    import tomllib
except ImportError:  # Python < 3.11
    tomllib = None

YEAR = 2022
# The 80 countries of the OECD ICIO 2025 release (its aggregates ROW, MX1, MX2, CN1, CN2 left out).
COUNTRIES = (
    "AGO ARE ARG AUS AUT BEL BGD BGR BLR BRA BRN CAN CHE CHL CHN CIV CMR COD COL CRI CYP CZE DEU DNK EGY ESP "
    "EST FIN FRA GBR GRC HKG HRV HUN IDN IND IRL ISL ISR ITA JOR JPN KAZ KHM KOR LAO LTU LUX LVA MAR MEX MLT "
    "MMR MYS NGA NLD NOR NZL PAK PER PHL POL PRT ROU RUS SAU SEN SGP STP SVK SVN SWE THA TUN TUR TWN UKR USA "
    "VNM ZAF"
).split()
SECTIONS = {
    "I": (1, 5), "II": (6, 14), "III": (15, 15), "IV": (16, 24), "V": (25, 27), "VI": (28, 38),
    "VII": (39, 40), "VIII": (41, 43), "IX": (44, 46), "X": (47, 49), "XI": (50, 63), "XII": (64, 67),
    "XIII": (68, 70), "XIV": (71, 71), "XV": (72, 83), "XVI": (84, 85), "XVII": (86, 89),
    "XVIII": (90, 92), "XIX": (93, 93), "XX": (94, 96), "XXI": (97, 97),
}


def icio(cls):
    d, g = int(cls[:2]), int(cls[:3])
    table = [
        ((1, 1), "A01"), ((2, 2), "A02"), ((3, 3), "A03"), ((5, 5), "B05"), ((6, 6), "B06"), ((7, 7), "B07"),
        ((8, 8), "B08"), ((9, 9), "B09"), ((10, 12), "C10T12"), ((13, 15), "C13T15"), ((16, 16), "C16"),
        ((17, 18), "C17_18"), ((19, 19), "C19"), ((20, 20), "C20"), ((21, 21), "C21"), ((22, 22), "C22"),
        ((23, 23), "C23"), ((25, 25), "C25"), ((26, 26), "C26"), ((27, 27), "C27"), ((28, 28), "C28"),
        ((29, 29), "C29"), ((31, 33), "C31T33"), ((35, 35), "D"), ((36, 39), "E"), ((41, 43), "F"),
        ((45, 47), "G"), ((49, 49), "H49"), ((50, 50), "H50"), ((51, 51), "H51"), ((52, 52), "H52"),
        ((53, 53), "H53"), ((55, 56), "I"), ((58, 60), "J58T60"), ((61, 61), "J61"), ((62, 63), "J62_63"),
        ((64, 66), "K"), ((68, 68), "L"), ((69, 75), "M"), ((77, 82), "N"), ((84, 84), "O"), ((85, 85), "P"),
        ((86, 88), "Q"), ((90, 93), "R"), ((94, 96), "S"), ((97, 98), "T"),
    ]
    if d == 24:
        return "C24A" if g == 241 or cls.startswith("2431") else "C24B"
    if d == 30:
        return "C301" if g == 301 else "C302T309"
    for (lo, hi), s in table:
        if lo <= d <= hi:
            return s
    raise ValueError(cls)


def bridge(path):
    """code -> {sector: weight}"""
    out = {}
    with open(path) as f:
        for r in csv.DictReader(f):
            classes = r["isic4"].split()
            if not classes:
                continue
            made = [c for c in classes if int(c[:2]) <= 32 or 35 <= int(c[:2]) <= 39] or classes
            w = {}
            for c in made:
                s = icio(c)
                w[s] = w.get(s, 0.0) + 1.0 / len(made)
            out[r["hs6"]] = w
    return out


def expand(items, codes):
    out = set()
    for it in items:
        it = it.strip()
        sec = it.upper().replace("SECTION", "").strip(" :")
        if sec in SECTIONS:
            lo, hi = SECTIONS[sec]
            out |= {c for c in codes if lo <= int(c[:2]) <= hi}
        else:
            out |= {c for c in codes if c.startswith(it)}
    return out


def read_toml(path):
    if tomllib is not None:
        with open(path, "rb") as f:
            return tomllib.load(f)
    raise SystemExit("Python 3.11+ (tomllib) is needed")


def main(outdir, bridge_path, scenario_path):
    os.makedirs(outdir, exist_ok=True)
    w = bridge(bridge_path)
    codes = sorted(w)
    sectors = sorted({s for v in w.values() for s in v})
    sidx = {s: k for k, s in enumerate(sectors)}
    cidx = {c: k for k, c in enumerate(codes)}
    W = np.zeros((len(sectors), len(codes)))
    for c, v in w.items():
        for s, x in v.items():
            W[sidx[s], cidx[c]] = x

    # The synthetic year: each exporter trades a random fifth of the codes with a random third of the
    # others, lognormal values. TWN exports nothing (its blocks take default weights); NLD sells CHN only
    # food (chapters 01-24: its blocks in the chips' sectors take NLD's exports to everyone).
    rng = np.random.default_rng(20221231)
    nc, npr = len(COUNTRIES), len(codes)
    T = {}  # (exporter, importer) -> vector over codes
    rows = []
    for e, ex in enumerate(COUNTRIES):
        if ex == "TWN":
            continue
        sold = rng.random(npr) < 0.2
        importers = [j for j in range(nc) if j != e and rng.random() < 0.33]
        for ex_to in ("CHN", "USA", "JPN"):
            j = COUNTRIES.index(ex_to)
            if j != e and j not in importers:
                importers.append(j)
        for j in sorted(importers):
            im = COUNTRIES[j]
            mask = sold & (rng.random(npr) < 0.6)
            if ex == "NLD" and im == "CHN":
                mask &= np.array([int(c[:2]) <= 24 for c in codes])
            if ex == "CHN" and im in ("USA", "JPN"):
                mask |= np.array([c.startswith(("2805", "8112", "2846")) for c in codes])
            v = np.round(np.exp(rng.normal(3.0, 2.0, npr)) * 1000.0) / 1000.0
            v = np.where(mask & (v > 0), v, 0.0)
            if v.any():
                T[(ex, im)] = v
                for k in np.nonzero(v)[0]:
                    rows.append((YEAR, ex, im, codes[k], v[k]))
    with open(os.path.join(outdir, "trade.csv"), "w", newline="") as f:
        wr = csv.writer(f, lineterminator="\n")
        wr.writerow(["year", "exporter", "importer", "product", "value"])
        for r in rows:
            wr.writerow([r[0], r[1], r[2], r[3], repr(float(r[4]))])
    totals = {}
    for (ex, _), v in T.items():
        totals[ex] = totals.get(ex, 0.0) + v

    def share(s, named_mask, seller, buyer):
        for vec, basis in ((T.get((seller, buyer)), "pair"), (totals.get(seller), "exporter")):
            if vec is None:
                continue
            wt = W[s] * vec
            named, other = wt[named_mask].sum(), wt[~named_mask].sum()
            if named + other > 0:
                return named / (named + other), basis
        wt = W[s]
        named, other = wt[named_mask].sum(), wt[~named_mask].sum()
        return named / (named + other), "default"

    sc = read_toml(scenario_path)
    out = []
    for leg in sc["leg"]:
        named = expand(leg["products"], codes)
        mask = np.array([c in named for c in codes])
        secs = sorted({sidx[s] for c in named for s in w[c]})
        a, b = leg["sanctioning"].split("+"), leg["target"].split("+")
        pairs = []
        if leg["instrument"] in ("export-ban", "embargo"):
            pairs += [(x, y) for x in a for y in b]
        if leg["instrument"] in ("import-ban", "embargo"):
            pairs += [(y, x) for x in a for y in b]
        for seller, buyer in pairs:
            for s in secs:
                sh, basis = share(s, mask, seller, buyer)
                if sh > 0:
                    out.append((seller, sectors[s], buyer, sh, basis))
    with open(os.path.join(outdir, "expected_blocks.csv"), "w", newline="") as f:
        wr = csv.writer(f, lineterminator="\n")
        wr.writerow(["seller", "sector", "buyer", "share", "basis"])
        for r in out:
            wr.writerow([r[0], r[1], r[2], repr(float(r[3])), r[4]])
    bases = {}
    for r in out:
        bases[r[4]] = bases.get(r[4], 0) + 1
    print(f"shock_products: {len(rows)} trade rows, {len(out)} blocks {bases}")


if __name__ == "__main__":
    main(*sys.argv[1:4])
