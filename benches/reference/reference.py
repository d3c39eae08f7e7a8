#!/usr/bin/env python3
"""pandas + scikit-learn reference timings and detection figures for netanomaly.

Bench tooling only: nothing here is part of the product. It times the same
steps as the Rust engine on the same file (KDD Cup 99 10%, 494,021 rows) and
prints Python/Rust ratios from a single run.

How to run
----------
The usual way, from any directory (creates a private venv once, installs the
pinned requirements, builds the Rust ``engine_timings`` example, then runs this
script with the venv's Python, passing all arguments through)::

    benches/reference/run.sh                    # timings + ratios, 3 repeats
    benches/reference/run.sh --repeat 5 --json /tmp/bench.json
    benches/reference/run.sh --auc --seeds 0 1 2  # detection reference only

Directly, with a Python that has requirements.txt installed::

    python benches/reference/reference.py [--data FILE] [--repeat N] [--seed S]
        [--sk-jobs J] [--rust-bin PATH | --no-rust] [--no-rss] [--json FILE]
    python benches/reference/reference.py --auc --seeds 0 1 2 [--json FILE]
    python benches/reference/reference.py --ae [--ae-presets default reference]
        [--ae-batches 256 32] [--ae-epochs 4 3] [--ae-threads 0:0 1:1 2:1 1:2]
        [--ae-score-repeat 5] [--ae-bin PATH] [--matrix FILE.npy] [--json FILE]

Data
----
``--data`` defaults to ``$NETANOMALY_DATA/kddcup.data_10_percent.gz``, where
``NETANOMALY_DATA`` defaults to ``<repo>/../shared/data``. The file is read in
place, never copied.

Timing mode (default)
---------------------
Python steps, each run ``--repeat`` times, median reported (time.perf_counter):

``read_csv``
    ``pd.read_csv(gz, header=None, names=41 features + label)``.
``preprocess``
    the reference notebook's preprocessing: drop the label, ``pd.get_dummies``
    on protocol_type/service/flag, ``StandardScaler().fit_transform`` on the
    result (494,021 x 118 float64).
``iforest_fit``
    ``IsolationForest(n_estimators=100, max_samples='auto',
    contamination='auto', random_state=seed, n_jobs=--sk-jobs)`` on all rows.
    This is the headline fit: trees only.
``iforest_fit_c0.1`` (informational, not in the ratio targets)
    the same with ``contamination=0.1``. That value is *not* irrelevant to fit
    time: with a float contamination scikit-learn's ``fit`` scores every
    training row (single-threaded) to set ``offset_``, i.e. it includes a whole
    extra scoring pass, so it is not like-for-like with a trees-only fit.
``iforest_score``
    ``score_samples`` on all rows. scikit-learn ignores ``n_jobs`` here; as its
    docs recommend, the call is wrapped in
    ``joblib.parallel_backend('threading', n_jobs=--sk-jobs)`` so both fit and
    score use the same parallelism. ``--sk-jobs`` defaults to -1 (all cores).

Peak RSS (``ru_maxrss``) is measured per phase in a fresh child process that
does only that phase, so e.g. the load+encode peak is not polluted by the
forest: ``imports`` (interpreter + pandas + sklearn only), ``read_csv``,
``load_encode`` (read_csv + preprocess) and ``load_encode_iforest`` (all steps).
MB here means MiB (ru_maxrss KiB / 1024); /proc VmHWM is printed beside it as a
cross-check. The children are started before this process loads anything,
because on Linux a child's ru_maxrss starts at the RSS of its spawner.

Rust side: ``target/release/examples/engine_timings --data PATH --repeat N
--seed S`` (``--rust-bin`` to override) prints one JSON object with, in
seconds (medians): rows, load_seconds, encode_seconds, iforest_fit_seconds,
iforest_score_seconds, and load_encode_peak_rss_mb. Missing keys print "n/a".

Targets checked: load+encode ratio >= 10x with Rust peak RSS <= 400 MB, and
IsolationForest fit+score ratio >= 10x. Combined steps use the sum of the
per-step medians.

Autoencoder mode (``--ae``)
--------------------------
Keras/TensorFlow (tensorflow-cpu) against the Rust autoencoder, on the same matrix.
``examples/ae_timings`` (built by run.sh with ``--features ndarray``, so both burn
backends) encodes the file with the encoder fitted on all rows, writes the matrix as
``.npy`` (``--matrix``, default a temporary file), then trains each preset on each
compiled backend at each batch size (validation_split 0.1, no early stopping) and
times ``TrainedAutoencoder::score`` on all rows. Keras then trains the same
architecture (Dense layers, Glorot-uniform, Adam lr 1e-3 ε 1e-7, MSE,
validation_split 0.1, ``verbose=0``) on that file, once per TensorFlow thread setting
(``--ae-threads INTRA:INTER``; each in its own process, since TensorFlow fixes its
pools at start-up). Epoch time = training pass + validation, median of the epochs
after the first; scoring = per-row reconstruction MSE of all rows, the fastest of
``model.predict(batch_size=8192)`` + NumPy, a ``tf.function`` per 8192-row block and one
``tf.function`` call on the whole matrix. The table shows each Keras figure at its
best thread setting and the ratios Keras time / ours, then the issue's targets (>= 7x
at batch 32, >= 3x at batch 256, scoring >= 5x), also against the Keras figures the
issue quotes.

Detection mode (``--auc``)
--------------------------
The "profile" protocol, once per seed in ``--seeds``: take the normal rows of
the whole file, split them 50/50 with ``numpy.random.default_rng(seed)
.permutation``; fit get_dummies columns + StandardScaler on the training half
only (test dummies reindexed to the training columns, filled with 0); fit
``IsolationForest(n_estimators=100, max_samples='auto', random_state=seed)``
on the training half; score test = the other half of the normals + every
attack row. Reports ROC AUC and average precision (attacks positive, score =
-score_samples) and precision/recall/F1 when flagging score >= the 99th
percentile of the training half's scores.
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Callable

SCRIPT_DIR = Path(__file__).resolve().parent
REPO_ROOT = SCRIPT_DIR.parent.parent
DATA_FILE_NAME = "kddcup.data_10_percent.gz"

FEATURES = [
    "duration", "protocol_type", "service", "flag", "src_bytes", "dst_bytes",
    "land", "wrong_fragment", "urgent", "hot", "num_failed_logins", "logged_in",
    "num_compromised", "root_shell", "su_attempted", "num_root",
    "num_file_creations", "num_shells", "num_access_files", "num_outbound_cmds",
    "is_host_login", "is_guest_login", "count", "srv_count", "serror_rate",
    "srv_serror_rate", "rerror_rate", "srv_rerror_rate", "same_srv_rate",
    "diff_srv_rate", "srv_diff_host_rate", "dst_host_count",
    "dst_host_srv_count", "dst_host_same_srv_rate", "dst_host_diff_srv_rate",
    "dst_host_same_src_port_rate", "dst_host_srv_diff_host_rate",
    "dst_host_serror_rate", "dst_host_srv_serror_rate", "dst_host_rerror_rate",
    "dst_host_srv_rerror_rate",
]
assert len(FEATURES) == 41
COLUMNS = FEATURES + ["label"]
CATEGORICAL = ["protocol_type", "service", "flag"]
NORMAL_LABEL = "normal."

N_ESTIMATORS = 100
TARGET_SPEEDUP = 10.0
TARGET_RSS_MB = 400.0
RSS_PHASES = ["imports", "read_csv", "load_encode", "load_encode_iforest"]

# Rust JSON keys (medians, seconds) paired with the Python step they match.
RUST_KEYS = {
    "read_csv": "load_seconds",
    "preprocess": "encode_seconds",
    "iforest_fit": "iforest_fit_seconds",
    "iforest_score": "iforest_score_seconds",
}


# --------------------------------------------------------------------------
# Paths and small helpers
# --------------------------------------------------------------------------

def default_data_path() -> Path:
    """``$NETANOMALY_DATA/<file>``, the folder defaulting to ``<repo>/../shared/data``."""
    folder = os.environ.get("NETANOMALY_DATA") or str(REPO_ROOT.parent / "shared" / "data")
    return Path(folder) / DATA_FILE_NAME


def default_rust_bin() -> Path:
    """Where ``cargo build --release --example engine_timings`` puts the binary."""
    target = os.environ.get("CARGO_TARGET_DIR")
    target_dir = Path(target) if target else REPO_ROOT / "target"
    if not target_dir.is_absolute():  # cargo resolves it against its cwd: run.sh uses the repo root
        target_dir = REPO_ROOT / target_dir
    return target_dir / "release" / "examples" / "engine_timings"


def peak_rss_mb() -> float:
    """This process's peak resident set size in MiB (Linux ru_maxrss is KiB)."""
    kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    if sys.platform == "darwin":  # bytes there
        kib /= 1024
    return kib / 1024


