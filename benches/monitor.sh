#!/usr/bin/env bash
# Monitoring throughput and peak RSS: `monitor --format kdd` on the KDD Cup 99 10% file
# (494,021 records), `monitor --format pcap` on a large generated capture, and
# `monitor --format zeek` on a real Zeek conn.log (the shared TrickBot capture, 13,001
# rows) repeated with shifted times to ZEEK_ROWS rows (default 1,000,000).
#
#   benches/monitor.sh                 # build --release, prepare inputs once, measure
#   RUNS=5 benches/monitor.sh          # median of 5 runs (default 3)
#   BIN=/path/to/netanomaly benches/monitor.sh   # measure another binary (no build)
#   ONLY=zeek benches/monitor.sh       # only the cases whose name contains "zeek"
#                                      # (the reference `kdd text --why 3` always runs)
#
# Inputs and bundles are made once into $NETANOMALY_BENCH_CACHE (default
# ~/.cache/netanomaly-bench), never into the repository. The KDD file comes from
# $NETANOMALY_DATA (default ../shared/data). PCAP_SECONDS and PCAP_SESSIONS size the
# generated capture (default 600 s at 100 sessions/s: about 2.2 M packets, 1.1 GB).
set -euo pipefail
cd "$(dirname "$0")/.."

DATA_DIR=${NETANOMALY_DATA:-../shared/data}
CACHE=${NETANOMALY_BENCH_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/netanomaly-bench}
RUNS=${RUNS:-3}
PCAP_SECONDS=${PCAP_SECONDS:-600}
PCAP_SESSIONS=${PCAP_SESSIONS:-100}
KDD_GZ=$DATA_DIR/kddcup.data_10_percent.gz

if [[ -z ${BIN:-} ]]; then
    cargo build --release --quiet
    BIN=${CARGO_TARGET_DIR:-target}/release/netanomaly
fi
[[ -x /usr/bin/time ]] || { echo "needs /usr/bin/time (GNU time)" >&2; exit 1; }
say() { echo "# $*" >&2; }
# shellcheck source=benches/inputs.sh
source benches/inputs.sh
prepare_inputs
want() { [[ -z ${ONLY:-} || $1 == *"$ONLY"* || $1 == "kdd text --why 3" ]]; }
big=$CACHE/big-$PCAP_SECONDS-$PCAP_SESSIONS.pcap
if want pcap && [[ ! -f $big.packets ]]; then
    say "generating the capture ($PCAP_SECONDS s, $PCAP_SESSIONS sessions/s)"
    "$BIN" demo-capture --seconds "$PCAP_SECONDS" --sessions-per-second "$PCAP_SESSIONS" \
        --attacks all --out "$big" --force 2>&1 | tee /dev/stderr |
        sed -n 's/^wrote \([0-9,]*\) packets.*/\1/p' | tr -d , >"$big.packets"
fi
packets=$(cat "$big.packets" 2>/dev/null || echo 0)
ZEEK_ROWS=${ZEEK_ROWS:-1000000}
zeek_log=$DATA_DIR/zeek/trickbot_taleibhans.conn.log
zeek_big=$CACHE/zeek-$ZEEK_ROWS.conn.log
if [[ ! -f $zeek_big ]]; then
    say "building a $ZEEK_ROWS-row conn.log from $zeek_log"
    awk -F'\t' -v OFS='\t' -v n="$ZEEK_ROWS" '
        /^#close/ { next }
        /^#/ { print; next }
        { rows[++r] = $0; t = $1 + 0; if (r == 1 || t < lo) lo = t; if (t > hi) hi = t }
        END {
            span = hi - lo + 60
            for (i = 0; i < n; i++) {
                split(rows[i % r + 1], f, "\t")
                f[1] = sprintf("%.6f", f[1] + int(i / r) * span)
                f[2] = f[2] "x" int(i / r)   # uids stay unique
                line = f[1]
                for (k = 2; k in f; k++) line = line OFS f[k]
                print line
            }
        }' "$zeek_log" >"$zeek_big.tmp" && mv "$zeek_big.tmp" "$zeek_big"
fi
if [[ ! -f $CACHE/m-zeek/SHA256SUMS ]]; then
    say "training the Zeek bundle on the normal rows of CTU-Normal-40"
    "$BIN" train --data "$DATA_DIR/zeek/strato008_normal40.conn.log.labeled" \
        --feature-set header --out "$CACHE/m-zeek" --force >&2
fi

# --- measuring ---
median() { sort -g | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
rows=()
# measure NAME RECORDS_PATTERN COMMAND...: median seconds and peak RSS of $RUNS runs.
measure() {
    local name=$1
    shift
    want "$name" || return 0
    local times=() rss=() err=$CACHE/last.err out=$CACHE/last.time records
    for ((i = 0; i < RUNS; i++)); do
        /usr/bin/time -f '%e %M' -o "$out" "$@" >/dev/null 2>"$err"
        read -r t m <"$out"
        times+=("$t")
        rss+=("$m")
    done
    # `monitor` and `pcap2kdd` both report "N records" / "→ N connection records".
    records=$(grep -oE '([0-9,]+) (connection )?records' "$err" | head -1 | grep -oE '^[0-9,]+' | tr -d ,)
    local t m load
    t=$(printf '%s\n' "${times[@]}" | median)
    m=$(printf '%s\n' "${rss[@]}" | median)
    load=$(cut -d' ' -f1 /proc/loadavg)
    rows+=("$name|$records|$t|$m|$load")
    say "$name: ${times[*]} s, ${rss[*]} KB"
}

kdd=$CACHE/kdd10.txt
for why in 3 0; do
    measure "kdd text --why $why" "$BIN" monitor --model "$CACHE/m-all" --input "$kdd" --why "$why"
    measure "kdd --json --why $why" "$BIN" monitor --model "$CACHE/m-all" --input "$kdd" --why "$why" --json
done
measure "pcap text --why 3" "$BIN" monitor --model "$CACHE/m-header" --format pcap --input "$big"
measure "pcap --json --why 3" "$BIN" monitor --model "$CACHE/m-header" --format pcap --input "$big" --json
measure "pcap2kdd (tracking only)" "$BIN" pcap2kdd --input "$big" --out /dev/null --force
measure "zeek text --why 3" "$BIN" monitor --model "$CACHE/m-zeek" --input "$zeek_big"
measure "zeek --json --why 3" "$BIN" monitor --model "$CACHE/m-zeek" --input "$zeek_big" --json
measure "zeek text --why 0" "$BIN" monitor --model "$CACHE/m-zeek" --input "$zeek_big" --why 0

echo
echo "$(nproc) cores; medians of $RUNS runs; capture: $packets packets"
printf '%-26s %9s %8s %12s %12s %8s %6s\n' case records seconds records/s packets/s 'RSS MB' load
for row in "${rows[@]}"; do
    IFS='|' read -r name records t m load <<<"$row"
    awk -v n="$name" -v r="$records" -v t="$t" -v m="$m" -v l="$load" -v p="$packets" 'BEGIN {
        pps = (n ~ /pcap/) ? sprintf("%12.0f", p / t) : sprintf("%12s", "-")
        printf "%-26s %9d %8.2f %12.0f %s %8.0f %6s\n", n, r, t, r / t, pps, m / 1024, l
    }'
done
