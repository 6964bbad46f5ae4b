#!/usr/bin/env bash
# Scale, measured (issue 18): a BACI-like history of synthetic years imported into a trade store, then the
# screens the trade commands run on it as DataFusion plans — on one machine under a memory limit, and on a
# local Apache Ballista cluster (a scheduler and two executors on loopback) — with polars' lazy engine on the
# same Parquet files and the same screen, side by side in one run.
#
#   bash bench/scale.sh                       30 years (1995–2024) × ~10.7 M rows ≈ 320 M rows (BACI-sized years)
#   SCALE_YEARS=4 SCALE_DEST=5 bash bench/scale.sh      a small history (the same steps, a minute)
#
# Steps, each timed with its peak resident memory (/usr/bin/time):
#   synth    `sovra trade synth --years FIRST:LAST --baci` (200 countries × 5,000 products, SCALE_DEST (50)
#            destinations per exported product: ~10.7 M rows a year, as BACI; one year in memory at a time)
#   import   `sovra trade import` of every year (streamed; the duplicate check spills to disk), then the CSVs removed
#   each     `sovra trade depend ALL --each --year LAST` — the screen of every importer with persistence (3 years read)
#   suppliers `sovra trade suppliers C180+C190+C200 --all-dependent --year LAST` — suppliers for every product
#            that bloc of three small synthetic countries depends on
#   complexity `sovra complexity --input STORE` — every year
#   polars   bench/scale_polars.py: the `each` screen with polars (streaming); its per-importer counts of dependent
#            and persistent products must equal sovra's, or the bench fails
# Every sovra step runs with --memory-limit ${SCALE_MEMORY:-4GB}; the cluster steps (a sovra built with --features
# cluster) again with --cluster df://127.0.0.1:PORT, each executor with half the memory limit.
set -euo pipefail
cd "$(dirname "$0")/.."
target="${CARGO_TARGET_DIR:-$PWD/target}"
years="${SCALE_YEARS:-30}"; dest="${SCALE_DEST:-50}"; mem="${SCALE_MEMORY:-4}"
bloc="C180+C190+C200"
last=2024; first=$((last - years + 1))
work="${SCALE_WORK:-$target/bench-scale}"
rm -rf "$work"; mkdir -p "$work"
echo "== building sovra (release, --features cluster)"
cargo build --release -p sovra-cli --features cluster --bin sovra 2>&1 | tail -n 1
sovra="$target/release/sovra"
venv=/tmp/sovra-bench-polars
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/python" -c 'import polars' 2>/dev/null || "$venv/bin/pip" install -q 'polars==2.1.0'

results="$work/results.md"
echo "| step | tool | seconds | peak RSS MB |" > "$results"
echo "|---|---|---|---|" >> "$results"
timed() {  # label cmd…: runs once, appends "| label | seconds | MB |"
  local label="$1" tool="$2"; shift 2
  local t0 t1
  t0=$(date +%s%N)
  if ! /usr/bin/time -f "%M" -o "$work/$label.rss" "$@" > "$work/$label.out" 2> "$work/$label.err"; then
    cat "$work/$label.err" >&2; echo "scale: $label failed: $*" >&2; exit 1
  fi
  t1=$(date +%s%N)
  local secs mb
  secs=$(python3 -c "print(f'{($t1 - $t0) / 1e9:.1f}')")
  mb=$(( $(tail -n1 "$work/$label.rss") / 1024 ))
  echo "| $label | $tool | $secs | $mb |" | tee -a "$results"
}

store="$work/store"
timed synth sovra "$sovra" trade synth --years "$first:$last" --baci --countries 200 --products 5000 \
  --destinations "$dest" --out "$work/synth"
timed import sovra "$sovra" trade import "$work"/synth/BACI_HS92_Y*_Vsynth.csv --country-codes "$work/synth/country_codes_synth.csv" \
  --store "$store" --memory-limit "$mem" --format json --out "$work/import.json"
csv_bytes=$(du -sb "$work/synth" | cut -f1)
rm -rf "$work/synth"
rows=$(python3 -c "import json; m = json.load(open('$store/sovra-trade.json')); print(sum(e['rows'] for e in m['years'].values()))")
store_bytes=$(du -sb "$store" | cut -f1)

