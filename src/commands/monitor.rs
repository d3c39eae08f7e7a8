//! `netanomaly monitor`: score records as they arrive and print each with its verdicts.
//!
//! Records go to stdout (text, or JSON lines with `--json`), skipped records and the
//! closing summary to stderr. Ctrl-C (or SIGTERM) ends the run like the end of the
//! input: what has arrived is scored and the summary printed.

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use color_eyre::eyre::{Result, WrapErr};
use serde::Serialize;

use crate::capture::record::{ConnRecord, EndReason};
use crate::cli::MonitorArgs;
use crate::data::ReadOptions;
use crate::format::{significant, thousands};
use crate::model::ModelBundle;
use crate::monitor::alerts::AlertLog;
use crate::monitor::{
    self, Input, MonitorConfig, MonitorError, MonitorEvent, ScoredBatch, Summary,
};

/// Skipped records named on stderr, at most.
const SKIPS_SHOWN: u64 = 100;

pub fn run(args: &MonitorArgs) -> Result<()> {
    let bundle = ModelBundle::load(&args.model)?;
    let input = if args.input.as_os_str() == "-" {
        Input::Stdin
    } else {
        Input::File {
            path: args.input.clone(),
            follow: args.follow,
        }
    };
    let (format, told) = super::monitor_format(args.format.format(), &input)?;
    let detected = if told { ", detected" } else { "" };
    let config = MonitorConfig {
        input,
        format,
        tracker: args.tracker.config(),
        allow_content_features_zero: args.allow_content_features_zero,
        read: ReadOptions {
            skip_bad_rows: !args.strict,
            zeek: crate::zeek::ZeekOptions::with_lateness(args.zeek_lateness),
            ..ReadOptions::default()
        },
        why: args.why as usize,
    };
    let mut alerts = match &args.alerts {
        Some(path) => {
            let log = AlertLog::open(path)
                .wrap_err_with(|| format!("cannot open the alerts file {}", path.display()))?;
            if log.repaired_bytes > 0 {
                eprintln!(
                    "{}: removed a cut last line ({} bytes) left by an interrupted run",
                    path.display(),
                    log.repaired_bytes
                );
            }
            Some(log)
        }
        None => None,
    };
    let stop = Arc::new(AtomicBool::new(false));
    {
        let stop = stop.clone();
        // A second Ctrl-C while finishing up is ignored: the summary is moments away.
        ctrlc::set_handler(move || stop.store(true, Ordering::Relaxed))
            .wrap_err("cannot install the Ctrl-C handler")?;
    }
    eprintln!(
        "monitoring {} ({}{detected}) with {} ({}); Ctrl-C ends",
        config.input.name(),
        config.format.name(),
        args.model.display(),
        monitor::detector_names(&bundle).join(" + ")
    );
    let stdout = io::stdout();
    let mut out = io::BufWriter::with_capacity(1 << 16, stdout.lock());
    let mut printer = Printer {
        json: args.json,
        flagged_only: args.flagged_only,
        alert_lines: Vec::new(),
    };
    let mut skipped = 0u64;
    let mut sink = |event: MonitorEvent| -> io::Result<()> {
        match event {
            MonitorEvent::Skipped(message) => {
                // The first ones say why; after that the summary counts them.
                skipped += 1;
                if skipped <= SKIPS_SHOWN {
                    eprintln!("{message}");
                } else if skipped == SKIPS_SHOWN + 1 {
                    eprintln!(
                        "(more records skipped: counted in the summary, not shown; is the input what --format says?)"
                    );
                }
                Ok(())
            }
            MonitorEvent::Batch(batch) => {
                printer.batch(&batch, &mut out, alerts.as_mut())?;
                out.flush()
            }
        }
    };
    let summary = match monitor::run(&bundle, &config, &stop, &mut sink) {
        Ok(summary) => summary,
        // `| head` closed the pipe: not an error for a filter.
        Err(MonitorError::Output(e)) if e.kind() == io::ErrorKind::BrokenPipe => return Ok(()),
        Err(e) => return Err(e.into()),
    };
    if args.json {
        let line = serde_json::to_string(&JsonSummary {
            kind: "summary",
            summary: &summary,
        })?;
        writeln!(out, "{line}").and_then(|()| out.flush()).ok();
    }
    print_summary(&summary, alerts.as_ref());
    Ok(())
}

