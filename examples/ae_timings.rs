//! Autoencoder timings on one file, for the Keras/TensorFlow comparison
//! (`benches/reference/run.sh --ae`): per-epoch seconds per backend and batch size, and
//! scoring throughput. Prints one JSON object on stdout; progress goes to stderr.
//!
//! ```text
//! cargo build --release --features ndarray --example ae_timings
//! ae_timings --data PATH [--batches 256,32] [--epochs 4,3] [--presets default,reference]
//!     [--backends flex,ndarray] [--score-repeat 5] [--seed 0]
//!     [--write-matrix FILE.npy] [--encode-only]
//! ```
//!
//! * The encoder is fitted on every row and transforms every row (unsupervised, like the
//!   reference notebook). `--write-matrix` saves that matrix as a `.npy` file
//!   (little-endian f32, C order, shape `[rows, cols]`) so that Keras trains on exactly
//!   the same numbers; `--encode-only` stops there.
//! * For each preset × backend × batch size: `train_on` with the preset's architecture
//!   and learning rate, `validation_split` 0.1, no early stopping, `--epochs` epochs
//!   (one value for every batch size, or one per batch size). The reported epoch time is
//!   the median of the epochs after the first (the first pays for warm-up); an epoch is
//!   the training pass plus the validation pass, as in Keras' `fit`. The training pass
//!   alone is reported too.
//! * Scoring: `TrainedAutoencoder::score` on every row, `--score-repeat` times, median.
//! * Backends default to every compiled one: `flex`, plus `ndarray` when built with
//!   `--features ndarray`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::mpsc;
use std::time::Instant;

use netanomaly::data::{ReadOptions, read_path};
use netanomaly::detect::autoencoder::{
    AutoencoderConfig, Backend, Preset, TrainEvent, TrainObserver, TrainedAutoencoder, train_on,
};
use netanomaly::features::{Encoder, EncoderConfig, Matrix};
use serde_json::{Value, json};

const USAGE: &str = "usage: ae_timings --data PATH [--batches 256,32] [--epochs 4,3] \
[--presets default,reference] [--backends flex,ndarray] [--score-repeat 5] [--seed 0] \
[--write-matrix FILE.npy] [--encode-only]";

fn fail(msg: impl std::fmt::Display) -> ! {
    eprintln!("ae_timings: {msg}");
    std::process::exit(2)
}

fn median(mut v: Vec<f64>) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    Some(if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    })
}

/// Median of the epochs after the first (all of them when there is only one).
fn later_median(v: &[f64]) -> Option<f64> {
    median(if v.len() > 1 {
        v[1..].to_vec()
    } else {
        v.to_vec()
    })
}

fn list<T>(value: Option<String>, what: &str, parse: impl Fn(&str) -> Option<T>) -> Vec<T> {
    let value = value.unwrap_or_else(|| fail(format!("{what} needs a value")));
    let out: Vec<T> = value
        .split(',')
        .filter(|s| !s.is_empty())
        .map(|s| parse(s).unwrap_or_else(|| fail(format!("bad value {s:?} for {what}"))))
        .collect();
    if out.is_empty() {
        fail(format!("{what} needs at least one value"));
    }
    out
}

fn preset_name(p: Preset) -> &'static str {
    match p {
        Preset::Default => "default",
        Preset::Reference => "reference",
    }
}

struct Args {
    data: PathBuf,
    batches: Vec<usize>,
    epochs: Vec<usize>,
    presets: Vec<Preset>,
    backends: Vec<Backend>,
    score_repeat: usize,
    seed: u64,
    write_matrix: Option<PathBuf>,
    encode_only: bool,
}

