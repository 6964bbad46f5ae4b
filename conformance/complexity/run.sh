#!/usr/bin/env bash
# Dumps the reference output of the peer package ecomplexity==0.5.3 (py-ecomplexity) on a seeded synthetic
# trade table (120 countries x 600 products x 2 years) into OUTDIR/complexity:
#   bash conformance/complexity/run.sh OUTDIR
# Uses the conformance venv (numpy/pandas pinned there); installs ecomplexity into it if missing, with a
# constraints file so that its dependencies (scikit-learn, scipy, ...) cannot change numpy or pandas.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="${1:?usage: run.sh OUTDIR}"
venv="${SOVRA_CONFORMANCE_VENV:-/tmp/sovra-conformance-venv}"
[ -x "$venv/bin/python" ] || bash "$here/../pymrio/run.sh" "$out"

if ! "$venv/bin/python" -c "import ecomplexity" 2>/dev/null; then
  cons="$(mktemp)"
  "$venv/bin/python" -c "import numpy, pandas; print(f'numpy=={numpy.__version__}'); print(f'pandas=={pandas.__version__}')" > "$cons"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -c "$cons" ecomplexity==0.5.3
  rm -f "$cons"
fi
peer="$("$venv/bin/python" -c "import importlib.metadata as m; print('ecomplexity', m.version('ecomplexity'), 'numpy', m.version('numpy'), 'pandas', m.version('pandas'))")"
case "$peer" in
  "ecomplexity 0.5.3 "*) ;;
  *) echo "expected ecomplexity 0.5.3 in $venv, found: $peer" >&2; exit 1 ;;
esac

stamp="dump.py $(sha256sum "$here/dump.py" | cut -c1-16); $peer"
# shellcheck source=../dump-once.sh
source "$here/../dump-once.sh"
dump() {
  OMP_NUM_THREADS="${OMP_NUM_THREADS:-2}" PYTHONHASHSEED=0 "$venv/bin/python" "$here/dump.py" "$1"
}
dump_once complexity "$stamp"
