//! Packets → KDD records → scores, through the real binary, on captures built here:
//! seeded background traffic (`capture::demo_capture`) with hand-built exchanges mixed in.

mod common;

use std::io::Write;
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use common::{netanomaly, stderr, stdout};
use etherparse::PacketBuilder;
use netanomaly::capture::demo_capture::{Attacks, SynthConfig, generate};
use netanomaly::capture::packet::{NANOS_PER_SEC, Nanos};
use netanomaly::capture::writer::{CaptureWriter, WriteFormat};
use serde_json::Value;

const MS: Nanos = 1_000_000;
const START: Nanos = 1_700_000_000 * NANOS_PER_SEC;
const WEB: Ipv4Addr = Ipv4Addr::new(10, 0, 1, 80);
const CLIENT: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 12);
const SCANNER: Ipv4Addr = Ipv4Addr::new(203, 0, 113, 9);
const ETHERNET: u32 = 1;

type Frame = (Nanos, Vec<u8>);

/// One TCP segment as an Ethernet frame.
fn tcp(
    ts: Nanos,
    src: Ipv4Addr,
    dst: Ipv4Addr,
    ports: (u16, u16),
    flags: &str,
    payload: usize,
) -> Frame {
    let mut b = PacketBuilder::ethernet2([2, 0, 0, 0, 0, 1], [2, 0, 0, 0, 0, 2])
        .ipv4(src.octets(), dst.octets(), 64)
        .tcp(ports.0, ports.1, 1000, 64240);
    for f in flags.chars() {
        b = match f {
            'S' => b.syn(),
            'A' => b.ack(1),
            'F' => b.fin(),
            'R' => b.rst(),
            'P' => b.psh(),
            _ => unreachable!("flag {f}"),
        };
    }
    let mut frame = Vec::new();
    b.write(&mut frame, &vec![b'x'; payload]).unwrap();
    (ts, frame)
}

/// A complete HTTP exchange from CLIENT:40001: handshake, a 300-byte request, a
/// 5000-byte response in four segments, FIN both ways.
fn http_exchange(t: Nanos) -> Vec<Frame> {
    let (c, s) = ((CLIENT, WEB), (WEB, CLIENT));
    let (out, back) = ((40001, 80), (80, 40001));
    let mut frames = vec![
        tcp(t, c.0, c.1, out, "S", 0),
        tcp(t + MS, s.0, s.1, back, "SA", 0),
        tcp(t + 2 * MS, c.0, c.1, out, "A", 0),
        tcp(t + 3 * MS, c.0, c.1, out, "PA", 300),
    ];
    for (i, len) in [1448, 1448, 1448, 656].into_iter().enumerate() {
        frames.push(tcp(t + (10 + i as u64) * MS, s.0, s.1, back, "A", len));
    }
    frames.push(tcp(t + 15 * MS, c.0, c.1, out, "A", 0));
    frames.push(tcp(t + 20 * MS, s.0, s.1, back, "FA", 0));
    frames.push(tcp(t + 21 * MS, c.0, c.1, out, "FA", 0));
    frames.push(tcp(t + 22 * MS, s.0, s.1, back, "A", 0));
    frames
}

/// An nmap -sS style scan of ports 1–300 of WEB within 0.3 s: ports 1–150 are closed
/// (RST/ACK answers), 151–300 filtered (no answer).
fn syn_scan(t: Nanos) -> Vec<Frame> {
    let mut frames = Vec::new();
    for port in 1..=300u16 {
        let at = t + u64::from(port) * MS;
        frames.push(tcp(at, SCANNER, WEB, (50000, port), "S", 0));
        if port <= 150 {
            frames.push(tcp(at + MS / 2, WEB, SCANNER, (port, 50000), "RA", 0));
        }
    }
    frames
}

