#!/usr/bin/env bash
# Builds the fuzz targets and runs each for SECONDS (default 600), one after another, then
# prints per target: runs, execs/s, coverage (cov/ft), corpus size and crashes.
#
#   fuzz/run.sh [SECONDS] [TARGET...]     e.g. fuzz/run.sh 30   (CI smoke run)
#
# Needs the nightly toolchain and cargo-fuzz (`cargo install cargo-fuzz`). Targets are
# built without a sanitizer (see README.md) into fuzz/target; new corpus entries go to
# fuzz/target/work-corpus/<target> (the committed seeds in fuzz/corpus/<target> are only
# read), crashing inputs to fuzz/artifacts/<target>/, logs to fuzz/target/logs/.
# Exits non-zero when a target crashed, leaked memory past the limits or timed out.
# FUZZ_SEED=N fixes libFuzzer's seed (CI's smoke run does).
set -euo pipefail
cd "$(dirname "$0")"

SECONDS_PER_TARGET=${1:-600}
shift || true
ALL_TARGETS=(kdd_parse zeek_parse pcap_conntrack decode bundle_load)
TARGETS=("$@")
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=("${ALL_TARGETS[@]}")

TRIPLE=$(rustc +nightly -vV | sed -n 's/^host: //p')
BIN_DIR=target/$TRIPLE/release

started=$(date +%s)
echo "== building the fuzz targets (cargo +nightly fuzz build --sanitizer none)"
cargo +nightly fuzz build --sanitizer none 2>&1 | grep -Ev '^\s+(Compiling|Checking)' || true
for t in "${TARGETS[@]}"; do
    [ -x "$BIN_DIR/$t" ] || { echo "build failed: no $BIN_DIR/$t" >&2; exit 2; }
done
built=$(date +%s)
echo "== build: $((built - started)) s"

mkdir -p target/logs target/tmp
# The bundle target writes its bundle under TMPDIR: keep it inside fuzz/target.
export TMPDIR=$PWD/target/tmp

declare -a ROWS
failed=0
for t in "${TARGETS[@]}"; do
    mkdir -p "target/work-corpus/$t" "artifacts/$t" "corpus/$t"
    log=target/logs/$t.log
    before=$(find "artifacts/$t" -type f | wc -l)
    echo "== $t: ${SECONDS_PER_TARGET} s"
    t0=$(date +%s)
    set +e
    "$BIN_DIR/$t" "target/work-corpus/$t" "corpus/$t" \
        -max_total_time="$SECONDS_PER_TARGET" \
        -rss_limit_mb=2048 -malloc_limit_mb=2048 -timeout=10 \
        -artifact_prefix="artifacts/$t/" -print_final_stats=1 ${FUZZ_SEED:+-seed="$FUZZ_SEED"} \
        >"$log" 2>&1
    rc=$?
    set -e
    t1=$(date +%s)
    after=$(find "artifacts/$t" -type f | wc -l)
    crashes=$((after - before))
    last=$(grep -E '^#[0-9]+' "$log" | tail -1 || true)
    cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
    ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
    corp=$(sed -n 's/.* corp: \([0-9]*\/[0-9a-zA-Z]*\).*/\1/p' <<<"$last")
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
    eps=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
    rss=$(sed -n 's/^stat::peak_rss_mb: *//p' "$log")
    if [ "$rc" -ne 0 ] || [ "$crashes" -gt 0 ]; then
        failed=1
        echo "!! $t exited $rc; new artifacts:"
        find "artifacts/$t" -type f -newermt "@$t0" | sed 's/^/   /'
        grep -E '^(==[0-9]+==|thread .* panicked|SUMMARY|==netanomaly-fuzz==)' "$log" | head -5 | sed 's/^/   /'
    fi
    ROWS+=("$(printf '%-15s %6ss %12s %9s %6s %7s %12s %7s %6s' "$t" "$((t1 - t0))" \
        "${runs:-?}" "${eps:-?}" "${cov:-?}" "${ft:-?}" "${corp:-?}" "${rss:-?}" "$crashes")")
done
rm -rf target/tmp/netanomaly-fuzz-bundle-*

echo
printf '%-15s %7s %12s %9s %6s %7s %12s %7s %6s\n' target time runs execs/s cov ft corpus rss_mb crashes
printf '%s\n' "${ROWS[@]}"
echo "total: $(($(date +%s) - started)) s (build $((built - started)) s)"
exit $failed
