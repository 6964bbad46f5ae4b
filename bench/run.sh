#!/usr/bin/env bash
# sovra against its peers (pymrio 0.7.0, numpy, sanction-simulator 0.1.4, py-ecomplexity 0.5.3) on the same
# real (a, c, d, e) and generated (b, f) input, in one run; prints a markdown table with min/median wall time,
# peak memory and the ratios sovra/peer.
#   bash bench/run.sh [a|b|c|d|e|f|g|h|m|p|u|y|all]    BENCH_RUNS=3 by default
# a: icio2022 (OECD ICIO 2022, 4,000 nodes): load + x + A + output and value-added multipliers for every node
#    (`sovra multipliers`) vs pymrio calc_system() + calc_extensions() (value added as the extension).
# b: EXIOBASE-sized synthetic table (9,800 nodes, 9 % dense, fixed seed): value-added footprints D_cba, D_pba,
#    D_imp, D_exp (`sovra footprint`) vs pymrio calc_all().
# c: icio2022, every country on its own against BRICS (as of 2025-06-30): all dependency indicators and
#    key-sector exposure (`sovra depend ALL-BRICS --on BRICS --each`) vs a numpy implementation with full
#    inverses formed once (bench/dependency_numpy.py), both including reading the table.
# d: icio2022, one USA-CHN embargo with the rerouting model at the default parameters (`sovra shock USA --on CHN`)
#    vs sanction-simulator 0.1.4 (bench/shock_peer.py), loading excluded on both sides: sovra's time is the sum
#    of its diagnostics.seconds phases (reroute, equilibrium, stability), the peer's its ScenarioBatch build,
#    balance and solve. Both world losses must agree within 1e-4 relative, or the run fails.
# e: icio2022, USA-CHN embargo swept over tau = 0.01:1.0:0.01 (100 scenarios, `sovra shock --sweep`, parallel)
#    vs the peer's per-scenario rate on `shock_peer.py --sweep 4` (~6 s a scenario); times are per scenario.
# u: icio2022, the USA-CHN embargo under 200 Monte Carlo draws (τ ~ U(0.1, 0.6), δ ~ U(0.05, 0.2), ρ ~ U(−4, −0.5);
#    `sovra shock --draws 200`, the draws' wall time after loading) vs the peer on the first 4 of the same draws
#    (`shock_peer.py --draws-from`, world losses checked within 1e-4); times are per draw.
# f: economic complexity of 230 countries x 5,000 products, one year (generated once by complexity_gen.py, seed
#    20261124): `sovra complexity --input … --convention py-ecomplexity`, the whole process (reading the CSV
#    included) vs py-ecomplexity 0.5.3's ecomplexity() call alone (bench/complexity_peer.py, CSV read not timed).
#    The peer (~4 min) runs once per invocation whatever BENCH_RUNS is. ECIs (C000 and the peer's top country)
#    must agree within 1e-6 relative, or the run fails.
# g: a synthetic BACI-size year (`sovra trade synth --baci --destinations 50`, 200 countries × 5,000 products, ~11 M rows, seed 1):
#    `sovra trade import` into a Parquet store, then `sovra trade depend ALL --each` from the store (DataFusion
#    plans, the default, then `--in-memory`) — time and peak memory (no peer; issue 5's target is under 30 s and 4 GB for the screen).
# h: `sovra serve` on loopback (icio2022, warm) under bench/load: a fixed mix of depend EU27/CHN, keys DEU/CHN,
#    multipliers and one USA–CHN shock, at 1, 8 and 64 concurrent clients (bounded: BENCH_H_REQUESTS requests,
#    default 200, and 120 s each); throughput, p50/p99, errors, lost responses, RSS after warm-up and at the end;
#    then depend alone and shock alone at 1 client (issue 11's targets: p50 ≤ 60 ms and ≤ 0.3 s). No peer.
# p: icio2022, 1,000 random import-substitution projects (bench/projects_gen.py, seed 20261201; hosts outside
#    EU27+G7, each replacing every other region's supply): `sovra projects evaluate --against EU27+G7` (the whole
#    process, loading included) vs numpy re-solving per project (bench/projects_numpy.py: the changed table
#    factorised afresh, loading excluded; BENCH_P_NUMPY projects timed, default 10, and the time per project
#    × 1,000 reported — a full numpy run takes ~15 min). The dependence cuts must agree within 1e-6 relative.
#    Then `sovra projects select` among the 1,000 (precedences and exclusions, budget 20,000) with each MILP
#    backend, microlp and HiGHS (a build with the `highs` feature): the solver's time, gap and whether the
#    portfolio is proven optimal (issue 13's target: evaluation ≤ 0.02 × numpy).
# m: the WIOD 2013 series (../shared/data/wiod2013, imported once into the bench store), each of the 40 regions
#    other than CHN on its own against CHN, 1995–2011: every monitoring indicator for all products and each of the
#    35 sectors (`sovra monitor ALL-CHN --on CHN --each --by sector`, the whole process, loading included) vs
#    numpy with dense inverses (bench/monitoring_numpy.py: one L per year shared by all regions, a restricted
#    inverse per region and year; reading the CSVs included); then the decomposition 1995→2011 of every one of
#    them against CHN (`sovra decompose … --each`, whole process) vs numpy's decomposition phase (its loading not
#    counted), and like for like: sovra's decomposition phase alone (its `solves` diagnostic: both systems built
#    and solved, loading excluded) vs the same numpy phase. Values must agree within 1e-9 relative or the run
#    fails (issue 14's targets: ≤ 0.1× numpy both).
# y: the README's main job (`sovra depend EU27 --on CHN --top 10 --min-output 1000`: load icio2022, answer) from
#    Python (`sovra.load().depend(…)` in a fresh interpreter, bench/python_side.py: the job inside the interpreter,
#    and the whole process with the interpreter's start and `import sovra`) vs the CLI's whole process; then the
#    dependency report of EU27 on CHN (every sector) converted to pandas, median of 50 (issue 17's targets: within
#    5 % of the CLI, under 10 ms). The package is installed into scripts/python-test's venv first.
# sovra's time includes loading the table in a, b and c; pymrio's does not include reading the arrays into
# DataFrames.
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
mkdir -p "$home/datasets"
user_store="${SOVRA_HOME:-${XDG_DATA_HOME:-$HOME/.local/share}/sovra}"
if [[ "$which" != f && "$which" != g ]]; then   # the MRIO cases' venv and tables (f needs neither table)
  bash conformance/pymrio/run.sh "$target/conformance" > /dev/null   # makes sure the pymrio venv exists
  "$sovra" data fetch > /dev/null
  # A copy (hard links where possible) rather than a link: reads are confined to the store they name.
  [ -L "$home/datasets/icio2022" ] && rm -f "$home/datasets/icio2022"
  if [ ! -e "$home/datasets/icio2022" ]; then
    src=$(readlink -f "$user_store/datasets/icio2022")
    cp -al "$src" "$home/datasets/icio2022" 2>/dev/null || cp -a "$src" "$home/datasets/icio2022"
  fi
  if [ ! -f "$home/datasets/exio-synth/meta.json" ]; then
    echo "generating the EXIOBASE-sized table (once) …" >&2
    "$venv/bin/python" bench/gen_mrio.py --out "$home/datasets/exio-synth"
  fi
