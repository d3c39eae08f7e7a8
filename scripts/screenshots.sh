#!/usr/bin/env bash
# Regenerates screenshots/*.png: the dashboard on the real KDD 10% file, mid-training and
# after training, one picture per tab; then the Live tab monitoring a file that grows
# by 2,500 records of the same file every half second, scored by the model the first
# run saved. Captured from tmux with colours and rendered to PNG (scripts/ansi2png.py).
#
#   scripts/screenshots.sh            # needs ../shared/data (or NETANOMALY_DATA)
#   SHOTS=zeek scripts/screenshots.sh # only the Live tab on a Zeek conn.log (live-zeek.png)
#
# live-zeek.png: a model trained on the Benign rows of CTU-Normal-40 follows a conn.log
# that grows by CTU-Normal-42's rows (external scans among normal traffic), with the
# log's header first, as Zeek writes it.
#
# Needs tmux, Pillow and DejaVu Sans Mono; on Debian: apt-get install tmux python3-pil
# fonts-dejavu-core (installed here when missing and run as root).
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
shared="${NETANOMALY_DATA:-$repo/../shared/data}"
data="$shared/kddcup.data_10_percent.gz"
out="$repo/screenshots"
python=/usr/bin/python3

if ! command -v tmux >/dev/null || ! "$python" -c 'import PIL' 2>/dev/null \
    || [[ ! -f /usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf ]]; then
    if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
        apt-get install -y -qq tmux python3-pil fonts-dejavu-core >/dev/null
    else
        echo "needs tmux, python3-pil and fonts-dejavu-core" >&2
        exit 1
    fi
fi
[[ -f "$data" ]] || { echo "missing $data" >&2; exit 1; }

(cd "$repo" && cargo build --release --quiet)
bin="${CARGO_TARGET_DIR:-$repo/target}/release/netanomaly"
work="$(mktemp -d)"
session="netanomaly-shots-$$"
live="netanomaly-live-$$"
zeek="netanomaly-zeek-$$"
trap 'tmux kill-session -t "$session" 2>/dev/null || true; tmux kill-session -t "$live" 2>/dev/null || true; tmux kill-session -t "$zeek" 2>/dev/null || true; rm -rf "$work"' EXIT

wait_for() { # text, timeout seconds[, session]
    for _ in $(seq $(( $2 * 10 ))); do
        tmux capture-pane -p -t "${3:-$session}" | grep -q -- "$1" && return 0
        sleep 0.1
    done
    echo "timed out waiting for: $1" >&2
    tmux capture-pane -p -t "${3:-$session}" >&2
    exit 1
}
shot() { # name[, session]
    sleep 0.4
    tmux capture-pane -e -p -t "${2:-$session}" > "$work/$1.ansi"
    "$python" "$repo/scripts/ansi2png.py" "$work/$1.ansi" "$out/$1.png"
    echo "screenshots/$1.png"
}

mkdir -p "$out"
if [[ ${SHOTS:-all} != zeek ]]; then
tmux new-session -d -s "$session" -x 140 -y 42 \
    "TERM=xterm-256color $bin dashboard --data $data --out-dir $work; sleep 5"
# Mid-training: the autoencoder's live loss curve and the overview's gauge.
wait_for "training: epoch 1[0-9]/" 120
tmux send-keys -t "$session" 3; shot training-autoencoder
tmux send-keys -t "$session" 1; shot training-overview
# After training: every tab, the record detail and the help.
wait_for "the detectors trained" 600
for tab in 1:overview 2:isolation-forest 3:autoencoder 4:fused 5:compare 6:flagged-rows; do
    tmux send-keys -t "$session" "${tab%%:*}"; shot "${tab#*:}"
done
tmux send-keys -t "$session" Enter; shot flagged-detail
tmux send-keys -t "$session" Enter '?'; shot help
# A small terminal: 100×30, the Overview and the record detail.
tmux send-keys -t "$session" '?'
tmux resize-window -t "$session" -x 100 -y 30
tmux send-keys -t "$session" 1; shot overview-100x30
tmux send-keys -t "$session" 6 Enter; shot flagged-detail-100x30
tmux send-keys -t "$session" Escape
tmux resize-window -t "$session" -x 140 -y 42
# Save the model on screen for the Live tab.
tmux send-keys -t "$session" s
wait_for "saved the model bundle" 60
tmux send-keys -t "$session" q
model="$(ls -d "$work"/netanomaly-model-* | head -n 1)"

# The Live tab: a followed file that grows for 40 s.
# (head closes the pipe early: not a failure.)
{ zcat -f "$data" | head -n 200000 || true; } > "$work/all.kdd"
: > "$work/live.kdd"
tmux new-session -d -s "$live" -x 140 -y 42 \
    "TERM=xterm-256color $bin dashboard --model $model --monitor $work/live.kdd --follow; sleep 5"
wait_for "● running" 30 "$live"
for i in $(seq 0 79); do
    sed -n "$(( i * 2500 + 1 )),$(( (i + 1) * 2500 ))p" "$work/all.kdd" >> "$work/live.kdd"
    sleep 0.5
done
shot live "$live"
tmux send-keys -t "$live" q
fi

# The Live tab on a Zeek conn.log, followed while it grows for 40 s.
normal="$shared/zeek/strato008_normal40.conn.log.labeled"
scanned="$shared/zeek/strato010_normal42.conn.log.labeled"
"$bin" train --data "$normal" --feature-set header --out "$work/zeek-model" >/dev/null 2>&1
grep '^#' "$scanned" | grep -v '^#close' > "$work/conn.log"
grep -v '^#' "$scanned" > "$work/rows.log"
tmux new-session -d -s "$zeek" -x 140 -y 42 \
    "TERM=xterm-256color $bin dashboard --model $work/zeek-model --monitor $work/conn.log --follow; sleep 5"
wait_for "● running" 30 "$zeek"
rows=$(wc -l < "$work/rows.log")
for i in $(seq 0 79); do
    sed -n "$(( i * rows / 80 + 1 )),$(( (i + 1) * rows / 80 ))p" "$work/rows.log" >> "$work/conn.log"
    sleep 0.5
done
sleep 1
shot live-zeek "$zeek"
tmux send-keys -t "$zeek" q
