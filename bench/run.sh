#!/usr/bin/env bash
# sovra against pymrio 0.7.0 on the same real (a) and generated (b) input, in one run; prints a markdown table
# with min/median wall time, peak memory and the ratios sovra/pymrio.
#   bash bench/run.sh [a|b|c|all]        BENCH_RUNS=3 by default
# a: icio2022 (OECD ICIO 2022, 4,000 nodes): load + x + A + output and value-added multipliers for every node
#    (`sovra multipliers`) vs pymrio calc_system() + calc_extensions() (value added as the extension).
# b: EXIOBASE-sized synthetic table (9,800 nodes, 9 % dense, fixed seed): value-added footprints D_cba, D_pba,
#    D_imp, D_exp (`sovra footprint`) vs pymrio calc_all().
# c: icio2022, every country on its own against BRICS (as of 2025-06-30): all dependency indicators and
#    key-sector exposure (`sovra depend ALL-BRICS --on BRICS --each`) vs a numpy implementation with full
#    inverses formed once (bench/dependency_numpy.py), both including reading the table.
# sovra's time includes loading the table; pymrio's does not include reading the arrays into DataFrames.
set -euo pipefail
cd "$(dirname "$0")/.."
which="${1:-all}"
runs="${BENCH_RUNS:-3}"
venv="${SOVRA_CONFORMANCE_VENV:-/tmp/sovra-conformance-venv}"
work="${SOVRA_BENCH_DIR:-/tmp/sovra-bench}"
target="${CARGO_TARGET_DIR:-$PWD/target}"
sovra="$target/release/sovra"
home="$work/home"

cargo build --release --bin sovra -q
bash conformance/pymrio/run.sh "$target/conformance" > /dev/null   # makes sure the pymrio venv exists
mkdir -p "$home/datasets"
user_store="${SOVRA_HOME:-${XDG_DATA_HOME:-$HOME/.local/share}/sovra}"
"$sovra" data fetch > /dev/null
ln -sfn "$user_store/datasets/icio2022" "$home/datasets/icio2022"
if [ ! -f "$home/datasets/exio-synth/meta.json" ]; then
  echo "generating the EXIOBASE-sized table (once) …" >&2
  "$venv/bin/python" bench/gen_mrio.py --out "$home/datasets/exio-synth"
fi

# time_cmd LABEL CMD… → appends "seconds peak_kb" lines to $work/LABEL.times
time_runs() {
  local label="$1"; shift
  : > "$work/$label.times"
  for _ in $(seq "$runs"); do
    /usr/bin/time -f "%e %M" -o "$work/$label.one" "$@" > "$work/$label.out"
    if [[ "$label" == pymrio* || "$label" == numpy* ]]; then   # pymrio: time of the calculation only, memory of the whole process
      secs=$(python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).read().strip().splitlines()[-1])["seconds"])' "$work/$label.out")
      echo "$secs $(cut -d' ' -f2 "$work/$label.one")" >> "$work/$label.times"
    else
      cat "$work/$label.one" >> "$work/$label.times"
    fi
  done
}

stats() {  # prints "min median peakMB" of a .times file
  python3 - "$1" <<'PY'
import statistics, sys
rows = [tuple(map(float, l.split())) for l in open(sys.argv[1]) if l.strip()]
t = sorted(r[0] for r in rows)
print(f"{t[0]:.3f} {statistics.median(t):.3f} {max(r[1] for r in rows) / 1024:.0f}")
PY
}

echo "| case | tool | runs | min s | median s | peak RSS MB | time ratio (median) | memory ratio |"
echo "|---|---|---|---|---|---|---|---|"
row() {  # case label_sovra label_pymrio
  read -r smin smed smem < <(stats "$work/$2.times")
  read -r pmin pmed pmem < <(stats "$work/$3.times")
  tr=$(python3 -c "print(f'{$smed/$pmed:.3f}')"); mr=$(python3 -c "print(f'{$smem/$pmem:.2f}')")
  echo "| $1 | sovra | $runs | $smin | $smed | $smem | **$tr** | **$mr** |"
  echo "| $1 | pymrio 0.7.0 | $runs | $pmin | $pmed | $pmem | 1 | 1 |"
}
if [[ "$which" == a || "$which" == all ]]; then
  time_runs sovra_a env SOVRA_HOME="$home" "$sovra" multipliers icio2022 --format csv --out /dev/null
  time_runs pymrio_a "$venv/bin/python" bench/pymrio_side.py "$home/datasets/icio2022" --task system
  row "a: icio2022 multipliers (4,000 nodes)" sovra_a pymrio_a
fi
if [[ "$which" == b || "$which" == all ]]; then
  time_runs sovra_b env SOVRA_HOME="$home" "$sovra" footprint exio-synth --stressor "value added" --format csv --out /dev/null
  time_runs pymrio_b "$venv/bin/python" bench/pymrio_side.py "$home/datasets/exio-synth" --task footprint
  row "b: 9,800-node value-added footprints" sovra_b pymrio_b
fi
if [[ "$which" == c || "$which" == all ]]; then
  wheel="$(ls "$user_store"/cache/wheels/sanction_simulator-0.1.4-*.whl | head -n1)"
  time_runs sovra_c env SOVRA_HOME="$home" "$sovra" depend ALL-BRICS --on BRICS --each --as-of 2025-06-30 --format csv --out /dev/null
  time_runs numpy_c "$venv/bin/python" bench/dependency_numpy.py "$wheel" ARE,BRA,CHN,EGY,IDN,IND,RUS,ZAF
  row "c: icio2022 dependency, 72 countries vs BRICS" sovra_c numpy_c | sed 's/pymrio 0.7.0/numpy (full inverses)/'
fi