local_flags=(--input "$store" --memory-limit "${mem}GB")
timed each sovra "$sovra" trade depend ALL --each --year "$last" "${local_flags[@]}" --format csv --out "$work/each.csv"
timed suppliers sovra "$sovra" trade suppliers "$bloc" --all-dependent --year "$last" "${local_flags[@]}" --format csv --out /dev/null
timed complexity sovra "$sovra" complexity --input "$store" --memory-limit "${mem}GB" --format csv --out /dev/null
timed each polars "$venv/bin/python" bench/scale_polars.py "$store" "$last" "$work/each_polars.csv"

echo "== the same screen, two engines: per-importer counts of dependent and persistent products"
python3 - "$work/each.csv" "$work/each_polars.csv" <<'PY'
import csv, sys
ours = {}
for r in csv.DictReader(l for l in open(sys.argv[1]) if not l.startswith("#")):
    ours[r["importer"]] = (int(r["dependent"]), int(r["persistent"]))
theirs = {r["importer"]: (int(r["dependent"]), int(r["persistent"])) for r in csv.DictReader(open(sys.argv[2]))}
if not any(v[0] for v in ours.values()):
    sys.exit("scale: no dependent product at all: the comparison would prove nothing")
common = sorted(set(ours) & set(theirs))
bad = [(c, ours[c], theirs[c]) for c in common if ours[c] != theirs[c]]
if not common or bad:
    sys.exit(f"scale: sovra and polars disagree: {bad[:5]} (of {len(common)} importers)")
print(f"equal for {len(common)} importers; {sum(v[0] for v in ours.values())} dependent (importer, product) pairs")
PY

echo "== cluster: a scheduler and two executors on loopback"
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
sp=$(free_port); e1=$(free_port); e2=$(free_port)
half=$(python3 -c "print($mem / 2)")
"$sovra" cluster scheduler --bind "127.0.0.1:$sp" > "$work/scheduler.log" 2>&1 & pids=($!)
sleep 2
"$sovra" cluster executor --scheduler "127.0.0.1:$sp" --bind "127.0.0.1:$e1" --grpc-port "$(free_port)" --slots 1 \
  --memory-limit "$half" --work-dir "$work/e1" > "$work/executor1.log" 2>&1 & pids+=($!)
"$sovra" cluster executor --scheduler "127.0.0.1:$sp" --bind "127.0.0.1:$e2" --grpc-port "$(free_port)" --slots 1 \
  --memory-limit "$half" --work-dir "$work/e2" > "$work/executor2.log" 2>&1 & pids+=($!)
trap 'kill "${pids[@]}" 2>/dev/null || true' EXIT
sleep 5
cluster_flags=(--input "$store" --cluster "df://127.0.0.1:$sp")
timed each-cluster "sovra + 2 executors" "$sovra" trade depend ALL --each --year "$last" "${cluster_flags[@]}" --format csv --out "$work/each_cluster.csv"
timed suppliers-cluster "sovra + 2 executors" "$sovra" trade suppliers "$bloc" --all-dependent --year "$last" "${cluster_flags[@]}" --format csv --out /dev/null
timed complexity-cluster "sovra + 2 executors" "$sovra" complexity --input "$store" --cluster "df://127.0.0.1:$sp" --format csv --out /dev/null
python3 - "$work/each.csv" "$work/each_cluster.csv" <<'PY'
import sys
read = lambda f: [l.rstrip("\n").split(",") for l in open(f) if not l.startswith("#")]
a, b = read(sys.argv[1]), read(sys.argv[2])
def same(x, y):
    try:
        x, y = float(x), float(y)
        return abs(x - y) <= 1e-9 * max(abs(x), abs(y), 1e-3)
    except ValueError:
        return x == y
bad = [(i, r, q) for i, (r, q) in enumerate(zip(a, b)) if len(r) != len(q) or not all(map(same, r, q))]
if len(a) != len(b) or bad:
    sys.exit(f"scale: the cluster's screen differs from the local one: {bad[:3]}")
print(f"the cluster's screen equals the local one ({len(a) - 1} rows, numbers to 1e-9)")
PY
peak_exec=$(for p in "${pids[1]}" "${pids[2]}"; do awk '/VmHWM/ {printf " %d", $2 / 1024}' "/proc/$p/status"; done)

echo
echo "$((years)) synthetic years ($first–$last), $rows rows; CSV written $(( csv_bytes / 1000000 )) MB (removed after import);"
echo "trade store $(( store_bytes / 1000000 )) MB on disk; memory limit ${mem} GB (cluster: ${half} GB per executor;"
echo "executors' peak resident memory, MB:$peak_exec)"
echo
cat "$results"