fi

# inner_seconds LABEL → the time a tool reports for its calculation alone (from $work/LABEL.out or .err)
inner_seconds() {
  python3 - "$1" "$work/$1.out" "$work/$1.err" <<'PY'
import json, re, sys
label, out, err = sys.argv[1:]
if label == "sovra_d":     # one scenario: the solve phases of diagnostics.seconds (loading the table excluded)
    print(sum(d["seconds"] or 0.0 for d in json.load(open(out))["diagnostics"] if d["key"] in ("reroute", "equilibrium", "stability")))
elif label == "sovra_mdp": # decomposition: its own phase (systems built and solved), loading excluded
    print(next(d["seconds"] for d in json.load(open(out))["diagnostics"] if d["key"] == "solves"))
elif label == "sovra_u":   # draws: the draws' own wall time (after loading) per draw, from the report
    r = json.load(open(out))
    secs = next(d["seconds"] for d in r["diagnostics"] if d["key"] == "draws")
    print(secs / next(f["value"] for f in r["summary"] if f["key"] == "draws"))
elif label == "sovra_e":   # sweep: the batch's own wall time (after loading) per scenario, from its stderr summary
    text = open(err).read()
    m = re.search(r"(\d+) scenarios in ([\d.]+) s \(", text)
    if not m or "failed" in text:
        sys.exit(f"bench: no clean sweep summary in {err}:\n{text}")
    print(float(m.group(2)) / int(m.group(1)))
else:                      # the peers' scripts print one JSON line last; per scenario when they ran several
    d = json.loads(open(out).read().strip().splitlines()[-1])
    print(d["seconds"] / d.get("scenarios", 1))
PY
}

