#!/usr/bin/env bash
# Computes sovra's monitoring KPIs (`sovra monitor`) and structural decompositions (`sovra decompose`)
# independently in numpy (dense inverses, textbook definitions of docs/monitoring.md) on the real WIOD 2013
# series 1995-2011, and dumps them into OUTDIR/monitoring/{kpis.json,decompose.json}:
#   bash conformance/monitoring/run.sh OUTDIR
# Skipped with a notice when ../shared/data/wiod2013 is absent. Needs the conformance venv (numpy), which
# conformance/pymrio/run.sh creates when it is missing. Quick when the dump exists for the same dump.py and
# the same WIOD files (OUTDIR/monitoring/DONE).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
out="${1:?usage: run.sh OUTDIR}"
venv="${SOVRA_CONFORMANCE_VENV:-/tmp/sovra-conformance-venv}"
wiod="${SOVRA_SHARED_DATA:-${SOVRA_SHARED:-$repo/../shared}/data}/wiod2013"

if ! ls "$wiod"/wiod2013_*.csv.gz > /dev/null 2>&1; then
  echo "NOTICE: ../shared/data/wiod2013 is absent: the monitoring conformance dump is skipped"
  exit 0
fi
[ -x "$venv/bin/python" ] || bash "$here/../pymrio/run.sh" "$out"

sizes="$(for f in "$wiod"/wiod2013_*.csv.gz; do printf '%s:%s ' "$(basename "$f")" "$(stat -c %s "$f")"; done)"
stamp="dump.py $(sha256sum "$here/dump.py" | cut -c1-16); wiod ${sizes% }"
# shellcheck source=../dump-once.sh
source "$here/../dump-once.sh"
dump() {
  OMP_NUM_THREADS="${OMP_NUM_THREADS:-2}" "$venv/bin/python" "$here/dump.py" "$1" "$wiod"
}
dump_once monitoring "$stamp"
