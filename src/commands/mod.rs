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

use std::path::PathBuf;
use std::time::Instant;

use color_eyre::eyre::Result;

use crate::data::reader::describe_paths;
use crate::data::{Dataset, LoadReport, ReadOptions, read_paths};
use crate::format::thousands;

/// Reads the data (a file, or Zeek logs), telling the user on stderr what it is doing
/// and what it found.
pub fn load(paths: &[PathBuf], options: &ReadOptions) -> Result<(Dataset, LoadReport)> {
    let started = Instant::now();
    eprintln!("reading {} …", describe_paths(paths));
    let (dataset, report) = read_paths(paths, options)?;
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
    if let Some(zeek) = &report.zeek {
        if zeek.other_transport_rows > 0 {
            eprintln!(
                "  skipped {} rows of other transports than tcp, udp and icmp",
                thousands(zeek.other_transport_rows as u64)
            );
        }
        if !zeek.unlabelled_rows.is_empty() {
            let detail: Vec<String> = zeek
                .unlabelled_rows
                .iter()
                .map(|(label, n)| format!("{label} {}", thousands(*n as u64)))
                .collect();
            eprintln!(
                "  left out rows neither Benign nor Malicious ({}); their connections still count in the traffic features",
                detail.join(", ")
            );
        }
        if zeek.late_rows > 0 {
            eprintln!(
                "  {} rows ended more than --zeek-lateness before rows already used (at most {:.1} s); used out of order",
                thousands(zeek.late_rows),
                zeek.max_late_seconds
            );
        }
    }
    Ok((dataset, report))
}

/// The format `monitor` and `dashboard --monitor` read: the one asked for, or the one
/// the input's first bytes tell (and whether it was told). Asked for one the input
/// plainly is not (a capture or a conn.log read as KDD lines, say), it stops with a
/// hint instead of skipping every record.
pub fn monitor_format(
    asked: Option<crate::monitor::Format>,
    input: &crate::monitor::Input,
) -> Result<(crate::monitor::Format, bool)> {
    use crate::monitor::Format;
    use color_eyre::eyre::WrapErr;
    let told = || Format::detect(input).wrap_err_with(|| format!("cannot read {}", input.name()));
    let Some(asked) = asked else {
        return Ok((told()?, true));
    };
    // A pipe named by --format is not peeked: its first bytes may be a while coming,
    // and the dashboard should open at once.
    if *input == crate::monitor::Input::Stdin {
        return Ok((asked, false));
    }
    // A file to follow that does not exist yet has nothing to tell.
    let Ok(seen) = told() else {
        return Ok((asked, false));
    };
    if seen != asked && seen != Format::Kdd {
        color_eyre::eyre::bail!(
            "{} holds {}, not what --format {} reads: use --format {} (or leave --format out: the format is told from the content)",
            input.name(),
            match seen {
                Format::Pcap => "a packet capture",
                Format::Zeek => "a Zeek conn.log",
                Format::Kdd => "KDD records",
            },
            asked.name(),
            seen.name()
        );
    }
    Ok((asked, false))
}
