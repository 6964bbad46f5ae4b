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
if [ -f "$out/dependency/DONE" ] && [ "$(cat "$out/dependency/DONE")" = "$stamp" ]; then
  echo "dependency dump is up to date in $out/dependency"
  exit 0
fi
tmp="$out/dependency.tmp.$$"
rm -rf "$tmp"
trap 'rm -rf "$tmp"' EXIT
OMP_NUM_THREADS="${OMP_NUM_THREADS:-2}" "$venv/bin/python" "$here/dump.py" "$tmp" "$wheel" "$out/pymrio"
echo "$stamp" > "$tmp/DONE"
rm -rf "$out/dependency"
mv "$tmp" "$out/dependency"
trap - EXIT
echo "dependency dump written to $out/dependency"