# time_runs LABEL CMD… → one "seconds peak_kb" line per run in $work/LABEL.times
time_runs() {
  local label="$1"; shift
  : > "$work/$label.times"
  for _ in $(seq "$runs"); do
    local t0 t1
    t0=$(date +%s%N)
    if ! /usr/bin/time -f "%e %M" -o "$work/$label.one" "$@" > "$work/$label.out" 2> "$work/$label.err"; then
      cat "$work/$label.err" >&2
      echo "bench: $label failed: $*" >&2
      exit 1
    fi
    t1=$(date +%s%N)
    # wall time to the microsecond (/usr/bin/time's %e has 10 ms steps: too coarse for 50 ms runs); its peak RSS
    local rss
    rss=$(tail -n1 "$work/$label.one" | cut -d' ' -f2)
    awk -v us="$(( (t1 - t0) / 1000 ))" -v kb="$rss" 'BEGIN {printf "%.6f %s\n", us / 1e6, kb}' > "$work/$label.one"
    if [[ "$label" == pymrio* || "$label" == numpy* || "$label" == peer* || "$label" == sovra_[deu] || "$label" == sovra_mdp ]]; then
      # time of the calculation only (as the tool reports it), memory of the whole process
      secs=$(inner_seconds "$label")
      echo "$secs $(cut -d' ' -f2 "$work/$label.one")" >> "$work/$label.times"
    else
      cat "$work/$label.one" >> "$work/$label.times"
    fi
  done
}

stats() {  # prints "min median peakMB runs" of a .times file
  python3 - "$1" <<'PY'
import statistics, sys
rows = [tuple(map(float, l.split())) for l in open(sys.argv[1]) if l.strip()]
t = sorted(r[0] for r in rows)
print(f"{t[0]:.3f} {statistics.median(t):.3f} {max(r[1] for r in rows) / 1024:.0f} {len(rows)}")
PY
}