fn parse_args() -> Args {
    let mut args = Args {
        data: PathBuf::new(),
        batches: vec![256, 32],
        epochs: vec![4, 3],
        presets: vec![Preset::Default],
        backends: Backend::available(),
        score_repeat: 5,
        seed: 0,
        write_matrix: None,
        encode_only: false,
    };
    let mut data = None;
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        match a.as_str() {
            "--data" => data = it.next().map(PathBuf::from),
            "--batches" => {
                args.batches = list(it.next(), "--batches", |s| {
                    s.parse().ok().filter(|&b: &usize| b > 0)
                })
            }
            "--epochs" => {
                args.epochs = list(it.next(), "--epochs", |s| {
                    s.parse().ok().filter(|&e: &usize| e > 0)
                })
            }
            "--presets" => {
                args.presets = list(it.next(), "--presets", |s| match s {
                    "default" => Some(Preset::Default),
                    "reference" => Some(Preset::Reference),
                    _ => None,
                })
            }
            "--backends" => {
                args.backends = list(it.next(), "--backends", |s| match s {
                    "flex" => Some(Backend::Flex),
                    "ndarray" => Some(Backend::Ndarray),
                    _ => None,
                })
            }
            "--score-repeat" => {
                args.score_repeat = it
                    .next()
                    .and_then(|v| v.parse().ok())
                    .filter(|&r| r > 0)
                    .unwrap_or_else(|| fail("--score-repeat needs a positive number"))
            }
            "--seed" => {
                args.seed = it
                    .next()
                    .and_then(|v| v.parse().ok())
                    .unwrap_or_else(|| fail("--seed needs a number"))
            }
            "--write-matrix" => args.write_matrix = it.next().map(PathBuf::from),
            "--encode-only" => args.encode_only = true,
            "-h" | "--help" => {
                println!("{USAGE}");
                std::process::exit(0);
            }
            other => fail(format!("unknown argument {other}\n{USAGE}")),
        }
    }
    args.data = data.unwrap_or_else(|| fail(USAGE));
    if args.epochs.len() != 1 && args.epochs.len() != args.batches.len() {
        fail("--epochs takes one value, or one per batch size");
    }
    if let Some(b) = args.backends.iter().find(|b| !b.is_available()) {
        fail(format!(
            "backend {b} is not compiled in (build with --features ndarray)"
        ));
    }
    args
}

/// Writes `x` as a NumPy `.npy` file (format 1.0): `<f4`, C order, shape `[rows, cols]`.
fn write_npy(path: &Path, x: &Matrix) -> std::io::Result<()> {
    let mut header = format!(
        "{{'descr': '<f4', 'fortran_order': False, 'shape': ({}, {}), }}",
        x.rows(),
        x.cols()
    );
    // Magic (6) + version (2) + header length (2) + header, padded with spaces and
    // ending in '\n', is a multiple of 64 bytes.
    let unpadded = 10 + header.len() + 1;
    header.push_str(&" ".repeat(unpadded.next_multiple_of(64) - unpadded));
    header.push('\n');
    let header_len = u16::try_from(header.len()).expect("short header");
    let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
    out.write_all(b"\x93NUMPY\x01\x00")?;
    out.write_all(&header_len.to_le_bytes())?;
    out.write_all(header.as_bytes())?;
    for v in x.as_slice() {
        out.write_all(&v.to_le_bytes())?;
    }
    out.flush()
}

/// What one training run reported.
struct Trained {
    model: TrainedAutoencoder,
    train_rows: usize,
    validation_rows: usize,
    /// Whole epochs (training pass + validation).
    epoch_seconds: Vec<f64>,
    /// Training pass only.
    train_pass_seconds: Vec<f64>,
    seconds: f64,
}

fn train_logged(backend: Backend, x: &Matrix, config: &AutoencoderConfig, label: &str) -> Trained {
    let (tx, rx) = mpsc::channel();
    let cancel = AtomicBool::new(false);
    let observer = TrainObserver::channel(tx);
    let label = label.to_string();
    let printer = std::thread::spawn(move || {
        let (mut epochs, mut passes) = (Vec::new(), Vec::new());
        let (mut rows, mut validation) = (0usize, 0usize);
        for event in rx {
            match event {
                TrainEvent::Started {
                    rows: r,
                    validation_rows,
                    batches_per_epoch,
                    ..
                } => {
                    (rows, validation) = (r, validation_rows);
                    eprintln!(
                        "  {label}: {r} training rows, {validation_rows} validation rows, \
                         {batches_per_epoch} batches per epoch"
                    );
                }
                TrainEvent::Epoch {
                    epoch,
                    train_loss,
                    validation_loss,
                    epoch_seconds,
                    rows_per_second,
                    ..
                } => {
                    let pass = rows as f64 / rows_per_second;
                    epochs.push(epoch_seconds);
                    passes.push(pass);
                    eprintln!(
                        "  {label}: epoch {epoch}: {epoch_seconds:.3} s ({pass:.3} s training \
                         pass), loss {train_loss:.5}, validation {:.5}",
                        validation_loss.unwrap_or(f64::NAN)
                    );
                }
                TrainEvent::Batch { .. } | TrainEvent::Finished { .. } => {}
            }
        }
        (rows, validation, epochs, passes)
    });
    let started = Instant::now();
    let model = train_on(backend, x, config, &observer, &cancel).unwrap_or_else(|e| fail(e));
    let seconds = started.elapsed().as_secs_f64();
    drop(observer);
    let (train_rows, validation_rows, epoch_seconds, train_pass_seconds) = printer
        .join()
        .unwrap_or_else(|_| fail("event printer panicked"));
    Trained {
        model,
        train_rows,
        validation_rows,
        epoch_seconds,
        train_pass_seconds,
        seconds,
    }
}