def vm_hwm_mb() -> float | None:
    """Peak RSS of the current address space from /proc (Linux only), in MiB."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def package_versions() -> dict[str, str]:
    """Installed versions of the measured libraries, without importing them."""
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for name in ("pandas", "numpy", "scikit-learn", "scipy"):
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "not installed"
    return out


def load_average() -> str:
    try:
        return " ".join(f"{v:.2f}" for v in os.getloadavg())
    except OSError:
        return "n/a"


def as_number(value: Any) -> float | None:
    """A finite float, or None for missing / non-numeric values."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def fmt_seconds(value: float | None) -> str:
    if value is None:
        return "n/a"
    if value < 0.01:
        return f"{value * 1000:.2f} ms"
    return f"{value:.3f} s"


def fmt_mb(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.0f} MB"


def fmt_ratio(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1f}x"


def ratio(python_s: float | None, rust_s: float | None) -> float | None:
    if python_s is None or rust_s is None or rust_s <= 0:
        return None
    return python_s / rust_s


def add(*values: float | None) -> float | None:
    return None if any(v is None for v in values) else sum(values)  # type: ignore[arg-type]


def print_table(headers: list[str], rows: list[list[str]]) -> None:
    """Plain text table: first column left-aligned, the rest right-aligned."""
    widths = [max(len(str(r[i])) for r in [headers] + rows) for i in range(len(headers))]

    def line(cells: list[str]) -> str:
        out = [str(cells[0]).ljust(widths[0])]
        out += [str(c).rjust(w) for c, w in zip(cells[1:], widths[1:])]
        return "  ".join(out)

    print(line(headers))
    print("  ".join("-" * w for w in widths))
    for r in rows:
        print(line(r))


# --------------------------------------------------------------------------
# The Python steps (imports are deferred so the `imports` RSS phase is honest)
# --------------------------------------------------------------------------

def read_csv(path: Path):
    import pandas as pd

    return pd.read_csv(path, header=None, names=COLUMNS)


def preprocess(df):
    """The reference notebook's preprocessing: one-hot + StandardScaler on everything."""
    import pandas as pd
    from sklearn.preprocessing import StandardScaler

    features = pd.get_dummies(df.drop(columns="label"), columns=CATEGORICAL)
    return StandardScaler().fit_transform(features)


def make_forest(seed: int, n_jobs: int, contamination: Any = "auto"):
    from sklearn.ensemble import IsolationForest

    return IsolationForest(
        n_estimators=N_ESTIMATORS,
        max_samples="auto",
        contamination=contamination,
        random_state=seed,
        n_jobs=n_jobs,
    )


def score_samples(model, X, n_jobs: int):
    """``score_samples`` with the documented threading context (it ignores n_jobs)."""
    from joblib import parallel_backend

    with parallel_backend("threading", n_jobs=n_jobs):
        return model.score_samples(X)


def timed(fn: Callable[[], Any], repeat: int) -> tuple[list[float], Any]:
    """Run ``fn`` ``repeat`` times; return the wall times and the last result."""
    times, result = [], None
    for _ in range(repeat):
        result = None  # free the previous result before the next run
        gc.collect()
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return times, result