echo "| case | tool | runs | min s | median s | peak RSS MB | time ratio (median) | memory ratio |"
echo "|---|---|---|---|---|---|---|---|"
row() {  # case label_sovra label_peer [peer name [decimals of the time ratio]]
  read -r smin smed smem sn < <(stats "$work/$2.times")
  read -r pmin pmed pmem pn < <(stats "$work/$3.times")
  tr=$(python3 -c "print(f'{$smed/$pmed:.${5:-3}f}')"); mr=$(python3 -c "print(f'{$smem/$pmem:.2f}')")
  echo "| $1 | sovra | $sn | $smin | $smed | $smem | **$tr** | **$mr** |"
  echo "| $1 | ${4:-pymrio 0.7.0} | $pn | $pmin | $pmed | $pmem | 1 | 1 |"
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
  row "c: icio2022 dependency, 72 countries vs BRICS" sovra_c numpy_c "numpy (full inverses)"
fi
if [[ "$which" == d || "$which" == e || "$which" == u || "$which" == all ]]; then
  peer_wheel="$target/conformance/wheels/sanction_simulator-0.1.4-py3-none-any.whl"
  # fetches the wheel if missing (and writes the shock conformance dump, once)
  [ -f "$peer_wheel" ] || bash conformance/shock/run.sh "$target/conformance" > /dev/null
fi
if [[ "$which" == d || "$which" == all ]]; then
  time_runs sovra_d env SOVRA_HOME="$home" "$sovra" shock USA --on CHN --format json
  time_runs peer_d "$venv/bin/python" bench/shock_peer.py "$peer_wheel"
  python3 - "$work/sovra_d.out" "$work/peer_d.out" <<'PY'   # same scenario, same answer, or no timing
import json, sys
s = next(f["value"] for f in json.load(open(sys.argv[1]))["summary"] if f["key"] == "world_output_loss")
p = json.loads(open(sys.argv[2]).read().strip().splitlines()[-1])["world_loss"]
rel = abs(s - p) / abs(p)
if not rel <= 1e-4:
    sys.exit(f"bench d: world losses disagree: sovra {s!r}, sanction-simulator {p!r} (relative {rel:.2e} > 1e-4)")
PY
  row "d: icio2022 USA–CHN embargo, rerouting (load excluded)" sovra_d peer_d "sanction-simulator 0.1.4"
fi
if [[ "$which" == e || "$which" == all ]]; then
  time_runs sovra_e env SOVRA_HOME="$home" "$sovra" shock USA --on CHN --sweep tau=0.01:1.0:0.01 \
    --format json --out "$work/sovra_e.jsonl"
  n=$(wc -l < "$work/sovra_e.jsonl")
  [ "$n" -eq 100 ] || { echo "bench e: sovra's sweep wrote $n results, not 100" >&2; exit 1; }
  time_runs peer_e "$venv/bin/python" bench/shock_peer.py "$peer_wheel" --sweep 4
  read -r _ s_med _ < <(stats "$work/sovra_e.times")
  read -r _ p_med _ < <(stats "$work/peer_e.times")
  thr=$(python3 -c "print(f'{1/$s_med:.2f} vs {1/$p_med:.3f} scenarios/s, throughput ×{$p_med/$s_med:.1f}')")
  row "e: icio2022 USA–CHN embargo τ sweep, s per scenario (sovra 100, peer 4; $thr)" sovra_e peer_e \
    "sanction-simulator 0.1.4"
fi
if [[ "$which" == u || "$which" == all ]]; then
  time_runs sovra_u env SOVRA_HOME="$home" "$sovra" shock USA --on CHN --draws 200 --tau uniform:0.1:0.6 \
    --delta uniform:0.05:0.2 --rho uniform:-4:-0.5 --format json
  cp "$work/sovra_u.out" "$work/sovra_u.report.json"
  # the peer on the first 4 of the same draws (its world losses checked against sovra's), per draw
  time_runs peer_u "$venv/bin/python" bench/shock_peer.py "$peer_wheel" --draws-from "$work/sovra_u.report.json" \
    --count 4
  read -r _ s_med _ < <(stats "$work/sovra_u.times")
  read -r _ p_med _ < <(stats "$work/peer_u.times")
  whole=$(python3 -c "print(f'sovra 200 draws {200*$s_med:.1f} s after loading, the peer ≈ {200*$p_med/60:.0f} min')")
  row "u: icio2022 USA–CHN embargo, Monte Carlo over τ, δ, ρ, s per draw ($whole)" sovra_u peer_u \
    "sanction-simulator 0.1.4"
fi
if [[ "$which" == f || "$which" == all ]]; then
  bash conformance/complexity/run.sh "$target/conformance" > /dev/null   # installs ecomplexity 0.5.3 in the venv
  cx_in="$work/complexity_f.csv"
  if [ ! -f "$cx_in" ]; then
    echo "generating the 230 × 5,000 complexity input (once) …" >&2
    "$venv/bin/python" bench/complexity_gen.py "$cx_in"
  fi
  cx=(complexity --input "$cx_in" --year 2022 --convention py-ecomplexity --format json)
  "$sovra" "${cx[@]}" --out "$work/sovra_f.json"   # the answer, checked against the peer's below
  runs=1 time_runs peer_f "$venv/bin/python" bench/complexity_peer.py "$cx_in"   # ~4 min: once, whatever BENCH_RUNS
  python3 - "$work/sovra_f.json" "$work/peer_f.out" <<'PY'   # same input, same ECI, or no timing
import json, sys
rows = json.load(open(sys.argv[1]))["tables"][0]["rows"]
eci = {r["country"]: r["eci"] for r in rows}
p = json.loads(open(sys.argv[2]).read().strip().splitlines()[-1])
if len(eci) != p["countries"] or p["rows"] != p["countries"] * p["products"]:
    sys.exit(f"bench f: shapes differ: sovra {len(eci)} countries, py-ecomplexity {p['countries']} x {p['products']}")
top, top_eci = p["eci_top"]
for country, s_eci, p_eci in (("C000", eci.get("C000"), p["eci_first"]), (top, eci.get(top), top_eci)):
    rel = abs(s_eci - p_eci) / abs(p_eci) if s_eci is not None else float("inf")
    if not rel <= 1e-6:
        sys.exit(f"bench f: ECI of {country} disagrees: sovra {s_eci!r}, py-ecomplexity {p_eci!r} "
                 f"(relative {rel:.2e} > 1e-6)")
PY
  time_runs sovra_f "$sovra" "${cx[@]}" --out /dev/null
  row "f: complexity 230 countries × 5,000 products, one year (sovra incl. reading the CSV; peer ecomplexity() only)" \
    sovra_f peer_f "py-ecomplexity 0.5.3" 4
fi
if [[ "$which" == g || "$which" == all ]]; then
  g_in="$work/BACI_synth_Y2022.csv"
  if [ ! -f "$g_in" ]; then
    echo "generating the BACI-size synthetic year (once) …" >&2
    "$sovra" trade synth --baci --countries 200 --products 5000 --destinations 50 --year 2022 --seed 1 --out "$g_in"
  fi
  g_rows=$(( $(wc -l < "$g_in") - 1 ))
  time_runs sovra_g_import "$sovra" trade import "$g_in" --country-codes "$work/country_codes_synth.csv" \
    --store "$work/trade-store" --format csv --out /dev/null
  time_runs sovra_g_screen "$sovra" trade depend ALL --each --input "$work/trade-store" --format csv --out /dev/null
  time_runs sovra_g_memory "$sovra" trade depend ALL --each --input "$work/trade-store" --in-memory --format csv \
    --out /dev/null
  for l in import screen memory; do
    read -r gmin gmed gmem gn < <(stats "$work/sovra_g_$l.times")
    case "$l" in
      import) what="import into the Parquet store (streamed, duplicate check included)" ;;
      screen) what="dependency screen of every importer, from the store: DataFusion plans (target < 30 s, < 4 GB)" ;;
      *) what="the same screen with the years loaded into memory (--in-memory)" ;;
    esac
    echo "| g: BACI-size synthetic year, $g_rows rows: $what | sovra | $gn | $gmin | $gmed | $gmem | — | — |"
  done