/// Background traffic plus `extra`, in time order, as a capture file.
fn write_capture(path: &Path, seed: u64, seconds: f64, extra: Vec<Frame>, format: WriteFormat) {
    let background = generate(&SynthConfig {
        seed,
        start_ns: START,
        duration_secs: seconds,
        sessions_per_sec: 20.0,
        attacks: Attacks::NONE,
    });
    let mut frames: Vec<(Nanos, &[u8])> = background.iter().collect();
    frames.extend(extra.iter().map(|(t, f)| (*t, f.as_slice())));
    frames.sort_by_key(|(t, _)| *t);
    let file = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    let mut writer = CaptureWriter::new(file, format, ETHERNET, 65535).unwrap();
    for (t, frame) in frames {
        writer.write_frame(t, frame).unwrap();
    }
    writer.finish().unwrap().flush().unwrap();
}

/// A header-feature bundle trained on five minutes of normal synthetic traffic, turned
/// into records by `pcap2kdd`: built once for all tests here.
fn model() -> &'static Path {
    static MODEL: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    &MODEL
        .get_or_init(|| {
            let dir = tempfile::tempdir().unwrap();
            let pcap = dir.path().join("normal.pcap");
            write_capture(&pcap, 2, 300.0, Vec::new(), WriteFormat::PCAP_US);
            let model = dir.path().join("model");
            common::train_on_capture(
                &pcap,
                &model,
                &[
                    "--iforest-threshold",
                    "percentile:99.5",
                    "--ae-threshold",
                    "percentile:99.5",
                    "--fused-threshold",
                    "percentile:99.5",
                    "--epochs",
                    "30",
                ],
            );
            (dir, model)
        })
        .1
}