def run_python_timings(data: Path, repeat: int, seed: int, sk_jobs: int) -> dict[str, Any]:
    steps: dict[str, list[float]] = {}

    steps["read_csv"], df = timed(lambda: read_csv(data), repeat)
    rows = len(df)
    print(f"  {'read_csv':<17} {fmt_seconds(statistics.median(steps['read_csv']))}  ({rows} rows)", flush=True)

    steps["preprocess"], X = timed(lambda: preprocess(df), repeat)
    print(f"  {'preprocess':<17} {fmt_seconds(statistics.median(steps['preprocess']))}  "
          f"(matrix {X.shape[0]} x {X.shape[1]} {X.dtype})", flush=True)
    del df

    steps["iforest_fit"], model = timed(lambda: make_forest(seed, sk_jobs).fit(X), repeat)
    print(f"  {'iforest_fit':<17} {fmt_seconds(statistics.median(steps['iforest_fit']))}", flush=True)

    steps["iforest_fit_c0.1"], _ = timed(lambda: make_forest(seed, sk_jobs, 0.1).fit(X), repeat)
    print(f"  {'iforest_fit_c0.1':<17} {fmt_seconds(statistics.median(steps['iforest_fit_c0.1']))}"
          "  (contamination=0.1: fit also scores all rows)", flush=True)

    steps["iforest_score"], scores = timed(lambda: score_samples(model, X, sk_jobs), repeat)
    print(f"  {'iforest_score':<17} {fmt_seconds(statistics.median(steps['iforest_score']))}", flush=True)
    assert len(scores) == rows

    return {
        "rows": rows,
        "encoded_columns": int(X.shape[1]),
        "steps": {
            name: {"median_seconds": statistics.median(ts), "samples_seconds": ts}
            for name, ts in steps.items()
        },
    }


# --------------------------------------------------------------------------
# Peak RSS, one child process per phase
# --------------------------------------------------------------------------

def rss_child(phase: str, data: Path, seed: int, sk_jobs: int) -> None:
    """Entry point of a child: do exactly one phase, print its peak RSS as JSON."""
    import pandas  # noqa: F401  (the imports phase measures these)
    import sklearn.ensemble  # noqa: F401
    import sklearn.preprocessing  # noqa: F401

    if phase != "imports":
        df = read_csv(data)
        if phase != "read_csv":
            X = preprocess(df)
            del df
            if phase == "load_encode_iforest":
                model = make_forest(seed, sk_jobs).fit(X)
                score_samples(model, X, sk_jobs)
    print(json.dumps({"phase": phase, "peak_rss_mb": peak_rss_mb(), "vm_hwm_mb": vm_hwm_mb()}))


def measure_rss(data: Path, seed: int, sk_jobs: int) -> dict[str, dict[str, float | None]]:
    """Run each phase in its own child; {phase: {"peak_rss_mb", "vm_hwm_mb"}}.

    Must be called while this process is still small: on Linux a child's
    ru_maxrss starts from the RSS of the process that forked/exec'd it.
    """
    out: dict[str, dict[str, float | None]] = {}
    for phase in RSS_PHASES:
        cmd = [sys.executable, str(Path(__file__).resolve()), "--rss-child", phase,
               "--data", str(data), "--seed", str(seed), "--sk-jobs", str(sk_jobs)]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        child = parse_json_object(proc.stdout) if proc.returncode == 0 else None
        if child is None:
            print(f"  warning: RSS child '{phase}' failed (exit {proc.returncode}):\n{proc.stderr}",
                  file=sys.stderr)
            child = {}
        out[phase] = {"peak_rss_mb": as_number(child.get("peak_rss_mb")),
                      "vm_hwm_mb": as_number(child.get("vm_hwm_mb"))}
        print(f"  {phase:<20} ru_maxrss {fmt_mb(out[phase]['peak_rss_mb'])}"
              f"  (VmHWM {fmt_mb(out[phase]['vm_hwm_mb'])})", flush=True)
    return out


# --------------------------------------------------------------------------
# Rust side
# --------------------------------------------------------------------------

def parse_json_object(text: str) -> dict[str, Any] | None:
    """The JSON object on stdout: the whole text, else the last line that is one."""
    candidates = [text.strip()] + [ln.strip() for ln in reversed(text.splitlines())]
    for candidate in candidates:
        if candidate.startswith("{"):
            try:
                value = json.loads(candidate)
            except json.JSONDecodeError:
                continue
            if isinstance(value, dict):
                return value
    return None


def run_rust(rust_bin: Path, data: Path, repeat: int, seed: int) -> dict[str, Any] | None:
    if not rust_bin.exists():
        print(f"  warning: {rust_bin} not found (build it with "
              "`cargo build --release --example engine_timings`); Rust columns are n/a",
              file=sys.stderr)
        return None
    cmd = [str(rust_bin), "--data", str(data), "--repeat", str(repeat), "--seed", str(seed)]
    print("  $ " + " ".join(cmd), flush=True)
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, text=True)  # stderr passes through
    if proc.returncode != 0:
        print(f"  warning: engine_timings exited {proc.returncode}; Rust columns are n/a",
              file=sys.stderr)
        return None
    result = parse_json_object(proc.stdout)
    if result is None:
        print("  warning: engine_timings printed no JSON object; Rust columns are n/a\n"
              f"  stdout was: {proc.stdout[:2000]!r}", file=sys.stderr)
    return result


# --------------------------------------------------------------------------
# Timing mode report
# --------------------------------------------------------------------------