fi
if [[ "$which" == p || "$which" == all ]]; then
  p_in="$work/projects_1000.toml"
  if ! "$venv/bin/python" -c 'import scipy, sys; sys.exit(scipy.__version__ != "1.17.1")' 2>/dev/null; then
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check scipy==1.17.1   # as conformance/projects
  fi
  [ -f "$p_in" ] || SOVRA_HOME="$home" "$venv/bin/python" bench/projects_gen.py "$p_in" 1000
  time_runs sovra_p env SOVRA_HOME="$home" "$sovra" projects evaluate "$p_in" --against EU27+G7 --format csv --out "$work/sovra_p.csv"
  /usr/bin/time -f "%M" -o "$work/numpy_p.mem" "$venv/bin/python" bench/projects_numpy.py "$home/datasets/icio2022" \
    "$p_in" "$work/sovra_p.csv" "${BENCH_P_NUMPY:-10}" > "$work/numpy_p.json"
  python3 - "$work/numpy_p.json" "$work/numpy_p.times" "$(tail -n1 "$work/numpy_p.mem")" <<'PY'   # same answer, or no timing
import json, sys
d = json.load(open(sys.argv[1]))
if not d["max_rel_diff"] <= 1e-6:
    sys.exit(f"bench p: dependence cuts disagree with numpy: {d['max_rel_diff']:.2e} > 1e-6")
open(sys.argv[2], "w").write(f"{d['seconds_per_project'] * 1000} {sys.argv[3]}\n")   # per project × 1,000
PY
  row "p: icio2022, 1,000 projects evaluated (numpy: $(python3 -c "import json;d=json.load(open('$work/numpy_p.json'));print(f\"{d['seconds_per_project']:.2f} s per project, {d['timed']} timed, × 1,000\")"))" \
    sovra_p numpy_p "numpy (LU per project)" 4
  # The selection with each MILP backend: microlp (default build) and HiGHS (the `highs` feature; the binary is
  # rebuilt with it here, cmake and libclang installed by scripts/system-deps when missing).
  bash scripts/system-deps
  cargo build --release --bin sovra -q --features highs
  for milp in microlp highs; do
    SOVRA_HOME="$home" "$sovra" projects select "$p_in" --against EU27+G7 --budget 20000 --milp "$milp" \
      --format json --out "$work/sovra_p_select_$milp.json"
    python3 - "$work/sovra_p_select_$milp.json" "$milp" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
