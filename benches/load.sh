#!/usr/bin/env bash
# Load: memory stays flat and nothing is lost under sustained input.
#
#   benches/load.sh [SECONDS]     # default 60
#
# 1. `monitor --format kdd` fed for SECONDS as fast as a generator can write (the 10%
#    file's lines, round and round): RSS sampled every second (min / max / curve), and
#    records in (lines written) = records out (the monitor's summary).
# 2. A spoofed SYN flood of FLOOD_PACKETS (default 1,000,000) through
#    `monitor --format pcap`: the connection table stays at its cap, the half-open
#    connections pushed out are counted, peak RSS.
#
# Inputs and bundles are shared with benches/monitor.sh ($NETANOMALY_BENCH_CACHE,
# default ~/.cache/netanomaly-bench); run that once first, or this script makes them.
set -euo pipefail
cd "$(dirname "$0")/.."

FEED_SECONDS=${1:-60}
FLOOD_PACKETS=${FLOOD_PACKETS:-1000000}
DATA_DIR=${NETANOMALY_DATA:-../shared/data}
CACHE=${NETANOMALY_BENCH_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/netanomaly-bench}
KDD_GZ=$DATA_DIR/kddcup.data_10_percent.gz
say() { echo "# $*" >&2; }

cargo build --release --quiet --bin netanomaly --example syn_flood
BIN=${CARGO_TARGET_DIR:-target}/release/netanomaly
FLOOD=${CARGO_TARGET_DIR:-target}/release/examples/syn_flood
# shellcheck source=benches/inputs.sh
source benches/inputs.sh
prepare_inputs

# Samples a process's RSS (KB) every second until it exits: "second rss" lines.
sample_rss() {
    local pid=$1 out=$2 t=0
    while [[ -r /proc/$pid/status ]]; do
        awk -v t="$t" '/^VmRSS:/ {print t, $2}' "/proc/$pid/status" >>"$out" 2>/dev/null || true
        sleep 1
        t=$((t + 1))
    done
}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# --- 1. sustained KDD feed (FEED_SECONDS=0 skips it) ---
if ((FEED_SECONDS > 0)); then
say "feeding monitor for $FEED_SECONDS s"
python3 - "$CACHE/kdd10.txt" "$FEED_SECONDS" "$work/written" <<'PY' |
import os, sys, time
lines = open(sys.argv[1], "rb").read().splitlines(keepends=True)
seconds, counter = float(sys.argv[2]), sys.argv[3]
# Blocks of whole lines, so the count is exact whatever the pipe does.
blocks = [b"".join(lines[i:i + 4096]) for i in range(0, len(lines), 4096)]
sizes = [len(lines[i:i + 4096]) for i in range(0, len(lines), 4096)]
written, end, out = 0, time.monotonic() + seconds, sys.stdout.buffer
try:
    while time.monotonic() < end:
        for block, n in zip(blocks, sizes):
            out.write(block)
            written += n
            if time.monotonic() >= end:
                break
    out.flush()
finally:
    open(counter, "w").write(str(written))
PY
    "$BIN" monitor --model "$CACHE/m-all" --flagged-only >"$work/out" 2>"$work/err" &
# The monitor is the last process of the pipeline: sample it.
sleep 0.2
mon=$(pgrep -n -f "monitor --model $CACHE/m-all --flagged-only")
sample_rss "$mon" "$work/rss" &
wait %1 2>/dev/null || true
wait
written=$(cat "$work/written")
scored=$(sed -n 's/.*: \([0-9,]*\) records in.*/\1/p' "$work/err" | tr -d ,)
skipped=$(sed -n 's/.*skipped \([0-9,]*\) malformed.*/\1/p' "$work/err" | tr -d ,)
printed=$(wc -l <"$work/out")
flagged=$(sed -n 's/.*either detector: \([0-9,]*\) flagged.*/\1/p' "$work/err" | tr -d ,)
read -r rss_min rss_max < <(awk 'NR > 2 {v = $2; if (min == "" || v < min) min = v; if (v > max) max = v} END {print min, max}' "$work/rss")
curve=$(awk 'NR > 2 && (NR - 3) % 6 == 0 {printf "%s%d", sep, $2 / 1024; sep = " "}' "$work/rss")
echo "== sustained feed: monitor --format kdd, $FEED_SECONDS s"
echo "records written $written, scored $scored, skipped ${skipped:-0}; flagged $flagged, lines printed $printed"
[[ $written == "$scored" ]] && echo "counts in = counts out" || echo "COUNT MISMATCH"
echo "rate $(awk -v n="$scored" -v s="$FEED_SECONDS" 'BEGIN {printf "%.0f", n / s}') records/s"
echo "RSS after warm-up (from 2 s): min $((rss_min / 1024)) MB, max $((rss_max / 1024)) MB"
echo "RSS every 6 s (MB): $curve"
grep -E "records in|either" "$work/err" >&2 || true
fi

# --- 2. SYN flood ---
flood=$CACHE/flood-$FLOOD_PACKETS.pcap
if [[ ! -f $flood ]]; then
    say "writing a $FLOOD_PACKETS-packet SYN flood"
    "$FLOOD" "$FLOOD_PACKETS" >"$flood.tmp" && mv "$flood.tmp" "$flood"
fi
for cap in 131072 10000; do
    /usr/bin/time -f '%e %M' -o "$work/time" "$BIN" monitor --model "$CACHE/m-header" \
        --format pcap --input "$flood" --flagged-only --why 0 --json --max-connections "$cap" \
        >"$work/flood.out" 2>"$work/flood.err"
    read -r t m <"$work/time"
    echo "== SYN flood: $FLOOD_PACKETS packets, --max-connections $cap"
    tail -1 "$work/flood.out" | python3 -c '
import json, sys
s = json.loads(sys.stdin.read())
c, k = s["capture"], s["counts"]
print("packets %d, records %d, flagged %d, evicted half-open %d, other %d" % (
    c["packets"], k["records"], k["flagged_any"], c["evicted_half_open"], c["evicted_other"]))'
    echo "time $t s ($(awk -v n="$FLOOD_PACKETS" -v t="$t" 'BEGIN {printf "%.2f", n / t / 1e6}') M packets/s), peak RSS $((m / 1024)) MB"
done
