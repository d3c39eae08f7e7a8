#!/usr/bin/env bash
# Run the pandas + scikit-learn reference against the Rust engine.
#
#   benches/reference/run.sh [reference.py args...]
#   benches/reference/run.sh --repeat 5 --json /tmp/bench.json
#   benches/reference/run.sh --auc --seeds 0 1 2
#   benches/reference/run.sh --ae [--ae-presets default reference] [--json FILE]
#
# Creates (once) a private venv at ${NETANOMALY_BENCH_VENV:-~/.cache/netanomaly/bench-venv},
# installs requirements.txt into it (again whenever that file changes), builds
# `cargo build --release --example engine_timings` from the repo root (skipped for
# --auc / --no-rust, which do not use it; with --ae it builds
# `cargo build --release --features ndarray --example ae_timings` instead, so both burn
# backends, flex and ndarray, are compiled in), then runs reference.py with the venv's
# python. Works from any cwd. Environment: NETANOMALY_DATA (data folder),
# NETANOMALY_BENCH_VENV, NETANOMALY_BENCH_PYTHON (interpreter for the venv, default
# python3.11, else python3).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
venv="${NETANOMALY_BENCH_VENV:-$HOME/.cache/netanomaly/bench-venv}"
requirements="$here/requirements.txt"

if [[ ! -x "$venv/bin/python" ]]; then
    python="${NETANOMALY_BENCH_PYTHON:-}"
    if [[ -z "$python" ]]; then
        if command -v python3.11 >/dev/null 2>&1; then python=python3.11; else python=python3; fi
    fi
    echo "run.sh: creating venv $venv with $python" >&2
    mkdir -p "$(dirname "$venv")"
    "$python" -m venv "$venv"
fi

# Install once, and again only when requirements.txt changes.
stamp="$venv/.netanomaly-requirements.txt"
if ! cmp -s "$requirements" "$stamp"; then
    echo "run.sh: installing $requirements" >&2
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$requirements"
    cp "$requirements" "$stamp"
fi

needs_rust=1
ae=0
for arg in "$@"; do
    case "$arg" in
        --auc|--no-rust|-h|--help) needs_rust=0 ;;
        --ae) ae=1 ;;
    esac
done
if [[ $ae -eq 1 ]]; then
    # --ae always needs the binary: it also encodes the matrix Keras trains on.
    echo "run.sh: cargo build --release --features ndarray --example ae_timings" >&2
    (cd "$repo" && cargo build --release --features ndarray --example ae_timings)
elif [[ $needs_rust -eq 1 ]]; then
    echo "run.sh: cargo build --release --example engine_timings" >&2
    (cd "$repo" && cargo build --release --example engine_timings)
fi

exec "$venv/bin/python" "$here/reference.py" "$@"