fn print_summary(summary: &Summary, alerts: Option<&AlertLog>) {
    let c = &summary.counts;
    eprintln!(
        "{}: {} records in {} ({}/s), {}",
        summary.source,
        thousands(c.records),
        crate::format::duration(summary.seconds),
        thousands(summary.records_per_second.round() as u64),
        summary.ended
    );
    let share = |n: u64| {
        if c.records == 0 {
            0.0
        } else {
            100.0 * n as f64 / c.records as f64
        }
    };
    for (name, n) in &c.flagged {
        eprintln!("  {name}: {} flagged ({:.2}%)", thousands(*n), share(*n));
    }
    eprintln!(
        "  any detector: {} flagged ({:.2}%)",
        thousands(c.flagged_any),
        share(c.flagged_any)
    );
    if c.skipped_bad_records > 0 {
        eprintln!(
            "  skipped {} malformed records",
            thousands(c.skipped_bad_records)
        );
    }
    if c.unseen_category_records > 0 {
        eprintln!(
            "  {} records carry categorical values the model never saw",
            thousands(c.unseen_category_records)
        );
    }
    if let Some(capture) = &summary.capture {
        super::pcap2kdd::report("  capture", capture, capture.records, summary.seconds);
    }
    if let Some(zeek) = &summary.zeek {
        if zeek.other_transport_rows > 0 {
            eprintln!(
                "  skipped {} rows of other transports than TCP, UDP and ICMP",
                thousands(zeek.other_transport_rows as u64)
            );
        }
        if zeek.late_rows > 0 {
            eprintln!(
                "  {} rows ended more than --zeek-lateness before a row already scored (by up to {:.1} s); used as they came",
                thousands(zeek.late_rows),
                zeek.max_late_seconds
            );
        }
    }
    if let Some(log) = alerts {
        eprintln!("  alerts appended to {}", log.path().display());
    }
}

#[derive(Serialize)]
struct JsonSummary<'a> {
    kind: &'static str,
    #[serde(flatten)]
    summary: &'a Summary,
}

/// One record as a JSON line.
#[derive(Serialize)]
struct JsonRecord<'a> {
    kind: &'static str,
    time: String,
    line: u64,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    connection: Option<JsonConnection<'a>>,
    protocol_type: Option<&'a str>,
    service: Option<&'a str>,
    flag: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    label: Option<&'a str>,
    flagged: bool,
    #[serde(flatten)]
    detectors: BTreeMap<&'static str, JsonVerdict<'a>>,
}

/// The connection behind a record made from packets or a Zeek conn.log.
#[derive(Serialize)]
struct JsonConnection<'a> {
    /// Zeek's connection id, to find the connection in the other Zeek logs.
    #[serde(skip_serializing_if = "Option::is_none")]
    uid: Option<&'a str>,
    src: std::net::IpAddr,
    #[serde(skip_serializing_if = "Option::is_none")]
    src_port: Option<u16>,
    dst: std::net::IpAddr,
    #[serde(skip_serializing_if = "Option::is_none")]
    dst_port: Option<u16>,
    /// ICMP records carry the message's type and code instead of ports.
    #[serde(skip_serializing_if = "Option::is_none")]
    icmp_type: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    icmp_code: Option<u16>,
    end: String,
    duration_seconds: f64,
    packets: u32,
    src_bytes: u64,
    dst_bytes: u64,
    ended_by: &'static str,
}

#[derive(Serialize)]
struct JsonVerdict<'a> {
    score: f64,
    threshold: f64,
    flagged: bool,
    why: Vec<JsonWhy<'a>>,
}

#[derive(Serialize)]
struct JsonWhy<'a> {
    feature: &'a str,
    share: f64,
    /// The record's value (numeric features) and what normal training rows hold.
    #[serde(skip_serializing_if = "Option::is_none")]
    value: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    normal: Option<&'a str>,
    unusual: bool,
}

struct Printer {
    json: bool,
    flagged_only: bool,
    alert_lines: Vec<u8>,
}

/// Records formatted per parallel task.
const PRINT_CHUNK: usize = 2048;

impl Printer {
    /// Formats the batch's records in parallel (chunks of rows, each into its own
    /// buffer), then writes them in order.
    fn batch(
        &mut self,
        batch: &ScoredBatch,
        out: &mut impl Write,
        alerts: Option<&mut AlertLog>,
    ) -> io::Result<()> {
        use rayon::prelude::*;
        let time = crate::clock::rfc3339(batch.scored_at);
        let alerting = alerts.is_some();
        let chunks = batch.len().div_ceil(PRINT_CHUNK);
        let formatted: Vec<(Vec<u8>, Vec<u8>)> = (0..chunks)
            .into_par_iter()
            .map(|c| {
                let rows = c * PRINT_CHUNK..((c + 1) * PRINT_CHUNK).min(batch.len());
                let mut lines = Vec::with_capacity(rows.len() * 160);
                let mut alert_lines = Vec::new();
                self.rows(batch, rows, &time, alerting, &mut lines, &mut alert_lines)?;
                Ok((lines, alert_lines))
            })
            .collect::<io::Result<_>>()?;
        self.alert_lines.clear();
        for (lines, alert_lines) in &formatted {
            out.write_all(lines)?;
            self.alert_lines.extend_from_slice(alert_lines);
        }
        if let Some(log) = alerts {
            log.append(&self.alert_lines)?;
        }
        Ok(())
    }

