#!/usr/bin/env bash
# Scale: `evaluate --protocol profile` on the 10% file (494,021 rows) and on the same
# file repeated 10× with jitter (4,940,210 rows): wall time, peak RSS, and the stages.
#
#   benches/scale.sh                    # default settings, both detectors
#   EXTRA="--epochs 10 --patience 0" benches/scale.sh   # fixed work per row
#
# The big file is generated once into $NETANOMALY_BENCH_CACHE (default
# ~/.cache/netanomaly-bench), never into the repository: copy k of the 10 keeps the
# label and categories, and scales duration, src_bytes and dst_bytes by a random factor
# in [0.9, 1.1] (k = 0 is the original), so rows are not exact duplicates.
set -euo pipefail
cd "$(dirname "$0")/.."

DATA_DIR=${NETANOMALY_DATA:-../shared/data}
CACHE=${NETANOMALY_BENCH_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/netanomaly-bench}
KDD_GZ=$DATA_DIR/kddcup.data_10_percent.gz
EXTRA=${EXTRA:-}
say() { echo "# $*" >&2; }

cargo build --release --quiet --bin netanomaly
BIN=${CARGO_TARGET_DIR:-target}/release/netanomaly
# shellcheck source=benches/inputs.sh
source benches/inputs.sh
prepare_inputs
big=$CACHE/kdd10x10.txt
if [[ ! -f $big ]]; then
    say "generating $big (10 jittered copies)"
    python3 - "$CACHE/kdd10.txt" "$big.tmp" <<'PY'
import random, sys
lines = open(sys.argv[1]).read().splitlines()
rng = random.Random(10)
with open(sys.argv[2], "w") as out:
    for k in range(10):
        if k == 0:
            out.write("\n".join(lines) + "\n")
            continue
        for line in lines:
            f = line.split(",")
            for i in (0, 4, 5):  # duration, src_bytes, dst_bytes
                v = int(f[i])
                if v:
                    f[i] = str(max(0, round(v * rng.uniform(0.9, 1.1))))
            out.write(",".join(f) + "\n")
PY
    mv "$big.tmp" "$big"
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
printf '%-12s %10s %9s %9s %8s %8s %8s %8s %8s\n' file rows wall_s rss_MB encode_s if_fit if_score ae_fit ae_score
for file in "$CACHE/kdd10.txt" "$big"; do
    # shellcheck disable=SC2086
    /usr/bin/time -f '%e %M' -o "$work/time" "$BIN" evaluate --train "$file" \
        --protocol profile --json "$work/report.json" --force $EXTRA 2>"$work/err" >/dev/null
    read -r t m <"$work/time"
    python3 - "$work/report.json" "$(basename "$file")" "$t" "$m" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
d = r["detectors"]
rows = r["rows"]["train"] + r["rows"]["test"]
get = lambda k, f: d.get(k, {}).get(f, float("nan"))
print(f"{sys.argv[2]:<12} {rows:>10,} {float(sys.argv[3]):>9.1f} {int(sys.argv[4]) // 1024:>9} "
      f"{r['encode_seconds']:>8.1f} {get('iforest', 'fit_seconds'):>8.1f} {get('iforest', 'score_seconds'):>8.1f} "
      f"{get('autoencoder', 'fit_seconds'):>8.1f} {get('autoencoder', 'score_seconds'):>8.1f}"
      f"   AE epochs {get('autoencoder', 'epochs_run')}, AUC IF {get('iforest', 'roc_auc'):.4f} AE {get('autoencoder', 'roc_auc'):.4f}")
PY
done
