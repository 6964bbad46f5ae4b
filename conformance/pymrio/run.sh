#!/usr/bin/env bash
# Installs pymrio 0.7.0 in a venv (under /tmp by default) and dumps its reference numbers into OUTDIR/pymrio:
#   bash conformance/pymrio/run.sh OUTDIR
# Quick when the dump exists for the same versions and inputs (OUTDIR/pymrio/DONE).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="${1:?usage: run.sh OUTDIR}"
venv="${SOVRA_CONFORMANCE_VENV:-/tmp/sovra-conformance-venv}"
shared="${SOVRA_SHARED_DATA:-$here/../../../shared/data}"
pins=(pymrio==0.7.0 numpy==2.4.6 pandas==3.1.1)

if ! "$venv/bin/python" -c 'import pymrio, sys; sys.exit(pymrio.__version__ != "0.7.0")' 2>/dev/null; then
  echo "creating $venv with ${pins[*]}"
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "${pins[@]}"
fi

stamp="pymrio 0.7.0; dump.py $(sha256sum "$here/dump.py" | cut -c1-16); wiod $( [ -f "$shared/wiod2013/wiod2013_2011.csv.gz" ] && echo yes || echo no)"
# shellcheck source=../dump-once.sh
source "$here/../dump-once.sh"
dump() {
  "$venv/bin/python" "$here/dump.py" "$1" "$shared"
}
dump_once pymrio "$stamp"
