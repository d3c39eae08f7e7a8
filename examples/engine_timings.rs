//! Times the engine's steps on one file and prints one JSON object (medians, seconds).
//! Used by `benches/reference/run.sh` to compare against pandas / scikit-learn in one run.
//!
//! `cargo run --release --example engine_timings -- --data PATH [--repeat N] [--seed S]`

use std::path::PathBuf;
use std::time::Instant;

use netanomaly::data::{ReadOptions, read_path};
use netanomaly::detect::iforest::{IsolationForest, IsolationForestConfig};
use netanomaly::features::{Encoder, EncoderConfig};

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Peak resident set size of this process so far, in MB (Linux).
fn peak_rss_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

fn main() {
    let mut data: Option<PathBuf> = None;
    let mut repeat = 3usize;
    let mut seed = 0u64;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--data" => data = args.next().map(PathBuf::from),
            "--repeat" => repeat = args.next().and_then(|v| v.parse().ok()).unwrap_or(3),
            "--seed" => seed = args.next().and_then(|v| v.parse().ok()).unwrap_or(0),
            other => {
                eprintln!("unknown argument {other}");
                std::process::exit(2);
            }
        }
    }
    let Some(data) = data else {
        eprintln!("usage: engine_timings --data PATH [--repeat N] [--seed S]");
        std::process::exit(2);
    };
    let repeat = repeat.max(1);
    let (mut load, mut encode) = (Vec::new(), Vec::new());
    let (mut fit, mut score) = (Vec::new(), Vec::new());
    let mut rows = 0;
    let mut cols = 0;
    let mut rss = None;
    for _ in 0..repeat {
        let t = Instant::now();
        let (dataset, _report) = read_path(&data, &ReadOptions::default()).unwrap_or_else(|e| {
            eprintln!("{e}");
            std::process::exit(1)
        });
        load.push(t.elapsed().as_secs_f64());
        let t = Instant::now();
        let all: Vec<usize> = (0..dataset.len()).collect();
        let encoder = Encoder::fit(&dataset, &all, &EncoderConfig::default()).expect("rows");
        let (matrix, _) = encoder.transform(&dataset, &all);
        encode.push(t.elapsed().as_secs_f64());
        rows = matrix.rows();
        cols = matrix.cols();
        if rss.is_none() {
            rss = peak_rss_mb();
        }
        // scikit-learn's parameters (100 trees, max_samples auto = 256) on all rows,
        // like the reference script.
        let config = IsolationForestConfig {
            seed,
            ..IsolationForestConfig::default()
        };
        let t = Instant::now();
        let forest = IsolationForest::fit(&matrix, &config).expect("finite matrix");
        fit.push(t.elapsed().as_secs_f64());
        let t = Instant::now();
        let scores = forest.score(&matrix);
        score.push(t.elapsed().as_secs_f64());
        assert_eq!(scores.len(), matrix.rows());
    }
    let out = serde_json::json!({
        "rows": rows,
        "columns": cols,
        "repeat": repeat,
        "load_seconds": median(load),
        "encode_seconds": median(encode),
        "load_encode_peak_rss_mb": rss,
        "iforest_fit_seconds": median(fit),
        "iforest_score_seconds": median(score),
        "threads": rayon::current_num_threads(),
    });
    println!("{out}");
}