f = {x["key"]: x["value"] for x in r["summary"]}
milp = next(d for d in r["diagnostics"] if d["key"] == "milp")
name = {"microlp": "microlp", "highs": "HiGHS"}[sys.argv[2]]
print(f"| p: select among 1,000 (budget 20,000) | sovra ({name}) | 1 | {f['solver_seconds']:.3f} | {f['solver_seconds']:.3f} | | "
      f"{f['chosen']} chosen, objective {f['objective']:.6g}, proven optimal: {f['proven_optimal']}, gap {f['gap']:.1e} | {milp['detail']} |")
PY
  done
  cargo build --release --bin sovra -q   # back to the default build for the cases after this one
fi
if [[ "$which" == m || "$which" == all ]]; then
  wiod="${SOVRA_SHARED_DATA:-${SOVRA_SHARED:-$PWD/../shared}/data}/wiod2013"
  if ! ls "$wiod"/wiod2013_*.csv.gz > /dev/null 2>&1; then
    echo "NOTICE: $wiod is absent: bench m (monitoring on WIOD 2013) is skipped" >&2
  else
    [ -d "$home/datasets/wiod2013" ] || SOVRA_HOME="$home" "$sovra" data import --format wiod "$wiod" --name wiod2013 > /dev/null
    time_runs sovra_m env SOVRA_HOME="$home" "$sovra" monitor ALL-CHN --on CHN --data wiod2013 --years 1995:2011 \
      --each --by sector --as-of 2011-12-31 --format json --out "$work/sovra_m.json"
    time_runs sovra_md env SOVRA_HOME="$home" "$sovra" decompose ALL-CHN --on CHN --data wiod2013 --from 1995 \
      --to 2011 --each --as-of 2011-12-31 --format json --out "$work/sovra_md.json"
    /usr/bin/time -f "%M" -o "$work/numpy_m.mem" env OMP_NUM_THREADS=2 "$venv/bin/python" bench/monitoring_numpy.py \
      "$wiod" "$work/numpy_m.json" > /dev/null
    python3 - "$work" "$(tail -n1 "$work/numpy_m.mem")" <<'PY'   # the same answers, or no timing
import json, sys
work, mem = sys.argv[1], sys.argv[2]
d = json.load(open(f"{work}/numpy_m.json"))
mon = json.load(open(f"{work}/sovra_m.json"))
dec = json.load(open(f"{work}/sovra_md.json"))
kp = next(t for t in mon["tables"] if t["key"] == "kpis")["rows"]
each = {r["region"]: r for r in next(t for t in dec["tables"] if t["key"] == "each")["rows"]}
worst = 0.0
for reg, c in d["check"].items():
    row = next(r for r in kp if r["year"] == 2011 and r["scope"] == reg and r["sector"] == "all")
    pairs = [(row["fva_final_demand"], c["fva_final_demand_2011"]), (row["import_penetration"], c["import_penetration_2011"])]
    pairs += [(each[reg][k], v) for k, v in c["effects"].items()]
    for a, b in pairs:
        if a is None or b is None:
            if a != b:
                sys.exit(f"bench m: {reg}: sovra {a} vs numpy {b}")
            continue
        worst = max(worst, abs(a - b) / max(abs(a), abs(b), 1e-300))
if worst > 1e-9:
    sys.exit(f"bench m: sovra and numpy disagree: {worst:.2e} > 1e-9")
open(f"{work}/numpy_m.times", "w").write(f"{d['seconds_load'] + d['seconds_kpis']} {mem}\n")
open(f"{work}/numpy_md.times", "w").write(f"{d['seconds_decompose']} {mem}\n")
print(f"bench m: {len(d['check'])} regions agree with numpy within {worst:.1e}", file=sys.stderr)
PY
    row "m: WIOD 1995–2011, every indicator × 36 products, 40 regions on CHN" sovra_m numpy_m "numpy (dense inverses, loading included)"
    row "m: WIOD decomposition 1995→2011, 40 regions on CHN" sovra_md numpy_md "numpy (dense inverses, loading excluded)"
    time_runs sovra_mdp env SOVRA_HOME="$home" "$sovra" decompose ALL-CHN --on CHN --data wiod2013 --from 1995 \
      --to 2011 --each --as-of 2011-12-31 --format json
    row "m: the same, the decomposition phase on both sides (sovra's \`solves\` seconds, loading excluded)" \
      sovra_mdp numpy_md "numpy (dense inverses, loading excluded)"
  fi