def timing_mode(args: argparse.Namespace) -> dict[str, Any]:
    versions = package_versions()
    jobs_note = "all cores" if args.sk_jobs == -1 else f"{args.sk_jobs} job(s)"
    load_start = load_average()
    print(f"data:     {args.data}")
    print(f"python:   {platform.python_version()}  "
          + "  ".join(f"{name} {version}" for name, version in versions.items()))
    print(f"machine:  {os.cpu_count()} logical CPUs; sklearn n_jobs={args.sk_jobs} ({jobs_note}), "
          f"score_samples under joblib threading n_jobs={args.sk_jobs}")
    print(f"repeat:   {args.repeat} (medians), seed {args.seed}")
    print(f"load avg: {load_start} (1/5/15 min; other work on the machine skews timings)\n")

    # Peak RSS before anything heavy is imported or loaded here: on Linux a
    # child's ru_maxrss starts at the RSS of the process that spawned it.
    rss: dict[str, dict[str, float | None]] = {
        p: {"peak_rss_mb": None, "vm_hwm_mb": None} for p in RSS_PHASES}
    if not args.no_rss:
        print(f"Python peak RSS (one child process per phase; this process {fmt_mb(peak_rss_mb())}):",
              flush=True)
        rss = measure_rss(args.data, args.seed, args.sk_jobs)
        print()

    print("Python steps:", flush=True)
    py = run_python_timings(args.data, args.repeat, args.seed, args.sk_jobs)

    rust: dict[str, Any] | None = None
    if not args.no_rust:
        print("\nRust engine_timings:", flush=True)
        rust = run_rust(args.rust_bin, args.data, args.repeat, args.seed)
    rust = rust or {}

    def rust_value(key: str) -> float | None:
        return as_number(rust.get(key))

    py_med = {name: step["median_seconds"] for name, step in py["steps"].items()}
    rust_med = {name: rust_value(key) for name, key in RUST_KEYS.items()}

    py_load_encode = py_med["read_csv"] + py_med["preprocess"]
    rust_load_encode = rust_value("load_encode_seconds")
    if rust_load_encode is None:
        rust_load_encode = add(rust_med["read_csv"], rust_med["preprocess"])
    py_if = py_med["iforest_fit"] + py_med["iforest_score"]
    rust_if = add(rust_med["iforest_fit"], rust_med["iforest_score"])

    rows = [
        ("read_csv  vs load", py_med["read_csv"], rust_med["read_csv"]),
        ("get_dummies+StandardScaler  vs encode", py_med["preprocess"], rust_med["preprocess"]),
        ("load+encode (sum)", py_load_encode, rust_load_encode),
        ("iforest fit", py_med["iforest_fit"], rust_med["iforest_fit"]),
        ("iforest fit, contamination=0.1 (info)", py_med["iforest_fit_c0.1"], rust_med["iforest_fit"]),
        ("iforest score_samples  vs score", py_med["iforest_score"], rust_med["iforest_score"]),
        ("iforest fit+score (sum)", py_if, rust_if),
    ]
    print(f"\nRatios (median of {args.repeat}; ratio = Python / Rust, higher is better for Rust)")
    print_table(["step", "Python", "Rust", "ratio"],
                [[name, fmt_seconds(p), fmt_seconds(r), fmt_ratio(ratio(p, r))] for name, p, r in rows])

    py_rss = rss["load_encode"]["peak_rss_mb"]
    rust_rss = rust_value("load_encode_peak_rss_mb")
    print("\nPeak RSS, load+encode (separate processes; MB = MiB)")
    print_table(["", "pandas+sklearn", "Rust", "ratio"],
                [["load+encode peak RSS", fmt_mb(py_rss), fmt_mb(rust_rss), fmt_ratio(ratio(py_rss, rust_rss))]])
    if not args.no_rss:
        print("  python phases (ru_maxrss): "
              + ", ".join(f"{p} {fmt_mb(rss[p]['peak_rss_mb'])}" for p in RSS_PHASES))

    rust_rows = rust_value("rows")
    if rust_rows is not None and int(rust_rows) != py["rows"]:
        print(f"\nWARNING: row counts differ: Python {py['rows']}, Rust {int(rust_rows)}")

    le_ratio = ratio(py_load_encode, rust_load_encode)
    if_ratio = ratio(py_if, rust_if)

    def verdict(ok: bool | None) -> str:
        return "n/a" if ok is None else ("PASS" if ok else "FAIL")

    le_speed_ok = None if le_ratio is None else le_ratio >= TARGET_SPEEDUP
    le_rss_ok = None if rust_rss is None else rust_rss <= TARGET_RSS_MB
    le_ok = None if le_speed_ok is None or le_rss_ok is None else (le_speed_ok and le_rss_ok)
    if_ok = None if if_ratio is None else if_ratio >= TARGET_SPEEDUP

    print("\nTargets")
    print_table(["target", "measured", "verdict"], [
        [f"load+encode >= {TARGET_SPEEDUP:.0f}x (read_csv+get_dummies+StandardScaler vs Rust)",
         fmt_ratio(le_ratio), verdict(le_speed_ok)],
        [f"  with Rust load+encode peak RSS <= {TARGET_RSS_MB:.0f} MB", fmt_mb(rust_rss), verdict(le_rss_ok)],
        [f"IsolationForest fit+score >= {TARGET_SPEEDUP:.0f}x", fmt_ratio(if_ratio), verdict(if_ok)],
    ])

    load_end = load_average()
    print(f"\nload avg at end: {load_end}")
    return {
        "mode": "timings",
        "data": str(args.data),
        "repeat": args.repeat,
        "seed": args.seed,
        "sk_jobs": args.sk_jobs,
        "environment": {
            "python": platform.python_version(),
            **versions,
            "cpu_count": os.cpu_count(),
            "platform": platform.platform(),
            "load_average_at_start": load_start,
            "load_average_at_end": load_end,
        },
        "python": {**py, "peak_rss_mb": rss},
        "rust": rust or None,
        "combined_seconds": {
            "python_load_encode": py_load_encode,
            "rust_load_encode": rust_load_encode,
            "python_iforest_fit_score": py_if,
            "rust_iforest_fit_score": rust_if,
        },
        "ratios": {name: ratio(p, r) for name, p, r in rows},
        "targets": {
            "load_encode_ratio": le_ratio,
            "load_encode_speed_ok": le_speed_ok,
            "rust_load_encode_peak_rss_mb": rust_rss,
            "load_encode_rss_ok": le_rss_ok,
            "load_encode_ok": le_ok,
            "iforest_fit_score_ratio": if_ratio,
            "iforest_ok": if_ok,
        },
    }


# --------------------------------------------------------------------------
# Detection mode
# --------------------------------------------------------------------------

