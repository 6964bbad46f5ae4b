#!/usr/bin/env bash
# Computes sovra's dependency indicators independently in numpy (full inverses) and dumps them into
# OUTDIR/dependency, for icio2022 (built from the sanction-simulator wheel, fetched with pip) and WIOD 2011
# (from the pymrio dump, when ../shared is present):
#   bash conformance/dependency/run.sh OUTDIR
# Needs the pymrio conformance venv (conformance/pymrio/run.sh OUTDIR runs first and creates it).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="${1:?usage: run.sh OUTDIR}"
venv="${SOVRA_CONFORMANCE_VENV:-/tmp/sovra-conformance-venv}"
# shellcheck source=../peer-wheel.sh
source "$here/../peer-wheel.sh"

stamp="dump.py $(sha256sum "$here/dump.py" | cut -c1-16); wheel $(basename "$wheel"); wiod $( [ -d "$out/pymrio/wiod2011/input" ] && echo yes || echo no)"
# shellcheck source=../dump-once.sh
source "$here/../dump-once.sh"
dump() {
  OMP_NUM_THREADS="${OMP_NUM_THREADS:-2}" "$venv/bin/python" "$here/dump.py" "$1" "$wheel" "$out/pymrio"
}
dump_once dependency "$stamp"