/// `monitor --format pcap --json` on a file: the records, and the summary line.
fn monitor_json(capture: &Path, extra: &[&str]) -> (Vec<Value>, Value) {
    let mut args = vec![
        "monitor",
        "--model",
        model().to_str().unwrap(),
        "--format",
        "pcap",
        "--json",
        "--input",
        capture.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let run = netanomaly(&args);
    assert!(run.status.success(), "{}", stderr(&run));
    let mut lines: Vec<Value> = stdout(&run)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let summary = lines.pop().unwrap();
    assert_eq!(summary["kind"], "summary");
    (lines, summary)
}

fn from(records: &[Value], src: Ipv4Addr) -> Vec<&Value> {
    records
        .iter()
        .filter(|r| r["src"] == src.to_string())
        .collect()
}

#[test]
fn a_normal_http_exchange_is_one_unflagged_sf_record() {
    let dir = tempfile::tempdir().unwrap();
    let capture = dir.path().join("http.pcap");
    // Longer than the 60 s UDP timeout, as the training capture is: DNS flows end by
    // timeout, not all at once at the end of the capture.
    write_capture(
        &capture,
        3,
        200.0,
        http_exchange(START + 100 * NANOS_PER_SEC),
        WriteFormat::PCAP_US,
    );
    let (records, summary) = monitor_json(&capture, &[]);
    let ours: Vec<&Value> = records.iter().filter(|r| r["src_port"] == 40001).collect();
    assert_eq!(ours.len(), 1, "{ours:?}");
    let r = ours[0];
    assert_eq!(r["dst"], WEB.to_string());
    assert_eq!(
        (&r["protocol_type"], &r["service"], &r["flag"]),
        (&"tcp".into(), &"http".into(), &"SF".into())
    );
    assert_eq!(r["src_bytes"], 300);
    assert_eq!(r["dst_bytes"], 5000);
    assert_eq!(r["packets"], 12);
    assert_eq!(r["ended_by"], "close");
    assert_eq!(r["iforest"]["flagged"], false, "{r}");
    assert_eq!(r["autoencoder"]["flagged"], false, "{r}");
    // ICMP records carry the message's type and code, not ports.
    let ping = records.iter().find(|r| r["service"] == "eco_i").unwrap();
    assert_eq!(
        (&ping["icmp_type"], &ping["icmp_code"]),
        (&8.into(), &0.into())
    );
    assert!(ping.get("src_port").is_none() && ping.get("dst_port").is_none());
    // Background traffic from another seed is normal too: few flags (each threshold is
    // the 99.5th percentile of the training scores).
    let flagged = summary["counts"]["flagged_any"].as_u64().unwrap();
    let total = summary["counts"]["records"].as_u64().unwrap();
    assert!(total > 4000 && flagged * 25 < total, "{summary}");
}

#[test]
fn a_syn_scan_comes_out_as_rej_and_s0_records_and_is_flagged() {
    let dir = tempfile::tempdir().unwrap();
    let capture = dir.path().join("scan.pcap");
    write_capture(
        &capture,
        4,
        60.0,
        syn_scan(START + 20 * NANOS_PER_SEC),
        WriteFormat::PCAP_US,
    );
    let (records, _) = monitor_json(&capture, &[]);
    let scan = from(&records, SCANNER);
    assert_eq!(scan.len(), 300);
    let by_flag = |flag: &str| -> Vec<&Value> {
        scan.iter().copied().filter(|r| r["flag"] == flag).collect()
    };
    let (rej, s0) = (by_flag("REJ"), by_flag("S0"));
    assert_eq!((rej.len(), s0.len()), (150, 150));
    // Records of the same host seen later in the scan carry the scan in their windows.
    // (The KDD files print rates with two decimals, as the JSON record's fields are not:
    // read them from the KDD line written by pcap2kdd instead.)
    let kdd = dir.path().join("scan.kdd");
    let run = netanomaly(&[
        "pcap2kdd",
        "--input",
        capture.to_str().unwrap(),
        "--out",
        kdd.to_str().unwrap(),
    ]);
    assert!(run.status.success(), "{}", stderr(&run));
    let text = std::fs::read_to_string(&kdd).unwrap();
    let rows: Vec<Vec<&str>> = text.lines().map(|l| l.split(',').collect()).collect();
    assert!(rows.iter().all(|r| r.len() == 41));
    let num = |r: &Vec<&str>, i: usize| r[i].parse::<f64>().unwrap();
    let late_rej: Vec<&Vec<&str>> = rows.iter().filter(|r| r[3] == "REJ").skip(100).collect();
    assert_eq!(late_rej.len(), 50);
    for r in &late_rej {
        // count (23rd field): ≥ 100 scan connections to the host in 2 s; rerror_rate
        // and dst_host_rerror_rate high.
        assert!(num(r, 22) >= 100.0, "{r:?}");
        assert!(num(r, 26) >= 0.4, "rerror_rate {r:?}");
        assert!(num(r, 39) >= 0.4, "dst_host_rerror_rate {r:?}");
    }
    let s0_rows: Vec<&Vec<&str>> = rows.iter().filter(|r| r[3] == "S0").collect();
    assert!(s0_rows.len() >= 150);
    assert!(
        s0_rows.iter().skip(100).all(|r| num(r, 24) >= 0.4),
        "serror_rate"
    );
    // The autoencoder flags (nearly) all of the scan. The forest, trained on normal
    // traffic where every error rate and flag but SF is constant, cannot split on
    // those: it flags the probes once the scan fills the windows' counts (the later
    // third of each half of the scan), not the first ones.
    let flagged = |detector: &str, records: &[&Value]| {
        records
            .iter()
            .filter(|r| r[detector]["flagged"] == true)
            .count()
    };
    assert!(
        flagged("autoencoder", &scan) >= 285,
        "{}",
        flagged("autoencoder", &scan)
    );
    let late: Vec<&Value> = scan
        .iter()
        .copied()
        .filter(|r| matches!(r["dst_port"].as_u64().unwrap(), 101..=150 | 251..=300))
        .collect();
    assert!(
        flagged("iforest", &late) >= 90,
        "{}",
        flagged("iforest", &late)
    );
}

/// The same packets in classic pcap (both byte orders, µs and ns) and pcapng give the
/// same records, from a file or through a pipe.
#[test]
fn every_capture_format_gives_the_same_records() {
    let dir = tempfile::tempdir().unwrap();
    let formats = [
        WriteFormat::PCAP_US,
        WriteFormat::Pcap {
            big_endian: true,
            nanos: true,
        },
        WriteFormat::PCAPNG_US,
        WriteFormat::PcapNg {
            big_endian: true,
            tsresol: 9,
            tsoffset_secs: 0,
        },
    ];
    let mut outputs = Vec::new();
    for (i, format) in formats.into_iter().enumerate() {
        let capture = dir.path().join(format!("c{i}"));
        write_capture(
            &capture,
            5,
            20.0,
            http_exchange(START + NANOS_PER_SEC),
            format,
        );
        let run = netanomaly(&["pcap2kdd", "--input", capture.to_str().unwrap()]);
        assert!(run.status.success(), "{}", stderr(&run));
        outputs.push(stdout(&run));
        if i == 2 {
            // Through standard input.
            let mut child = Command::new(env!("CARGO_BIN_EXE_netanomaly"))
                .args(["pcap2kdd", "--input", "-"])
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap();
            let bytes = std::fs::read(&capture).unwrap();
            let mut stdin = child.stdin.take().unwrap();
            std::thread::spawn(move || {
                for piece in bytes.chunks(777) {
                    stdin.write_all(piece).unwrap();
                }
            });
            let out = child.wait_with_output().unwrap();
            assert!(out.status.success());
            outputs.push(String::from_utf8(out.stdout).unwrap());
        }
    }
    assert!(outputs[0].lines().count() > 100);
    assert!(outputs.iter().all(|o| o == &outputs[0]));
}

#[test]
fn garbage_truncated_and_content_feature_models_are_handled() {
    let dir = tempfile::tempdir().unwrap();
    // Not a capture at all.
    let text = dir.path().join("records.txt");
    std::fs::write(&text, "0,tcp,http,SF,215,45076\n").unwrap();
    for command in ["pcap2kdd", "monitor"] {
        let mut args = vec![command, "--input", text.to_str().unwrap()];
        if command == "monitor" {
            args.extend(["--format", "pcap", "--model", model().to_str().unwrap()]);
        }
        let run = netanomaly(&args);
        assert!(!run.status.success());
        let err = stderr(&run);
        assert!(
            err.contains("records.txt") && err.contains("not a packet capture"),
            "{command}: {err}"
        );
    }
    // Cut off in the middle of a record: the records before it, and a warning.
    let capture = dir.path().join("whole.pcap");
    write_capture(
        &capture,
        6,
        20.0,
        http_exchange(START),
        WriteFormat::PCAP_US,
    );
    let bytes = std::fs::read(&capture).unwrap();
    let cut = dir.path().join("cut.pcap");
    std::fs::write(&cut, &bytes[..bytes.len() - 30]).unwrap();
    let run = netanomaly(&["pcap2kdd", "--input", cut.to_str().unwrap()]);
    assert!(run.status.success(), "{}", stderr(&run));
    assert!(stderr(&run).contains("ends mid-record"), "{}", stderr(&run));
    assert!(stdout(&run).lines().count() > 50);

    // A model that needs content features is refused for packets unless asked.
    let all = dir.path().join("all");
    common::train(common::DEMO, &all, &["--detectors", "iforest"]);
    let args = [
        "monitor",
        "--model",
        all.to_str().unwrap(),
        "--format",
        "pcap",
        "--input",
        capture.to_str().unwrap(),
    ];
    let run = netanomaly(&args);
    assert!(!run.status.success());
    assert!(
        stderr(&run).contains("--feature-set header"),
        "{}",
        stderr(&run)
    );
    let mut args = args.to_vec();
    args.push("--allow-content-features-zero");
    let run = netanomaly(&args);
    assert!(run.status.success(), "{}", stderr(&run));
}

/// A spoofed SYN flood larger than the connection table: the table stays at its cap,
/// the half-open connections pushed out are reported (as S0 records) and counted.
#[test]
fn a_syn_flood_beyond_the_table_cap_is_reported_and_counted() {
    let dir = tempfile::tempdir().unwrap();
    let mut frames = Vec::new();
    for i in 0..20_000u32 {
        let src = Ipv4Addr::from(0x0a00_0000 | (i + 1));
        frames.push(tcp(
            START + u64::from(i) * 50_000,
            src,
            WEB,
            (1024 + (i % 60000) as u16, 80),
            "S",
            0,
        ));
    }
    let capture = dir.path().join("flood.pcap");
    write_capture(&capture, 7, 5.0, frames, WriteFormat::PCAP_US);
    let run = netanomaly(&[
        "pcap2kdd",
        "--input",
        capture.to_str().unwrap(),
        "--max-connections",
        "1000",
    ]);
    assert!(run.status.success(), "{}", stderr(&run));
    let err = stderr(&run);
    let s0 = stdout(&run)
        .lines()
        .filter(|l| l.contains(",http,S0,"))
        .count();
    assert_eq!(s0, 20_000);
    let evicted: u64 = err
        .split("connection table full: ")
        .nth(1)
        .and_then(|s| s.split(' ').next())
        .map(|n| n.replace(',', "").parse().unwrap())
        .unwrap_or_else(|| panic!("no eviction count in {err}"));
    assert!(evicted >= 15_000, "{err}");
}

/// `--follow` on a capture being written: a record cut in two by the writer is read
/// whole once the rest arrives; Ctrl-C ends the run with every packet counted.
#[test]
#[cfg(unix)]
fn follow_reads_a_capture_as_it_is_written() {
    use std::io::{BufRead, BufReader};
    let dir = tempfile::tempdir().unwrap();
    let whole = dir.path().join("whole.pcap");
    write_capture(
        &whole,
        8,
        20.0,
        http_exchange(START + 15 * NANOS_PER_SEC),
        WriteFormat::PCAP_US,
    );
    let bytes = std::fs::read(&whole).unwrap();
    let frames = {
        let run = netanomaly(&["pcap2kdd", "--input", whole.to_str().unwrap()]);
        let err = stderr(&run);
        let n = err
            .split(" frames")
            .next()
            .unwrap()
            .rsplit('(')
            .next()
            .unwrap();
        n.replace(',', "").parse::<u64>().unwrap()
    };
    let growing = dir.path().join("growing.pcap");
    // Cut at an odd offset: almost surely inside a record.
    let cut = bytes.len() / 2 + 7;
    std::fs::write(&growing, &bytes[..cut]).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_netanomaly"))
        .args([
            "monitor", "--format", "pcap", "--json", "--follow", "--model",
        ])
        .arg(model())
        .arg("--input")
        .arg(&growing)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let stdout = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(serde_json::from_str::<Value>(&line).unwrap());
        }
    });
    std::thread::sleep(std::time::Duration::from_millis(500));
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .open(&growing)
        .unwrap();
    file.write_all(&bytes[cut..]).unwrap();
    let wait = std::time::Duration::from_secs(20);
    loop {
        let record = rx.recv_timeout(wait).expect("the exchange's record");
        if record["src_port"] == 40001 {
            assert_eq!(
                (record["src_bytes"].as_u64(), record["dst_bytes"].as_u64()),
                (Some(300), Some(5000))
            );
            break;
        }
    }
    Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    let summary = loop {
        let line = rx.recv_timeout(wait).expect("a summary");
        if line["kind"] == "summary" {
            break line;
        }
    };
    assert_eq!(summary["ended"], "stopped");
    assert_eq!(summary["capture"]["frames"], frames);
    assert!(
        summary["capture"].get("truncated_tail").is_none(),
        "{summary}"
    );
    assert!(child.wait().unwrap().success());
}