def profile_protocol(df, seed: int, sk_jobs: int) -> dict[str, Any]:
    """One seed of the profile protocol; see the module docstring."""
    import numpy as np
    import pandas as pd
    from sklearn.ensemble import IsolationForest
    from sklearn.metrics import average_precision_score, precision_recall_fscore_support, roc_auc_score
    from sklearn.preprocessing import StandardScaler

    labels = df["label"].to_numpy()
    normal_idx = np.flatnonzero(labels == NORMAL_LABEL)
    attack_idx = np.flatnonzero(labels != NORMAL_LABEL)
    perm = np.random.default_rng(seed).permutation(len(normal_idx))
    half = len(normal_idx) // 2
    train_idx = normal_idx[perm[:half]]
    test_idx = np.concatenate([normal_idx[perm[half:]], attack_idx])
    y_test = (labels[test_idx] != NORMAL_LABEL).astype(np.int8)  # attacks positive

    raw = df.drop(columns="label")
    train = pd.get_dummies(raw.iloc[train_idx], columns=CATEGORICAL)
    test = pd.get_dummies(raw.iloc[test_idx], columns=CATEGORICAL)
    test = test.reindex(columns=train.columns, fill_value=0)
    scaler = StandardScaler().fit(train)
    X_train = scaler.transform(train)
    X_test = scaler.transform(test)

    model = IsolationForest(n_estimators=N_ESTIMATORS, max_samples="auto",
                            random_state=seed, n_jobs=sk_jobs).fit(X_train)
    train_scores = -score_samples(model, X_train, sk_jobs)
    test_scores = -score_samples(model, X_test, sk_jobs)

    threshold = float(np.percentile(train_scores, 99))
    flagged = test_scores >= threshold
    precision, recall, f1, _ = precision_recall_fscore_support(
        y_test, flagged.astype(np.int8), average="binary", pos_label=1, zero_division=0)
    n_test_normal = int((y_test == 0).sum())
    return {
        "seed": seed,
        "train_normals": int(len(train_idx)),
        "test_normals": n_test_normal,
        "test_attacks": int(y_test.sum()),
        "encoded_columns": int(train.shape[1]),
        "roc_auc": float(roc_auc_score(y_test, test_scores)),
        "average_precision": float(average_precision_score(y_test, test_scores)),
        "threshold": threshold,
        "flagged": int(flagged.sum()),
        "test_normal_fpr": float(flagged[y_test == 0].sum() / n_test_normal),
        "precision": float(precision),
        "recall": float(recall),
        "f1": float(f1),
    }


def auc_mode(args: argparse.Namespace) -> dict[str, Any]:
    import sklearn

    print(f"data:    {args.data}")
    print(f"profile protocol, scikit-learn {sklearn.__version__}, IsolationForest(n_estimators="
          f"{N_ESTIMATORS}, max_samples='auto', random_state=seed, n_jobs={args.sk_jobs}); "
          "threshold = p99 of training-half scores\n", flush=True)
    df = read_csv(args.data)
    results = []
    for seed in args.seeds:
        start = time.perf_counter()
        r = profile_protocol(df, seed, args.sk_jobs)
        r["seconds"] = time.perf_counter() - start
        results.append(r)
        print(f"seed {seed}: train {r['train_normals']} normals; test {r['test_normals']} normals "
              f"+ {r['test_attacks']} attacks; {r['encoded_columns']} encoded columns "
              f"({r['seconds']:.1f} s)")
        print_table(["metric", "value"], [
            ["ROC AUC", f"{r['roc_auc']:.4f}"],
            ["average precision", f"{r['average_precision']:.4f}"],
            ["threshold (p99 train)", f"{r['threshold']:.4f}"],
            ["flagged", str(r["flagged"])],
            ["FPR on test normals", f"{r['test_normal_fpr']:.4f}"],
            ["precision", f"{r['precision']:.4f}"],
            ["recall", f"{r['recall']:.4f}"],
            ["F1", f"{r['f1']:.4f}"],
        ])
        print(flush=True)

    keys = ["roc_auc", "average_precision", "precision", "recall", "f1", "test_normal_fpr"]
    print("Summary")
    summary_rows = [[str(r["seed"])] + [f"{r[k]:.4f}" for k in keys] for r in results]
    if len(results) > 1:
        summary_rows.append(["mean"] + [f"{statistics.mean(r[k] for r in results):.4f}" for k in keys])
        summary_rows.append(["min"] + [f"{min(r[k] for r in results):.4f}" for k in keys])
        summary_rows.append(["max"] + [f"{max(r[k] for r in results):.4f}" for k in keys])
    print_table(["seed", "ROC AUC", "AP", "precision", "recall", "F1", "FPR"], summary_rows)
    return {"mode": "auc", "data": str(args.data), "scikit_learn": sklearn.__version__,
            "sk_jobs": args.sk_jobs, "seeds": results}


# --------------------------------------------------------------------------
# Autoencoder mode (--ae): Keras/TensorFlow vs the Rust autoencoder
# --------------------------------------------------------------------------

# The two presets of netanomaly::detect::autoencoder::AutoencoderConfig::preset:
# hidden layers (width, activation) and the output activation; Adam lr 1e-3, MSE.
AE_PRESETS = {
    "default": ([(128, "tanh"), (32, "relu"), (128, "tanh")], "linear"),
    "reference": ([(14, "tanh"), (7, "relu"), (7, "tanh")], "relu"),
}
AE_LEARNING_RATE = 1e-3
AE_VALIDATION_SPLIT = 0.1
AE_PREDICT_BATCH = 8192  # the Rust scorer's block size
# The issue's targets (Keras time / ours) and the Keras figures it quotes for this machine.
AE_TARGETS = {"epoch_32": 7.0, "epoch_256": 3.0, "score": 5.0}
AE_ISSUE_KERAS = {"epoch_32": 19.6, "epoch_256": 3.0, "score_rows_per_second": 0.21e6}


def default_ae_bin() -> Path:
    """Where ``cargo build --release --features ndarray --example ae_timings`` puts it."""
    return default_rust_bin().with_name("ae_timings")


def later_median(values: list[float]) -> float | None:
    """Median of the epochs after the first (the first pays for tracing and warm-up)."""
    if not values:
        return None
    return statistics.median(values[1:] if len(values) > 1 else values)


def ae_epochs_for(batches: list[int], epochs: list[int]) -> list[int]:
    return epochs * len(batches) if len(epochs) == 1 else epochs