fn load_average() -> Option<String> {
    let s = std::fs::read_to_string("/proc/loadavg").ok()?;
    Some(s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
}

fn main() {
    let args = parse_args();
    let load_start = load_average();
    eprintln!("ae_timings: loading {}", args.data.display());
    let t = Instant::now();
    let (dataset, _) = read_path(&args.data, &ReadOptions::default()).unwrap_or_else(|e| fail(e));
    let all: Vec<usize> = (0..dataset.len()).collect();
    let encoder =
        Encoder::fit(&dataset, &all, &EncoderConfig::default()).unwrap_or_else(|e| fail(e));
    let (x, _) = encoder.transform_all(&dataset);
    drop(dataset);
    let load_encode_seconds = t.elapsed().as_secs_f64();
    // f64 sum of every value: lets the reader check it loaded the same matrix.
    let checksum: f64 = x.as_slice().iter().map(|&v| f64::from(v)).sum();
    eprintln!(
        "ae_timings: {} rows × {} columns in {load_encode_seconds:.2} s; rayon threads {}",
        x.rows(),
        x.cols(),
        rayon::current_num_threads()
    );
    if let Some(path) = &args.write_matrix {
        write_npy(path, &x).unwrap_or_else(|e| fail(format!("{}: {e}", path.display())));
        eprintln!("ae_timings: wrote {}", path.display());
    }

    let mut runs: Vec<Value> = Vec::new();
    if !args.encode_only {
        for &preset in &args.presets {
            for &backend in &args.backends {
                for (i, &batch) in args.batches.iter().enumerate() {
                    let epochs = args.epochs[if args.epochs.len() == 1 { 0 } else { i }];
                    let mut config = AutoencoderConfig::preset(preset);
                    config.batch_size = batch;
                    config.epochs = epochs;
                    config.validation_split = 0.1;
                    config.patience = None;
                    config.seed = args.seed;
                    let label = format!("{} {backend} batch {batch}", preset_name(preset));
                    eprintln!("ae_timings: {label}, {epochs} epochs");
                    let run = train_logged(backend, &x, &config, &label);
                    let mut score_seconds = Vec::new();
                    for _ in 0..args.score_repeat {
                        let t = Instant::now();
                        let scores = run.model.score(&x);
                        score_seconds.push(t.elapsed().as_secs_f64());
                        assert_eq!(scores.len(), x.rows());
                    }
                    let score_median = median(score_seconds.clone()).unwrap_or(f64::NAN);
                    eprintln!(
                        "  {label}: score {score_median:.3} s ({:.2} M rows/s)",
                        x.rows() as f64 / score_median / 1e6
                    );
                    runs.push(json!({
                        "preset": preset_name(preset),
                        "backend": backend,
                        "batch": batch,
                        "epochs": epochs,
                        "hidden": config.hidden,
                        "hidden_activations": config.hidden_activations,
                        "output_activation": config.output_activation,
                        "learning_rate": config.learning_rate,
                        "parameters": run.model.architecture().parameter_count(),
                        "train_rows": run.train_rows,
                        "validation_rows": run.validation_rows,
                        "epoch_seconds": run.epoch_seconds,
                        "train_pass_seconds": run.train_pass_seconds,
                        "median_epoch_seconds": later_median(&run.epoch_seconds),
                        "median_train_pass_seconds": later_median(&run.train_pass_seconds),
                        "train_seconds": run.seconds,
                        "final_train_loss": run.model.summary().final_train_loss,
                        "final_validation_loss": run.model.final_validation_loss(),
                        "score_seconds": score_seconds,
                        "median_score_seconds": score_median,
                        "score_rows_per_second": x.rows() as f64 / score_median,
                    }));
                }
            }
        }
    }
    let out = json!({
        "rows": x.rows(),
        "columns": x.cols(),
        "matrix_sum": checksum,
        "matrix_file": args.write_matrix,
        "load_encode_seconds": load_encode_seconds,
        "threads": rayon::current_num_threads(),
        "backends": args.backends,
        "score_repeat": args.score_repeat,
        "seed": args.seed,
        "load_average_at_start": load_start,
        "load_average_at_end": load_average(),
        "runs": runs,
    });
    println!("{out}");
}
