#!/usr/bin/env bash
# Computes the effects of the fixed projects in projects.toml on icio2022 independently in numpy (dense
# inverses of every changed table) and solves the same portfolio selections with scipy.optimize.milp (HiGHS)
# and by brute force over every subset; dumps them into OUTDIR/projects:
#   bash conformance/projects/run.sh OUTDIR
# Needs the pymrio conformance venv (conformance/pymrio/run.sh OUTDIR creates it; scipy comes with pymrio,
# pinned here).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="${1:?usage: run.sh OUTDIR}"
venv="${SOVRA_CONFORMANCE_VENV:-/tmp/sovra-conformance-venv}"
# shellcheck source=../peer-wheel.sh
source "$here/../peer-wheel.sh"
if ! "$venv/bin/python" -c 'import scipy, sys; sys.exit(scipy.__version__ != "1.17.1")' 2>/dev/null; then
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check scipy==1.17.1
fi

stamp="dump.py $(sha256sum "$here/dump.py" | cut -c1-16); projects $(sha256sum "$here/projects.toml" | cut -c1-16); wheel $(basename "$wheel"); scipy 1.17.1"
# shellcheck source=../dump-once.sh
source "$here/../dump-once.sh"
dump() {
  OMP_NUM_THREADS="${OMP_NUM_THREADS:-2}" "$venv/bin/python" "$here/dump.py" "$1" "$wheel" "$here/projects.toml"
}
dump_once projects "$stamp"
