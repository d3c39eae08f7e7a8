//! Reading + featurising Zeek conn logs: lines per second, median of several runs, with
//! the KDD reader on the same number of records as the reference measured in the same
//! run. The conn.log is a real one (default: the shared TrickBot capture) repeated with
//! its times shifted until it has `--lines` rows, so windows and reordering see real
//! traffic; it is built in memory, never written to the project.
//!
//! `cargo run --release --example zeek_timings -- [--log PATH] [--lines N] [--repeat R]`

use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

use netanomaly::data::reader::{ReadOptions, read_from};
use netanomaly::kdd::WindowConfig;
use netanomaly::zeek::{ZeekFeed, ZeekOptions, ZeekRecords};

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let data = std::env::var_os("NETANOMALY_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/data"));
    let mut log = data.join("zeek/trickbot_taleibhans.conn.log");
    let mut lines = 1_000_000usize;
    let mut repeat = 5usize;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let value = args.next().expect("a value after each option");
        match a.as_str() {
            "--log" => log = value.into(),
            "--lines" => lines = value.parse().expect("--lines N"),
            "--repeat" => repeat = value.parse().expect("--repeat N"),
            other => panic!("unknown option {other}"),
        }
    }
    let text = std::fs::read_to_string(&log)
        .unwrap_or_else(|e| panic!("{}: {e} (set NETANOMALY_DATA or --log)", log.display()));
    let header: Vec<&str> = text.lines().take_while(|l| l.starts_with('#')).collect();
    let rows: Vec<&str> = text.lines().filter(|l| !l.starts_with('#')).collect();
    let ts = |row: &str| -> f64 { row.split('\t').next().unwrap().parse().unwrap() };
    let span = rows.iter().map(|r| ts(r)).fold(f64::MIN, f64::max)
        - rows.iter().map(|r| ts(r)).fold(f64::MAX, f64::min)
        + 60.0;
    let mut input = Vec::with_capacity(lines * 200);
    writeln!(input, "{}", header.join("\n")).unwrap();
    for i in 0..lines {
        let row = rows[i % rows.len()];
        let shift = (i / rows.len()) as f64 * span;
        let (first, rest) = row.split_once('\t').unwrap();
        let t: f64 = first.parse().unwrap();
        writeln!(input, "{:.6}\t{rest}", t + shift).unwrap();
    }
    let options = ReadOptions::default();
    let mut zeek = Vec::new();
    let mut records = 0;
    for _ in 0..repeat {
        let started = Instant::now();
        let (dataset, _) = read_from(input.as_slice(), "bench", &options).unwrap();
        zeek.push(started.elapsed().as_secs_f64());
        records = dataset.len();
    }
    // The reference: the same number of KDD records, written by the KDD writer from the
    // records just read, through the KDD reader.
    let (dataset, _) = read_from(input.as_slice(), "bench", &options).unwrap();
    let mut kdd = Vec::with_capacity(records * 150);
    for r in 0..dataset.len() {
        dataset.write_kdd_line(r, &mut kdd).unwrap();
    }
    let mut kdd_times = Vec::new();
    for _ in 0..repeat {
        let started = Instant::now();
        let (d, _) = read_from(kdd.as_slice(), "bench", &options).unwrap();
        kdd_times.push(started.elapsed().as_secs_f64());
        assert_eq!(d.len(), records);
    }
    // Where the time goes: the lines parsed (in parallel), then reordered and given
    // their traffic features (one thread), each alone.
    let mut parse_times = Vec::new();
    let mut order_times = Vec::new();
    for _ in 0..repeat {
        let started = Instant::now();
        let mut feed = ZeekFeed::new("bench", options.max_line_bytes);
        let mut parsed = Vec::with_capacity(lines);
        for block in input.chunks(1 << 20) {
            feed.feed(block, &mut parsed);
        }
        feed.finish(&mut parsed);
        parse_times.push(started.elapsed().as_secs_f64());
        let started = Instant::now();
        let mut records = ZeekRecords::new(ZeekOptions::default(), WindowConfig::default());
        let mut out = Vec::with_capacity(lines);
        for row in parsed.into_iter().flatten() {
            records.push(row, &mut out);
        }
        records.finish(&mut out);
        order_times.push(started.elapsed().as_secs_f64());
        assert_eq!(out.len(), records.stats().rows as usize);
    }
    let (parse, order) = (median(parse_times), median(order_times));
    let (z, k) = (median(zeek), median(kdd_times));
    println!(
        "{{\"log\":{:?},\"lines\":{lines},\"records\":{records},\"bytes\":{},\"zeek_seconds\":{z:.4},\"zeek_lines_per_second\":{:.0},\"kdd_seconds\":{k:.4},\"kdd_records_per_second\":{:.0},\"zeek_over_kdd\":{:.2},\"parse_seconds\":{parse:.4},\"order_and_windows_seconds\":{order:.4}}}",
        log.display().to_string(),
        input.len(),
        lines as f64 / z,
        records as f64 / k,
        z / k
    );
}
