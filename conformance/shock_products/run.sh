#!/usr/bin/env bash
# Product-level shock legs, checked independently: dump.py writes a synthetic trade year on real codes (the
# 80 ICIO countries × HS6 codes of the product bridge, numpy's seeded generator) and, re-implementing the
# bridge (HS6 → ISIC Rev.4 → ICIO sector, the split rule of docs/shock.md) and the severed-share formula in
# numpy from the shipped concordance, the share of every block the scenario in scenario.toml severs. The Rust
# test `conformance_shock_products` imports the year into a trade store, runs the scenario on icio2022 and
# compares its `blocks` table (1e-9):
#   bash conformance/shock_products/run.sh OUTDIR
# Needs the pymrio conformance venv (numpy; conformance/pymrio/run.sh OUTDIR creates it).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="${1:?usage: run.sh OUTDIR}"
venv="${SOVRA_CONFORMANCE_VENV:-/tmp/sovra-conformance-venv}"
[ -x "$venv/bin/python" ] || bash "$here/../pymrio/run.sh" "$out"
bridge="$here/../../crates/sovra-core/data/hs_isic4/hs6_isic4.csv"
stamp="dump.py $(sha256sum "$here/dump.py" | cut -c1-16); scenario $(sha256sum "$here/scenario.toml" | cut -c1-16); bridge $(sha256sum "$bridge" | cut -c1-16)"
# shellcheck source=../dump-once.sh
source "$here/../dump-once.sh"
dump() {
  "$venv/bin/python" "$here/dump.py" "$1" "$bridge" "$here/scenario.toml"
}
dump_once shock_products "$stamp"
