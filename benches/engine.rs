//! Engine benchmarks on the real KDD Cup 99 10% file (494,021 rows): load, encode,
//! Isolation Forest fit and score. The file is read from $NETANOMALY_DATA or
//! ../shared/data; without it the benchmarks say so and do nothing.
//!
//! `cargo bench --bench engine`. For the comparison with pandas / scikit-learn in one
//! run, see benches/reference/run.sh.

use std::hint::black_box;
use std::path::PathBuf;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use netanomaly::data::{ReadOptions, read_path};
use netanomaly::detect::iforest::{IsolationForest, IsolationForestConfig};
use netanomaly::features::{Encoder, EncoderConfig};

fn data_file() -> Option<PathBuf> {
    let dir = std::env::var_os("NETANOMALY_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/data"));
    let path = dir.join("kddcup.data_10_percent.gz");
    if path.is_file() {
        Some(path)
    } else {
        eprintln!(
            "SKIPPED: {} is absent; set NETANOMALY_DATA to the folder holding it",
            path.display()
        );
        None
    }
}

fn engine(c: &mut Criterion) {
    let Some(path) = data_file() else { return };
    let mut group = c.benchmark_group("kdd10");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(20));

    group.bench_function("load", |b| {
        b.iter(|| read_path(black_box(&path), &ReadOptions::default()).unwrap())
    });

    let (dataset, _) = read_path(&path, &ReadOptions::default()).unwrap();
    let rows: Vec<usize> = (0..dataset.len()).collect();
    group.bench_function("encode (fit + transform)", |b| {
        b.iter(|| {
            let encoder = Encoder::fit(&dataset, &rows, &EncoderConfig::default()).unwrap();
            encoder.transform(&dataset, &rows)
        })
    });

    let encoder = Encoder::fit(&dataset, &rows, &EncoderConfig::default()).unwrap();
    let (matrix, _) = encoder.transform(&dataset, &rows);
    let config = IsolationForestConfig::default();
    group.bench_function("iforest fit", |b| {
        b.iter(|| IsolationForest::fit(black_box(&matrix), &config).unwrap())
    });
    let forest = IsolationForest::fit(&matrix, &config).unwrap();
    group.bench_function("iforest score", |b| {
        b.iter(|| forest.score(black_box(&matrix)))
    });
    group.finish();
}

criterion_group!(benches, engine);
criterion_main!(benches);
