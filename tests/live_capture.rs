//! The live path end to end: `tcpdump -U -w - -i lo | netanomaly monitor --format pcap`
//! while this test drives real TCP traffic over loopback.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::{netanomaly, stderr};
use serde_json::Value;

/// Whether tcpdump is here and may capture on loopback (root or CAP_NET_RAW). CI
/// (`NETANOMALY_REQUIRE_DATA=1`) installs it and requires it.
fn tcpdump_usable() -> bool {
    // The probe writes to a pipe, never to a path: tcpdump running as root hands a file
    // it writes to its own user, and a shared path such as /dev/null must not be touched.
    let ok = Command::new("tcpdump")
        .args([
            "-i",
            "lo",
            "-c",
            "1",
            "-w",
            "-",
            "--immediate-mode",
            "not ip",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            // It either fails at once (missing, no permission) or waits for a packet.
            std::thread::sleep(Duration::from_millis(500));
            match child.try_wait()? {
                Some(status) => Ok(status.success()),
                None => {
                    child.kill()?;
                    child.wait()?;
                    Ok(true)
                }
            }
        })
        .unwrap_or(false);
    if !ok {
        let message = "tcpdump is missing or may not capture on lo: the live-capture test needs it";
        if std::env::var("NETANOMALY_REQUIRE_DATA").is_ok_and(|v| v == "1") {
            panic!("{message} (required in CI)");
        }
        eprintln!("SKIPPED: {message}");
    }
    ok
}

/// A small header-feature model trained on generated normal traffic.
fn train_model(dir: &std::path::Path) -> std::path::PathBuf {
    let pcap = dir.join("normal.pcap");
    let run = netanomaly(&[
        "demo-capture",
        "--out",
        pcap.to_str().unwrap(),
        "--attacks",
        "none",
        "--seconds",
        "120",
    ]);
    assert!(run.status.success(), "{}", stderr(&run));
    let model = dir.join("model");
    common::train_on_capture(&pcap, &model, &["--epochs", "5"]);
    model
}

struct Pipeline {
    tcpdump: Child,
    monitor: Child,
    lines: mpsc::Receiver<String>,
}

impl Drop for Pipeline {
    fn drop(&mut self) {
        let _ = self.tcpdump.kill();
        let _ = self.monitor.kill();
        let _ = self.tcpdump.wait();
        let _ = self.monitor.wait();
    }
}

fn start(model: &std::path::Path, ports: (u16, u16)) -> Pipeline {
    let filter = format!("tcp port {} or tcp port {}", ports.0, ports.1);
    let mut tcpdump = Command::new("tcpdump")
        .args([
            "-U",
            "-w",
            "-",
            "-i",
            "lo",
            "--immediate-mode",
            "-s",
            "128",
            &filter,
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("tcpdump starts");
    // Wait for "listening on lo" so no packet of the test is missed.
    let mut err = BufReader::new(tcpdump.stderr.take().unwrap());
    let mut line = String::new();
    err.read_line(&mut line).unwrap();
    assert!(line.contains("listening on"), "tcpdump: {line}");
    std::thread::spawn(move || std::io::copy(&mut err, &mut std::io::sink()));
    let mut monitor = Command::new(env!("CARGO_BIN_EXE_netanomaly"))
        .args(["monitor", "--format", "pcap", "--json", "--model"])
        .arg(model)
        .stdin(tcpdump.stdout.take().unwrap())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = monitor.stdout.take().unwrap();
    let (tx, lines) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    Pipeline {
        tcpdump,
        monitor,
        lines,
    }
}

/// Records printed until `done` says so, or the deadline passes.
fn records_until(rx: &mpsc::Receiver<String>, done: impl Fn(&[Value]) -> bool) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut records = Vec::new();
    while !done(&records) {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(line) => records.push(serde_json::from_str(&line).unwrap()),
            Err(_) => panic!("records so far: {records:#?}"),
        }
    }
    records
}

#[test]
#[cfg(unix)]
fn live_loopback_traffic_becomes_scored_records() {
    if !tcpdump_usable() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let model = train_model(dir.path());
    let server = TcpListener::bind("127.0.0.1:0").unwrap();
    let open = server.local_addr().unwrap().port();
    // A port with nothing listening: bind, note it, close.
    let closed = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let pipeline = start(&model, (open, closed));

    // A request/response exchange: 300 bytes up, 5000 down, then both close.
    let serve = std::thread::spawn(move || {
        let (mut conn, _) = server.accept().unwrap();
        let mut request = [0u8; 300];
        conn.read_exact(&mut request).unwrap();
        conn.write_all(&[b'r'; 5000]).unwrap();
        conn.shutdown(std::net::Shutdown::Write).unwrap();
        let mut rest = Vec::new();
        conn.read_to_end(&mut rest).unwrap();
    });
    let mut client = TcpStream::connect(("127.0.0.1", open)).unwrap();
    client.write_all(&[b'q'; 300]).unwrap();
    let mut response = Vec::new();
    client.shutdown(std::net::Shutdown::Write).unwrap();
    client.read_to_end(&mut response).unwrap();
    assert_eq!(response.len(), 5000);
    drop(client);
    serve.join().unwrap();
    // Refused: SYN answered by RST.
    assert!(TcpStream::connect(("127.0.0.1", closed)).is_err());

    let has = |records: &[Value], port: u16| records.iter().any(|r| r["dst_port"] == port);
    let records = records_until(&pipeline.lines, |r| has(r, open) && has(r, closed));
    let exchange = records.iter().find(|r| r["dst_port"] == open).unwrap();
    assert_eq!(exchange["flag"], "SF", "{exchange}");
    assert_eq!(exchange["src_bytes"], 300, "{exchange}");
    assert_eq!(exchange["dst_bytes"], 5000, "{exchange}");
    assert_eq!(exchange["src"], "127.0.0.1");
    let refused = records.iter().find(|r| r["dst_port"] == closed).unwrap();
    assert_eq!(refused["flag"], "REJ", "{refused}");
    assert_eq!(refused["src_bytes"], 0);

    // tcpdump ends (as on Ctrl-C): the monitor sees the end of its input and sums up.
    let mut pipeline = pipeline;
    let pid = pipeline.tcpdump.id().to_string();
    Command::new("kill").args(["-INT", &pid]).status().unwrap();
    let summary = records_until(&pipeline.lines, |r| {
        r.last().is_some_and(|l| l["kind"] == "summary")
    });
    let summary = summary.last().unwrap();
    assert_eq!(summary["ended"], "end of input", "{summary}");
    assert!(summary["counts"]["records"].as_u64().unwrap() >= 2);
    assert!(summary["capture"]["packets"].as_u64().unwrap() >= 10);
    let status = pipeline.monitor.wait().unwrap();
    assert!(status.success());
}