    fn rows(
        &self,
        batch: &ScoredBatch,
        rows: std::ops::Range<usize>,
        time: &str,
        alerting: bool,
        out: &mut Vec<u8>,
        alert_lines: &mut Vec<u8>,
    ) -> io::Result<()> {
        for row in rows {
            let flagged = batch.any_flagged(row);
            let alert = flagged && alerting;
            if self.flagged_only && !flagged {
                continue;
            }
            if self.json || alert {
                let start = out.len();
                serde_json::to_writer(&mut *out, &json_record(batch, row, time))?;
                out.push(b'\n');
                if alert {
                    alert_lines.extend_from_slice(&out[start..]);
                }
                if !self.json {
                    out.truncate(start);
                }
            }
            if !self.json {
                text_record(batch, row, time, out)?;
            }
        }
        Ok(())
    }
}

fn json_record<'a>(batch: &'a ScoredBatch, row: usize, time: &str) -> JsonRecord<'a> {
    let data = &batch.records;
    let connection = batch.connections.get(row);
    JsonRecord {
        kind: "record",
        time: connection.map_or_else(|| time.to_owned(), |c| crate::clock::rfc3339(c.start)),
        line: data.line(row),
        connection: connection.map(|c| JsonConnection {
            uid: c.uid.as_deref(),
            src: c.orig_ip,
            src_port: (!is_icmp(c)).then_some(c.orig_port),
            dst: c.resp_ip,
            dst_port: (!is_icmp(c)).then_some(c.resp_port),
            icmp_type: is_icmp(c).then_some(c.orig_port),
            icmp_code: is_icmp(c).then_some(c.resp_port),
            end: crate::clock::rfc3339(c.end),
            duration_seconds: (c.end - c.start) as f64 / 1e9,
            packets: c.packets(),
            src_bytes: c.src_bytes,
            dst_bytes: c.dst_bytes,
            ended_by: ended_by(c.end_reason),
        }),
        protocol_type: data.category(row, 0),
        service: data.category(row, 1),
        flag: data.category(row, 2),
        label: data.label(row),
        flagged: batch.any_flagged(row),
        detectors: batch
            .detectors
            .iter()
            .map(|d| {
                let verdict = JsonVerdict {
                    score: d.scores[row],
                    threshold: d.threshold,
                    flagged: d.flagged(row),
                    why: d.why[row]
                        .iter()
                        .map(|c| JsonWhy {
                            feature: &c.feature,
                            share: (c.share * 1e4).round() / 1e4,
                            value: c.value.as_deref(),
                            normal: c.normal.as_deref(),
                            unusual: c.unusual,
                        })
                        .collect(),
                };
                (d.name, verdict)
            })
            .collect(),
    }
}

/// `2026-11-24T14:03:05.123456Z  line 12  tcp/http/SF  iforest 0.6121 FLAG  autoencoder
/// 0.04521 FLAG  why[autoencoder] count 212 (normal 1–18) 41%, …`; for connections the start, Zeek's
/// uid and the endpoints take the place of the line.
fn text_record(batch: &ScoredBatch, row: usize, time: &str, line: &mut Vec<u8>) -> io::Result<()> {
    let data = &batch.records;
    let category = |k| data.category(row, k).unwrap_or("?");
    match batch.connections.get(row) {
        Some(c) => {
            write!(line, "{}  ", crate::clock::rfc3339(c.start))?;
            if let Some(uid) = &c.uid {
                write!(line, "{uid}  ")?;
            }
            endpoints(c, line)?;
            line.extend_from_slice(b"  ");
        }
        None => write!(line, "{time}  line {:<7} ", data.line(row))?,
    }
    write!(line, "{}/{}/{}", category(0), category(1), category(2))?;
    for d in &batch.detectors {
        let mark = if d.flagged(row) { " FLAG" } else { "" };
        write!(line, "  {} {}{mark}", d.name, significant(d.scores[row], 4))?;
    }
    for d in &batch.detectors {
        if !d.why[row].is_empty() {
            let why = crate::detect::explain::summary(&d.why[row], d.why[row].len());
            write!(line, "  why[{}] {why}", d.name)?;
        }
    }
    if let Some(label) = data.label(row) {
        write!(line, "  label {label}")?;
    }
    line.push(b'\n');
    Ok(())
}

fn ended_by(reason: EndReason) -> &'static str {
    match reason {
        EndReason::Closed => "close",
        EndReason::Timeout => "timeout",
        EndReason::Evicted => "table-full",
        EndReason::Flushed => "end-of-capture",
        EndReason::Logged => "logged",
    }
}

/// `10.0.0.5:51234 -> 10.0.1.80:80` (IPv6 addresses in brackets).
/// ICMP: `10.0.0.5 -> 10.0.1.80`, no ports (the service names the message type; JSON
/// has `icmp_type` and `icmp_code`).
fn endpoints(c: &ConnRecord, line: &mut Vec<u8>) -> io::Result<()> {
    if is_icmp(c) {
        return write!(line, "{} -> {}", c.orig_ip, c.resp_ip);
    }
    let end = std::net::SocketAddr::new;
    write!(
        line,
        "{} -> {}",
        end(c.orig_ip, c.orig_port),
        end(c.resp_ip, c.resp_port)
    )
}

/// ICMP records keep the message's type and code where ports would be.
fn is_icmp(c: &ConnRecord) -> bool {
    c.protocol == crate::kdd::ProtocolType::Icmp
}
