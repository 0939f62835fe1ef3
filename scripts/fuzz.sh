#!/usr/bin/env bash
# Runs the cargo-fuzz (libFuzzer) targets in fuzz/ one after another, each for
# a bounded time, and prints a summary: executions, corpus size, crashes.
#
#   bash scripts/fuzz.sh                    every target, 60 s each
#   bash scripts/fuzz.sh url optfile        only these targets
#   FUZZ_SECONDS=300 bash scripts/fuzz.sh   5 minutes each
#
# FUZZ_SECONDS    time per target (default 60)
# FUZZ_SANITIZER  cargo-fuzz sanitizer (default none: the crate denies unsafe
#                 code, so ASan would add cost for little; panics, overflow
#                 checks, timeouts and OOMs are caught either way)
#
# Seeds from fuzz/seeds/<target>/ are copied into the working corpus
# fuzz/corpus/<target>/ (not committed). A crash, timeout or OOM leaves its
# input in fuzz/artifacts/<target>/; the script then exits 1 and prints how to
# reproduce it. Exit 2 when the fuzzers could not be built or run.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${FUZZ_SECONDS:-60}
sanitizer=${FUZZ_SANITIZER:-none}
if ! [[ $seconds =~ ^[1-9][0-9]*$ ]]; then
    echo "error: FUZZ_SECONDS must be a whole number of seconds above zero (got '$seconds')" >&2
    exit 2
fi

if ! command -v rustup >/dev/null || ! rustup toolchain list | grep -q '^nightly'; then
    echo "error: cargo-fuzz needs a nightly Rust toolchain, and none is installed" >&2
    echo "hint: rustup toolchain install nightly" >&2
    exit 2
fi
if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
    echo "cargo-fuzz is not installed; installing it: cargo install cargo-fuzz --locked" >&2
    cargo install cargo-fuzz --locked
fi

cd fuzz
mapfile -t known < <(cargo +nightly fuzz list)
if [[ $# -gt 0 ]]; then
    targets=("$@")
    for t in "${targets[@]}"; do
        if ! printf '%s\n' "${known[@]}" | grep -qx -- "$t"; then
            echo "error: no fuzz target '$t'" >&2
            echo "hint: the targets are: ${known[*]}" >&2
            exit 2
        fi
    done
else
    targets=("${known[@]}")
fi

echo "building ${#targets[@]} fuzz target(s) (sanitizer: $sanitizer)..." >&2
build_only=()
[[ ${#targets[@]} -eq 1 ]] && build_only=("${targets[0]}")
if ! cargo +nightly fuzz build -s "$sanitizer" "${build_only[@]}"; then
    echo "error: the fuzz targets did not build" >&2
    exit 2
fi

logs=target/fuzz-logs
mkdir -p "$logs"
rows=()
failed=()
for t in "${targets[@]}"; do
    corpus=corpus/$t
    artifacts=artifacts/$t
    mkdir -p "$corpus" "$artifacts"
    if [[ -d seeds/$t ]]; then
        for seed in seeds/"$t"/*; do
            [[ -e $corpus/${seed##*/} ]] || cp "$seed" "$corpus/"
        done
    fi
    before=$(find "$artifacts" -maxdepth 1 -type f \( -name 'crash-*' -o -name 'timeout-*' -o -name 'oom-*' -o -name 'leak-*' \) | sort)
    log=$logs/$t.log
    echo "fuzzing $t for ${seconds}s (log: fuzz/$log)..." >&2
    start=$SECONDS
    rc=0
    # libFuzzer stops itself after max_total_time; `timeout` is the backstop
    # that keeps a wedged run from going on forever.
    timeout --kill-after=30 $((seconds + 300)) \
        cargo +nightly fuzz run -s "$sanitizer" "$t" -- \
        -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        >"$log" 2>&1 || rc=$?
    elapsed=$((SECONDS - start))

    runs=$(sed -n 's/^stat::number_of_executed_units: *\([0-9]*\).*/\1/p' "$log" | tail -n 1)
    if [[ -z $runs ]]; then
        runs=$(sed -n 's/^Done \([0-9]*\) runs in.*/\1/p' "$log" | tail -n 1)
    fi
    secs=$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$log" | tail -n 1)
    corpus_size=$(find "$corpus" -maxdepth 1 -type f | wc -l)
    after=$(find "$artifacts" -maxdepth 1 -type f \( -name 'crash-*' -o -name 'timeout-*' -o -name 'oom-*' -o -name 'leak-*' \) | sort)
    new=$(comm -13 <(printf '%s\n' "$before") <(printf '%s\n' "$after") | sed '/^$/d')
    crashes=$(printf '%s' "$new" | grep -c . || true)
    status=ok
    if [[ $rc -eq 124 || $rc -eq 137 ]]; then
        status="hung (killed after $((seconds + 300))s)"
        failed+=("$t: the run did not stop on its own; see fuzz/$log")
    elif [[ $crashes -gt 0 ]]; then
        status=CRASH
        while read -r a; do
            failed+=("$t: fuzz/$a  (reproduce: cd fuzz && cargo +nightly fuzz run -s $sanitizer $t $a)")
        done <<<"$new"
    elif [[ $rc -ne 0 ]]; then
        status="failed (exit $rc)"
        failed+=("$t: cargo fuzz run exited $rc; see fuzz/$log")
    fi
    rows+=("$(printf '%-10s %10s %8s %12s %8s %8s  %s' "$t" "${secs:-$elapsed}" "$elapsed" "${runs:-?}" "$corpus_size" "$crashes" "$status")")
done

echo
printf '%-10s %10s %8s %12s %8s %8s  %s\n' target fuzzed_s wall_s executions corpus crashes status
printf '%s\n' "${rows[@]}"
if [[ ${#failed[@]} -gt 0 ]]; then
    echo
    echo "problems found:"
    printf '  %s\n' "${failed[@]}"
    exit 1
fi
