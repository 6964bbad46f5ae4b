#!/usr/bin/env bash
# Fuzzes every reader (and the scenario-file and --resume readers) for SECONDS each (default 600): `bash fuzz/run.sh [SECONDS] [TARGET…]`.
# Needs cargo-fuzz (`cargo install cargo-fuzz`); RUSTC_BOOTSTRAP lets the stable toolchain use the
# sanitizer flags cargo-fuzz passes.
set -euo pipefail
cd "$(dirname "$0")"
secs="${1:-600}"; shift || true
targets=("$@"); [ ${#targets[@]} -gt 0 ] || targets=(npy icio_npz oecd_icio_csv wiod2013 pymrio store_meta blocs bilateral scenario_toml resume product_list)
python3 seed.py
for t in "${targets[@]}"; do
  echo "== fuzzing $t for ${secs}s"
  RUSTC_BOOTSTRAP=1 cargo fuzz run "$t" "corpus/$t" -- -max_total_time="$secs" -rss_limit_mb=4096 -timeout=30 -print_final_stats=1 2>&1 | tail -n 15
done
