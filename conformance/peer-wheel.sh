# Sourced by the conformance scripts that run sanction-simulator 0.1.4: makes sure the conformance venv exists
# (conformance/pymrio/run.sh creates it) and sets $wheel to the peer's wheel in $out/wheels, downloading it
# with pip the first time. Needs $here (the calling script's directory), $out and $venv.
[ -x "$venv/bin/python" ] || bash "$here/../pymrio/run.sh" "$out"
wheels="$out/wheels"
mkdir -p "$wheels"
wheel="$(ls "$wheels"/sanction_simulator-0.1.4-*.whl 2>/dev/null | head -n1 || true)"
if [ -z "$wheel" ]; then
  "$venv/bin/python" -m pip download --quiet --disable-pip-version-check --no-deps \
    sanction-simulator==0.1.4 -d "$wheels"
  wheel="$(ls "$wheels"/sanction_simulator-0.1.4-*.whl | head -n1)"
fi