fi
if [[ "$which" == h || "$which" == all ]]; then
  cargo build --release -q -p sovra-bench-load
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  SOVRA_HOME="$home" "$sovra" serve --bind "127.0.0.1:$port" --max-concurrent 2 --queue 256 \
    2> "$work/serve_h.err" &
  spid=$!
  trap 'kill $spid 2>/dev/null || true' EXIT
  for _ in $(seq 100); do grep -q "sovra serve: http" "$work/serve_h.err" 2>/dev/null && break; sleep 0.1; done
  load="$target/release/sovra-bench-load"
  n="${BENCH_H_REQUESTS:-200}"
  echo
  echo "| h: sovra serve, icio2022 warm | clients | requests | errors | lost | req/s | p50 ms | p99 ms | RSS warm → end MB |"
  echo "|---|---|---|---|---|---|---|---|---|"
  for c in 1 8 64; do
    "$load" --addr "127.0.0.1:$port" --pid "$spid" --clients "$c" --requests "$n" --seconds 120 > "$work/load_h_$c.json"
    python3 - "$work/load_h_$c.json" "mix" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
print(f"| {sys.argv[2]} | {d['clients']} | {d['requests']} | {d['errors']} | {d['lost']} | {d['throughput_per_s']:.1f} | "
      f"{d['p50_ms']:.0f} | {d['p99_ms']:.0f} | {d['rss_warm_mb']:.0f} → {d['rss_end_mb']:.0f} |")
PY
  done
  for k in depend shock; do
    "$load" --addr "127.0.0.1:$port" --pid "$spid" --clients 1 --requests 20 --seconds 120 --only "$k" > "$work/load_h_$k.json"
    python3 - "$work/load_h_$k.json" "$k alone" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
print(f"| {sys.argv[2]} | {d['clients']} | {d['requests']} | {d['errors']} | {d['lost']} | {d['throughput_per_s']:.1f} | "
      f"{d['p50_ms']:.0f} | {d['p99_ms']:.0f} | {d['rss_warm_mb']:.0f} → {d['rss_end_mb']:.0f} |")
PY
  done
  kill "$spid" 2>/dev/null || true
  wait "$spid" 2>/dev/null || true
fi
if [[ "$which" == y || "$which" == all ]]; then
  bash scripts/python-test --install-only > /dev/null
  py="${SOVRA_PYTHON_VENV:-/tmp/sovra-python-venv}/bin/python"
  : > "$work/cli_y.times"; : > "$work/py_y.times"; : > "$work/pyproc_y.times"
  for _ in $(seq "$runs"); do
    /usr/bin/time -f "%e %M" -o "$work/cli_y.one" env SOVRA_HOME="$home" "$sovra" depend EU27 --on CHN --top 10 \
      --min-output 1000 > /dev/null
    cat "$work/cli_y.one" >> "$work/cli_y.times"
    /usr/bin/time -f "%e %M" -o "$work/py_y.one" env SOVRA_HOME="$home" "$py" bench/python_side.py job > "$work/py_y.out"
    cat "$work/py_y.one" >> "$work/pyproc_y.times"
    echo "$(python3 -c "import json; print(json.load(open('$work/py_y.out'))['seconds'])") $(cut -d' ' -f2 "$work/py_y.one")" \
      >> "$work/py_y.times"
  done
  row "y: the README's main job, Python (load + depend inside the interpreter) vs CLI" py_y cli_y "sovra CLI"
  row "y: the same, Python's whole process (interpreter start, import sovra) vs CLI" pyproc_y cli_y "sovra CLI"
  SOVRA_HOME="$home" "$py" bench/python_side.py pandas 50 > "$work/pandas_y.out"
  python3 - "$work/pandas_y.out" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
print(f"| y: depend EU27 on CHN → pandas ({d['rows']} rows × {d['columns']} columns) | sovra | 50 | "
      f"{d['min_ms'] / 1e3:.4f} | {d['median_ms'] / 1e3:.4f} | – | target < 0.010 s | |")
PY
fi
