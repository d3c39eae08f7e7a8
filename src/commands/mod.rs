//! The headless commands: same engine as the dashboard, progress on stderr, results on
//! stdout (or as JSON on request).

pub mod dashboard;
pub mod demo_capture;
pub mod demo_data;
pub mod evaluate;
pub mod monitor;
pub mod pcap2kdd;
pub mod progress;
pub mod score;
pub mod train;

use std::path::Path;
use std::time::Instant;

use color_eyre::eyre::Result;

use crate::data::{Dataset, LoadReport, ReadOptions, read_path};

/// Reads a data file, telling the user on stderr what it is doing and what it found.
pub fn load(path: &Path, options: &ReadOptions) -> Result<(Dataset, LoadReport)> {
    let started = Instant::now();
    eprintln!("reading {} …", path.display());
    let (dataset, report) = read_path(path, options)?;
    eprintln!(
        "  {} rows ({}) in {:.2} s",
        thousands(report.rows as u64),
        report.format.describe(),
        started.elapsed().as_secs_f64()
    );
    if report.header_skipped {
        eprintln!("  skipped a header line");
    }
    if report.skipped_bad_rows > 0 {
        eprintln!(
            "  skipped {} malformed rows (--skip-bad-rows); first:",
            thousands(report.skipped_bad_rows as u64)
        );
        for reason in &report.first_bad_rows {
            eprintln!("    {reason}");
        }
    }
    if report.skipped_missing_rows > 0 {
        eprintln!(
            "  skipped {} rows with missing values (--missing skip)",
            thousands(report.skipped_missing_rows as u64)
        );
    }
    if report.missing_total() > 0 {
        let detail: Vec<String> = report
            .missing_values
            .iter()
            .map(|(f, n)| format!("{f} {n}"))
            .collect();
        eprintln!(
            "  {} missing values will be imputed from the training rows ({})",
            thousands(report.missing_total() as u64),
            detail.join(", ")
        );
    }
    Ok((dataset, report))
}

/// 1234567 → "1,234,567".
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `42 s`, `3 min 05 s`, `1 h 02 min`.
pub fn duration(seconds: f64) -> String {
    let s = seconds.round() as u64;
    match s {
        0..60 => format!("{s} s"),
        60..3600 => format!("{} min {:02} s", s / 60, s % 60),
        _ => format!("{} h {:02} min", s / 3600, (s % 3600) / 60),
    }
}

/// `v` with `digits` significant digits, trailing zeros dropped: 0.04521, 0.6121, 35.2.
pub fn significant(v: f64, digits: i32) -> String {
    if v == 0.0 || !v.is_finite() {
        return format!("{v}");
    }
    let decimals = (digits - 1 - v.abs().log10().floor() as i32).max(0) as usize;
    let text = format!("{v:.decimals$}");
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        text
    }
}
