#!/usr/bin/env bash
# Runs every fuzz target for the given number of seconds (default 600) and
# prints the executions and crashes of each.
#
#   fuzz/run.sh [seconds] [target...]
#   JOBS=2 fuzz/run.sh 600      # two targets at a time (one per core)
#   FUZZ_MAX_LEN=70000 fuzz/run.sh 600 inflate   # longest input (default 16384)
#
# Needs cargo-fuzz (`cargo install cargo-fuzz`). Uses a nightly toolchain when
# rustup has one, otherwise stable with RUSTC_BOOTSTRAP=1 (cargo-fuzz passes
# -Z sanitizer flags). The committed seed corpus in fuzz/corpus/<target>/ is
# read but never written: new inputs go to a scratch directory ($FUZZ_WORK,
# default fuzz/target/work/<target>), crashes to fuzz/artifacts/<target>/.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

SECONDS_EACH="${1:-600}"
shift || true
TARGETS=("$@")
if [ "${#TARGETS[@]}" -eq 0 ]; then
    TARGETS=(token_split_base64 timestamp inflate unsign_and_load json_reader fernet_decrypt)
fi
JOBS="${JOBS:-1}"
WORK="${FUZZ_WORK:-$PWD/target/work}"

if ! cargo fuzz --help >/dev/null 2>&1; then
    echo "run.sh: cargo-fuzz is not installed (cargo install cargo-fuzz)" >&2
    exit 2
fi
if rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
    FUZZ=(cargo +nightly fuzz)
else
    export RUSTC_BOOTSTRAP=1
    FUZZ=(cargo fuzz)
fi

echo "run.sh: building ${TARGETS[*]} with ${FUZZ[*]}" >&2
for target in "${TARGETS[@]}"; do
    "${FUZZ[@]}" build -O "$target" >&2
done

run_one() {
    local target="$1" log="$WORK/$1.log"
    mkdir -p "$WORK/$target" "artifacts/$target"
    # -timeout: one input taking 10 s is a hang. rss_limit: 2 GiB is a leak or a bomb.
    # -max_len: a few seeds are 20-65 KB (deep JSON, the deflate range limit);
    # letting every mutation grow that large cuts inflate to ~90 exec/s.
    "${FUZZ[@]}" run -O "$target" "$WORK/$target" "corpus/$target" -- \
        -max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=2048 \
        -max_len="${FUZZ_MAX_LEN:-16384}" -print_final_stats=1 >"$log" 2>&1 || true
}

pids=()
for target in "${TARGETS[@]}"; do
    run_one "$target" &
    pids+=($!)
    if [ "${#pids[@]}" -ge "$JOBS" ]; then
        wait "${pids[0]}"
        pids=("${pids[@]:1}")
    fi
done
wait

status=0
printf '%-20s %14s %10s %8s %s\n' target executions exec/s crashes corpus
for target in "${TARGETS[@]}"; do
    log="$WORK/$target.log"
    execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || true)
    speed=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | grep -o '[0-9]*$' || true)
    crashes=$(find "artifacts/$target" -type f | wc -l)
    units=$(find "$WORK/$target" -type f | wc -l)
    printf '%-20s %14s %10s %8s %s\n' "$target" "${execs:-?}" "${speed:-?}" "$crashes" "$units"
    if [ "$crashes" -gt 0 ] || grep -q '^==[0-9]*==ERROR\|panicked at' "$log"; then
        echo "  $target: see $log and fuzz/artifacts/$target/" >&2
        status=1
    fi
done
exit "$status"