def ae_child(args: argparse.Namespace) -> None:
    """One TensorFlow process with one thread setting (TF fixes its thread pools at
    start-up, so each setting needs its own process). Prints one JSON object."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    intra, inter = args.ae_child
    import numpy as np
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(intra)
    tf.config.threading.set_inter_op_parallelism_threads(inter)
    import keras

    X = np.load(args.matrix)
    X = np.ascontiguousarray(X, dtype=np.float32)
    rows, cols = X.shape

    class EpochTimer(keras.callbacks.Callback):
        """Whole epoch (training pass + validation) and the training pass alone."""

        def __init__(self) -> None:
            super().__init__()
            self.epoch_seconds: list[float] = []
            self.train_pass_seconds: list[float] = []
            self.val_loss: list[float] = []

        def on_epoch_begin(self, epoch, logs=None):
            self.start = time.perf_counter()
            self.pass_end = None

        def on_test_begin(self, logs=None):
            self.pass_end = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            end = time.perf_counter()
            self.epoch_seconds.append(end - self.start)
            self.train_pass_seconds.append((self.pass_end or end) - self.start)
            self.val_loss.append(float((logs or {}).get("val_loss", float("nan"))))
            print(f"    keras intra={intra} inter={inter} batch {self.batch_size}: epoch {epoch + 1}: "
                  f"{self.epoch_seconds[-1]:.3f} s ({self.train_pass_seconds[-1]:.3f} s training pass), "
                  f"loss {float((logs or {}).get('loss', float('nan'))):.5f}, "
                  f"validation {self.val_loss[-1]:.5f}", file=sys.stderr, flush=True)

    def build(preset: str):
        hidden, out_act = AE_PRESETS[preset]
        layers = [keras.Input(shape=(cols,))]
        layers += [keras.layers.Dense(width, activation=act) for width, act in hidden]
        layers.append(keras.layers.Dense(cols, activation=out_act))
        model = keras.Sequential(layers)
        model.compile(optimizer=keras.optimizers.Adam(learning_rate=AE_LEARNING_RATE), loss="mse")
        return model

    def time_repeats(fn: Callable[[], Any]) -> list[float]:
        fn()  # warm-up: tracing / graph building is not throughput
        out = []
        for _ in range(args.ae_score_repeat):
            start = time.perf_counter()
            fn()
            out.append(time.perf_counter() - start)
        return out

    runs, scoring = [], []
    for preset in args.ae_presets:
        for i, (batch, epochs) in enumerate(zip(args.ae_batches, ae_epochs_for(args.ae_batches, args.ae_epochs))):
            keras.utils.set_random_seed(args.seed)
            model = build(preset)
            timer = EpochTimer()
            timer.batch_size = batch
            start = time.perf_counter()
            history = model.fit(X, X, batch_size=batch, epochs=epochs, validation_split=AE_VALIDATION_SPLIT,
                                shuffle=True, verbose=0, callbacks=[timer])
            seconds = time.perf_counter() - start
            runs.append({
                "preset": preset, "batch": batch, "epochs": epochs,
                "parameters": int(model.count_params()),
                "train_rows": int(math.ceil(rows * (1 - AE_VALIDATION_SPLIT))),
                "epoch_seconds": timer.epoch_seconds,
                "train_pass_seconds": timer.train_pass_seconds,
                "median_epoch_seconds": later_median(timer.epoch_seconds),
                "median_train_pass_seconds": later_median(timer.train_pass_seconds),
                "fit_seconds": seconds,
                "final_train_loss": float(history.history["loss"][-1]),
                "final_validation_loss": float(history.history["val_loss"][-1]),
            })
            if i > 0:
                continue
            # Scoring = per-row reconstruction MSE of every row, like TrainedAutoencoder::score.
            def predict_then_numpy():
                recon = model.predict(X, batch_size=AE_PREDICT_BATCH, verbose=0)
                return np.mean(np.square(X - recon), axis=1)

            @tf.function(input_signature=[tf.TensorSpec([None, cols], tf.float32)])
            def row_mse(x):
                return tf.reduce_mean(tf.square(model(x, training=False) - x), axis=1)

            X_tf = tf.constant(X)

            def compiled_blocks():
                # One graph call per block of AE_PREDICT_BATCH rows (no Keras predict loop).
                return [row_mse(X_tf[s:s + AE_PREDICT_BATCH]).numpy() for s in range(0, rows, AE_PREDICT_BATCH)]

            def compiled_whole():
                return row_mse(X_tf).numpy()

            methods = {}
            for name, fn in [("predict", predict_then_numpy), ("tf_function_blocks", compiled_blocks),
                             ("tf_function_whole", compiled_whole)]:
                ts = time_repeats(fn)
                methods[name] = {"seconds": ts, "median_seconds": statistics.median(ts),
                                 "rows_per_second": rows / statistics.median(ts)}
                print(f"    keras intra={intra} inter={inter} {preset}: scoring via {name}: "
                      f"{statistics.median(ts):.3f} s ({rows / statistics.median(ts) / 1e6:.2f} M rows/s)",
                      file=sys.stderr, flush=True)
            best = max(methods, key=lambda m: methods[m]["rows_per_second"])
            scoring.append({"preset": preset, "methods": methods, "best_method": best,
                            "rows_per_second": methods[best]["rows_per_second"]})
            del X_tf
    print(json.dumps({
        "intra_op_threads": intra, "inter_op_threads": inter,
        "tensorflow": tf.__version__, "keras": keras.__version__,
        "rows": rows, "columns": cols, "matrix_sum": float(X.astype(np.float64).sum()),
        "runs": runs, "scoring": scoring,
    }))


def run_ae_rust(args: argparse.Namespace, matrix: Path) -> dict[str, Any] | None:
    if not args.ae_bin.exists():
        print(f"  warning: {args.ae_bin} not found (build it with `cargo build --release "
              "--features ndarray --example ae_timings`)", file=sys.stderr)
        return None
    cmd = [str(args.ae_bin), "--data", str(args.data),
           "--batches", ",".join(map(str, args.ae_batches)),
           "--epochs", ",".join(map(str, args.ae_epochs)),
           "--presets", ",".join(args.ae_presets),
           "--score-repeat", str(args.ae_score_repeat), "--seed", str(args.seed),
           "--write-matrix", str(matrix)]
    if args.no_rust:
        cmd.append("--encode-only")
    print("  $ " + " ".join(cmd), flush=True)
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, text=True)  # progress on stderr
    if proc.returncode != 0:
        print(f"  warning: ae_timings exited {proc.returncode}", file=sys.stderr)
        return None
    return parse_json_object(proc.stdout)


def run_ae_keras(args: argparse.Namespace, matrix: Path, intra: int, inter: int) -> dict[str, Any] | None:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--ae-child", str(intra), str(inter),
           "--matrix", str(matrix), "--data", str(args.data), "--seed", str(args.seed),
           "--ae-batches", *map(str, args.ae_batches), "--ae-epochs", *map(str, args.ae_epochs),
           "--ae-presets", *args.ae_presets, "--ae-score-repeat", str(args.ae_score_repeat)]
    print(f"  TensorFlow intra_op={intra} inter_op={inter} (0 = TensorFlow's choice)", flush=True)
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, text=True)  # progress on stderr
    result = parse_json_object(proc.stdout) if proc.returncode == 0 else None
    if result is None:
        print(f"  warning: Keras child (intra {intra}, inter {inter}) failed (exit {proc.returncode})",
              file=sys.stderr)
    return result


def fmt_rate(value: float | None) -> str:
    return "n/a" if value is None else f"{value / 1e6:.2f} M/s"


def ae_mode(args: argparse.Namespace) -> dict[str, Any]:
    import tempfile
    from importlib.metadata import version

    load_start = load_average()
    print(f"data:     {args.data}")
    print(f"python:   {platform.python_version()}  tensorflow-cpu {version('tensorflow-cpu')}  "
          f"keras {version('keras')}")
    print(f"machine:  {os.cpu_count()} logical CPUs")
    print(f"batches:  {args.ae_batches}, epochs {ae_epochs_for(args.ae_batches, args.ae_epochs)}; "
          f"presets {args.ae_presets}; validation_split {AE_VALIDATION_SPLIT}; "
          f"scoring repeats {args.ae_score_repeat}; TF threads (intra:inter) {args.ae_threads}")
    print(f"load avg: {load_start} (1/5/15 min; other work on the machine skews timings)\n")

    with tempfile.TemporaryDirectory(prefix="netanomaly-ae-") as tmp:
        matrix = Path(args.matrix) if args.matrix else Path(tmp) / "kdd_encoded.npy"
        print("Rust ae_timings (encodes the file, writes the matrix, trains, scores):", flush=True)
        rust = run_ae_rust(args, matrix) or {}
        if not matrix.is_file():
            raise SystemExit(f"no encoded matrix at {matrix}: ae_timings failed")
        keras_runs = []
        print("\nKeras (one process per TensorFlow thread setting, same matrix):", flush=True)
        for intra, inter in args.ae_threads:
            child = run_ae_keras(args, matrix, intra, inter)
            if child is not None:
                keras_runs.append(child)
    load_end = load_average()

    if rust.get("matrix_sum") is not None:
        for k in keras_runs:
            if abs(k["matrix_sum"] - rust["matrix_sum"]) > 1e-6 * max(1.0, abs(rust["matrix_sum"])):
                print(f"WARNING: matrix sums differ: Rust {rust['matrix_sum']}, Python {k['matrix_sum']}")

    def rust_run(preset: str, backend: str, batch: int) -> dict[str, Any] | None:
        return next((r for r in rust.get("runs", []) if r["preset"] == preset
                     and r["backend"] == backend and r["batch"] == batch), None)

    def keras_best(preset: str, batch: int, key: str) -> tuple[float | None, str]:
        """Lowest median over the thread settings, and which setting gave it."""
        found = [(r[key], f"{k['intra_op_threads']}:{k['inter_op_threads']}")
                 for k in keras_runs for r in k["runs"]
                 if r["preset"] == preset and r["batch"] == batch and r[key] is not None]
        return min(found) if found else (None, "-")

    def keras_best_score(preset: str) -> tuple[float | None, str]:
        found = [(s["rows_per_second"], f"{k['intra_op_threads']}:{k['inter_op_threads']} {s['best_method']}")
                 for k in keras_runs for s in k["scoring"] if s["preset"] == preset]
        return max(found) if found else (None, "-")

    backends = ["flex", "ndarray"]
    summary: dict[str, Any] = {}
    for preset in args.ae_presets:
        print(f"\nPreset {preset}: {rust.get('rows', '?')} rows x {rust.get('columns', '?')} columns; "
              f"epoch = training pass + validation (median of epochs 2..n); Keras = best thread setting")
        print("  every Keras thread setting (median epoch s; scoring M rows/s):")
        for k in keras_runs:
            parts = [f"batch {r['batch']}: {r['median_epoch_seconds']:.3f} s"
                     for r in k["runs"] if r["preset"] == preset]
            parts += [f"scoring {s['rows_per_second'] / 1e6:.2f} M/s ({s['best_method']})"
                      for s in k["scoring"] if s["preset"] == preset]
            print(f"    intra {k['intra_op_threads']} inter {k['inter_op_threads']}: " + ", ".join(parts))
        rows_out, pres = [], {}
        for key, label in [("median_epoch_seconds", "epoch"), ("median_train_pass_seconds", "training pass")]:
            for batch in args.ae_batches:
                keras_s, setting = keras_best(preset, batch, key)
                ours = {b: as_number((rust_run(preset, b, batch) or {}).get(key)) for b in backends}
                rows_out.append([f"{label}, batch {batch}", fmt_seconds(ours["flex"]), fmt_seconds(ours["ndarray"]),
                                 f"{fmt_seconds(keras_s)} ({setting})",
                                 fmt_ratio(ratio(keras_s, ours["flex"])), fmt_ratio(ratio(keras_s, ours["ndarray"]))])
                pres[f"{key}_{batch}"] = {"flex": ours["flex"], "ndarray": ours["ndarray"], "keras": keras_s,
                                          "keras_threads": setting,
                                          "ratio_flex": ratio(keras_s, ours["flex"]),
                                          "ratio_ndarray": ratio(keras_s, ours["ndarray"])}
        first = args.ae_batches[0]
        k_rate, k_setting = keras_best_score(preset)
        ours_rate = {b: as_number((rust_run(preset, b, first) or {}).get("score_rows_per_second")) for b in backends}
        rows_out.append(["scoring, all rows", fmt_rate(ours_rate["flex"]), fmt_rate(ours_rate["ndarray"]),
                         f"{fmt_rate(k_rate)} ({k_setting})",
                         fmt_ratio(ratio(ours_rate["flex"], k_rate)), fmt_ratio(ratio(ours_rate["ndarray"], k_rate))])
        pres["score_rows_per_second"] = {"flex": ours_rate["flex"], "ndarray": ours_rate["ndarray"],
                                         "keras": k_rate, "keras_setting": k_setting,
                                         "ratio_flex": ratio(ours_rate["flex"], k_rate),
                                         "ratio_ndarray": ratio(ours_rate["ndarray"], k_rate)}
        print_table(["", "Rust flex", "Rust ndarray", "Keras (threads)", "Keras/flex", "Keras/ndarray"], rows_out)
        summary[preset] = pres

        # Targets, against the Keras measured here and against the figures the issue quotes.
        checks = []
        for batch, tkey in [(32, "epoch_32"), (256, "epoch_256")]:
            if f"median_epoch_seconds_{batch}" not in pres:
                continue
            p = pres[f"median_epoch_seconds_{batch}"]
            for backend in backends:
                r = ratio(p["keras"], p[backend])
                r_issue = ratio(AE_ISSUE_KERAS[tkey], p[backend])
                checks.append([f"epoch, batch {batch} >= {AE_TARGETS[tkey]:.0f}x ({backend})", fmt_ratio(r),
                               "n/a" if r is None else ("PASS" if r >= AE_TARGETS[tkey] else "FAIL"),
                               f"{fmt_ratio(r_issue)} vs the issue's {AE_ISSUE_KERAS[tkey]} s"])
        s = pres["score_rows_per_second"]
        for backend in backends:
            r = ratio(s[backend], s["keras"])
            r_issue = ratio(s[backend], AE_ISSUE_KERAS["score_rows_per_second"])
            checks.append([f"scoring >= {AE_TARGETS['score']:.0f}x ({backend})", fmt_ratio(r),
                           "n/a" if r is None else ("PASS" if r >= AE_TARGETS["score"] else "FAIL"),
                           f"{fmt_ratio(r_issue)} vs the issue's 0.21 M/s"])
        print(f"\nTargets, preset {preset} (ratio = Keras time / ours)")
        print_table(["target", "measured", "verdict", "against the issue's Keras figures"], checks)

    print(f"\nload avg at start {load_start}, at end {load_end}")
    return {
        "mode": "ae",
        "data": str(args.data),
        "environment": {"python": platform.python_version(), "tensorflow-cpu": version("tensorflow-cpu"),
                        "keras": version("keras"), "cpu_count": os.cpu_count(),
                        "load_average_at_start": load_start, "load_average_at_end": load_end},
        "batches": args.ae_batches, "epochs": ae_epochs_for(args.ae_batches, args.ae_epochs),
        "presets": args.ae_presets, "thread_settings": args.ae_threads,
        "rust": rust or None, "keras": keras_runs, "summary": summary,
    }


# --------------------------------------------------------------------------
# CLI
# --------------------------------------------------------------------------

def parse_threads(text: str) -> tuple[int, int]:
    """``INTRA:INTER`` TensorFlow op thread counts."""
    try:
        intra, inter = (int(v) for v in text.split(":"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected INTRA:INTER, got {text!r}") from None
    if intra < 0 or inter < 0:
        raise argparse.ArgumentTypeError("thread counts must be >= 0")
    return intra, inter


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description="pandas + scikit-learn reference for netanomaly: timings vs the Rust "
                    "engine (default) or detection figures (--auc).",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--data", type=Path, default=default_data_path(),
                   help="KDD Cup 99 10%% gzip CSV; the folder defaults to $NETANOMALY_DATA, else <repo>/../shared/data")
    p.add_argument("--repeat", type=int, default=3, help="runs per step; the median is reported")
    p.add_argument("--seed", type=int, default=0, help="IsolationForest random_state (timing mode)")
    p.add_argument("--sk-jobs", type=int, default=-1,
                   help="scikit-learn n_jobs for fit, and joblib threads for score_samples (-1 = all cores)")
    p.add_argument("--rust-bin", type=Path, default=default_rust_bin(), help="engine_timings binary")
    p.add_argument("--no-rust", action="store_true", help="skip the Rust side (its columns print n/a)")
    p.add_argument("--no-rss", action="store_true", help="skip the per-phase peak-RSS child processes")
    p.add_argument("--json", type=Path, metavar="FILE", help="also write every number as JSON here")
    p.add_argument("--auc", action="store_true", help="detection reference mode (profile protocol)")
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2], help="seeds for --auc")
    p.add_argument("--rss-child", choices=RSS_PHASES, help=argparse.SUPPRESS)  # internal
    p.add_argument("--ae", action="store_true",
                   help="autoencoder mode: Keras/TensorFlow vs the Rust ae_timings example, same matrix")
    p.add_argument("--ae-batches", type=int, nargs="+", default=[256, 32], help="batch sizes (--ae)")
    p.add_argument("--ae-epochs", type=int, nargs="+", default=[4, 3],
                   help="epochs, one value or one per batch size (--ae)")
    p.add_argument("--ae-presets", nargs="+", choices=sorted(AE_PRESETS), default=["default"],
                   help="architectures (--ae)")
    p.add_argument("--ae-threads", type=parse_threads, nargs="+", default=[(0, 0), (1, 1), (2, 1), (1, 2)],
                   metavar="INTRA:INTER", help="TensorFlow thread settings to try, 0 = TensorFlow's choice (--ae)")
    p.add_argument("--ae-score-repeat", type=int, default=5, help="scoring repeats, median reported (--ae)")
    p.add_argument("--ae-bin", type=Path, default=default_ae_bin(), help="ae_timings binary (--ae)")
    p.add_argument("--matrix", type=Path, help="where ae_timings writes the encoded .npy matrix "
                   "(--ae; default: a temporary file)")
    p.add_argument("--ae-child", type=int, nargs=2, help=argparse.SUPPRESS)  # internal
    args = p.parse_args(argv)
    if args.repeat < 1:
        p.error("--repeat must be at least 1")
    if args.ae_score_repeat < 1 or min(args.ae_batches + args.ae_epochs) < 1:
        p.error("--ae-score-repeat, --ae-batches and --ae-epochs must be at least 1")
    if len(args.ae_epochs) not in (1, len(args.ae_batches)):
        p.error("--ae-epochs takes one value, or one per --ae-batches value")
    if not args.data.is_file():
        p.error(f"data file not found: {args.data} (set NETANOMALY_DATA or pass --data)")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.rss_child:
        rss_child(args.rss_child, args.data, args.seed, args.sk_jobs)
        return 0
    if args.ae_child:
        ae_child(args)
        return 0
    if args.ae:
        report = ae_mode(args)
    else:
        report = auc_mode(args) if args.auc else timing_mode(args)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=2) + "\n")
        print(f"\nwrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
