#!/usr/bin/env bash
# Runs the peer shock engine, sanction-simulator 0.1.4 (through its public API, numpy + pandas only), on 11
# sanction scenarios with its default parameters and dumps the results into OUTDIR/shock:
#   bash conformance/shock/run.sh OUTDIR
# Needs the pymrio conformance venv (conformance/pymrio/run.sh OUTDIR runs first and creates it).
# Quick when the dump exists for the same dump.py and wheel (OUTDIR/shock/DONE).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="${1:?usage: run.sh OUTDIR}"
venv="${SOVRA_CONFORMANCE_VENV:-/tmp/sovra-conformance-venv}"
# shellcheck source=../peer-wheel.sh
source "$here/../peer-wheel.sh"

stamp="dump.py $(sha256sum "$here/dump.py" | cut -c1-16); wheel $(basename "$wheel")"
# shellcheck source=../dump-once.sh
source "$here/../dump-once.sh"
dump() {
  OMP_NUM_THREADS="${OMP_NUM_THREADS:-2}" "$venv/bin/python" "$here/dump.py" "$1" "$wheel"
}
dump_once shock "$stamp"
