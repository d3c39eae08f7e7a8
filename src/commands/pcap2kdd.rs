//! `netanomaly pcap2kdd`: a packet capture as KDD connection records.

use std::io::{self, Read, Write};
use std::time::Instant;

use color_eyre::eyre::{Result, WrapErr};

use crate::atomic::write_atomically;
use crate::capture::{self, CaptureRecords, CaptureSummary};
use crate::cli::Pcap2kddArgs;
use crate::format::thousands;

pub fn run(args: &Pcap2kddArgs) -> Result<()> {
    let to_stdout = args.out.as_os_str() == "-";
    crate::atomic::check_output(&args.out, args.force, false)?;
    let name = if args.input.as_os_str() == "-" {
        "standard input".to_owned()
    } else {
        args.input.display().to_string()
    };
    let input: Box<dyn Read> = if args.input.as_os_str() == "-" {
        Box::new(io::stdin().lock())
    } else {
        Box::new(std::fs::File::open(&args.input).wrap_err_with(|| format!("cannot open {name}"))?)
    };
    let started = Instant::now();
    let mut records = CaptureRecords::new(
        io::BufReader::with_capacity(1 << 16, input),
        args.tracker.config(),
    )
    .wrap_err_with(|| name.clone())?;
    let mut written = 0u64;
    // A bad capture is a reading error, not "cannot write OUT": kept to report as such.
    let mut bad_capture = None;
    let mut convert = |out: &mut dyn Write| -> io::Result<()> {
        let mut batch = Vec::new();
        loop {
            batch.clear();
            let more = records.next_records(&mut batch).map_err(|e| {
                let message = format!("{name}: {e}");
                bad_capture = Some(message.clone());
                io::Error::other(message)
            })?;
            for record in &batch {
                capture::write_kdd_line(record, &mut *out)?;
            }
            written += batch.len() as u64;
            if !more {
                return Ok(());
            }
        }
    };
    if to_stdout {
        let mut out = io::BufWriter::new(io::stdout().lock());
        match convert(&mut out).and_then(|()| out.flush()) {
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => return Ok(()),
            other => other?,
        }
    } else {
        let result = write_atomically(&args.out, args.force, |out| {
            let mut out = io::BufWriter::new(out);
            convert(&mut out)?;
            out.flush()
        });
        if let Err(e) = result {
            match bad_capture {
                Some(message) => color_eyre::eyre::bail!(message),
                None => return Err(e.into()),
            }
        }
    }
    let summary = records.summary();
    report(&name, &summary, written, started.elapsed().as_secs_f64());
    Ok(())
}

/// The capture's summary on stderr.
pub fn report(name: &str, s: &CaptureSummary, records: u64, seconds: f64) {
    eprintln!(
        "{name}: {} ({} frames, {} packets) → {} connection records in {:.2} s",
        s.format,
        thousands(s.frames),
        thousands(s.packets),
        thousands(records),
        seconds
    );
    if !s.skipped_frames.is_empty() {
        let reasons: Vec<String> = s
            .skipped_frames
            .iter()
            .map(|(reason, n)| format!("{} {}", thousands(*n), reason.replace('_', " ")))
            .collect();
        eprintln!("  frames without a usable packet: {}", reasons.join(", "));
    }
    if s.wrong_fragments > 0 {
        eprintln!(
            "  {} wrong fragments (overlapping or oversized)",
            thousands(s.wrong_fragments)
        );
    }
    if s.evicted_half_open + s.evicted_other > 0 {
        eprintln!(
            "  connection table full: {} half-open and {} other connections reported early",
            thousands(s.evicted_half_open),
            thousands(s.evicted_other)
        );
    }
    if let Some(tail) = &s.truncated_tail {
        eprintln!("  the capture ends mid-record: {tail}");
    }
}
