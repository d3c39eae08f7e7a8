//! Crash safety (README: Robustness): outputs killed with SIGKILL at random points are
//! absent or whole, never partial; temporaries of killed writers are cleaned up by the
//! next write; `monitor --alerts` holds whole JSON lines only, even across kills.
#![cfg(unix)]

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use netanomaly::capture::demo_capture::{Attacks, SynthConfig, generate};
use netanomaly::capture::writer::WriteFormat;

use common::DEMO;

/// Delays spread over `span`, from a fixed seed (so a failure can be rerun).
fn delays(n: usize, span: Duration, seed: u64) -> Vec<Duration> {
    let mut x = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
    (0..n)
        .map(|i| {
            x = x
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            // Stratified: one delay in each n-th of the span.
            let jitter = (x >> 33) as f64 / (1u64 << 31) as f64;
            span.mul_f64((i as f64 + jitter) / n as f64)
        })
        .collect()
}

/// Kills `args` with SIGKILL after each delay; after each kill, `out` is absent or equal
/// to `reference`, and nothing but `out` is in its folder once the next run (which
/// cleans up dead writers' temporaries) has finished. Returns (killed, completed).
fn kill_repeatedly(
    args: &[&str],
    out: &Path,
    reference: &[u8],
    delays: &[Duration],
) -> (usize, usize) {
    let folder = out.parent().unwrap();
    let (mut killed, mut completed) = (0, 0);
    for delay in delays {
        let _ = std::fs::remove_file(out);
        let mut child = Command::new(env!("CARGO_BIN_EXE_netanomaly"))
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(*delay);
        match child.try_wait().unwrap() {
            Some(status) => {
                assert!(status.success(), "{args:?}: {status:?}");
                completed += 1;
            }
            None => {
                child.kill().unwrap();
                child.wait().unwrap();
                killed += 1;
            }
        }
        if out.exists() {
            let got = std::fs::read(out).unwrap();
            assert!(
                got == reference,
                "killed after {delay:?}: {} holds {} bytes, the complete output {}",
                out.display(),
                got.len(),
                reference.len()
            );
        }
        // Only the target and (after a kill) temporaries named as documented.
        for entry in std::fs::read_dir(folder).unwrap() {
            let name = entry.unwrap().file_name().into_string().unwrap();
            assert!(
                name == out.file_name().unwrap().to_str().unwrap()
                    || (name.starts_with(".netanomaly-") && name.ends_with(".partial"))
                    || !name.starts_with('.') && name != "x",
                "unexpected {name} beside the output"
            );
        }
    }
    // One more complete run removes what the killed ones left.
    let _ = std::fs::remove_file(out);
    let run = common::netanomaly(args);
    assert!(run.status.success(), "{}", common::stderr(&run));
    let litter: Vec<String> = std::fs::read_dir(folder)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".partial"))
        .collect();
    assert!(litter.is_empty(), "temporaries left: {litter:?}");
    assert_eq!(std::fs::read(out).unwrap(), reference);
    (killed, completed)
}

/// A complete run of `args` for reference, then `runs` runs killed at seeded random
/// points over 1.1× its duration ([`kill_repeatedly`]); at least `min_killed` of them
/// must have been killed before finishing. Returns (killed, completed, a run's time).
fn kill_at_random_points(
    args: &[&str],
    out: &Path,
    runs: usize,
    seed: u64,
    min_killed: usize,
) -> (usize, usize, Duration) {
    let (full, took) = reference(args, out);
    let (killed, completed) =
        kill_repeatedly(args, out, &full, &delays(runs, took.mul_f64(1.1), seed));
    assert!(
        killed >= min_killed,
        "only {killed} runs were killed (a run takes {took:?})"
    );
    (killed, completed, took)
}

/// Runs `args` to completion and times it.
/// A complete run's output and the shortest of three runs' times: one run timed while
/// other tests load the machine can take twice as long as the killed runs that follow,
/// which then finish before their kills.
fn reference(args: &[&str], out: &Path) -> (Vec<u8>, Duration) {
    let mut fastest = Duration::MAX;
    let mut bytes = Vec::new();
    for _ in 0..3 {
        let started = Instant::now();
        let run = common::netanomaly(args);
        assert!(run.status.success(), "{}", common::stderr(&run));
        fastest = fastest.min(started.elapsed());
        bytes = std::fs::read(out).unwrap();
        std::fs::remove_file(out).unwrap();
    }
    (bytes, fastest)
}

fn train_demo(dir: &Path, detectors: &str) -> PathBuf {
    let model = dir.join("m");
    common::train(DEMO, &model, &["--epochs", "2", "--detectors", detectors]);
    model
}

#[test]
fn score_out_killed_at_random_points_is_absent_or_complete() {
    let Some(data) = common::real_data(common::KDD10) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    // The forest alone: the write path is what is tested, not the detectors.
    let model = train_demo(dir.path(), "iforest");
    let outputs = dir.path().join("out");
    std::fs::create_dir(&outputs).unwrap();
    let out = outputs.join("flagged.csv");
    let args = [
        "score",
        "--model",
        model.to_str().unwrap(),
        "--data",
        data.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ];
    let (killed, completed, took) = kill_at_random_points(&args, &out, 8, 1, 4);
    eprintln!("score: a run takes {took:?}; {killed} killed, {completed} completed");
}

#[test]
fn pcap2kdd_out_killed_at_random_points_is_absent_or_complete() {
    let dir = tempfile::tempdir().unwrap();
    let capture = dir.path().join("traffic.pcap");
    let synth = generate(&SynthConfig {
        seed: 3,
        duration_secs: 120.0,
        sessions_per_sec: 150.0,
        attacks: Attacks::ALL,
        ..SynthConfig::default()
    });
    synth
        .write(
            WriteFormat::PCAP_US,
            std::fs::File::create(&capture).unwrap(),
        )
        .unwrap();
    assert!(std::fs::metadata(&capture).unwrap().len() > 4 << 20);
    let outputs = dir.path().join("out");
    std::fs::create_dir(&outputs).unwrap();
    let out = outputs.join("traffic.kdd");
    let args = [
        "pcap2kdd",
        "--input",
        capture.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ];
    kill_at_random_points(&args, &out, 12, 2, 6);
}

/// `--alerts` gets whole lines only: a monitor killed mid-write leaves at most a cut
/// last line, which the next monitor removes when it opens the file.
#[test]
fn alerts_file_holds_whole_lines_across_kills() {
    let dir = tempfile::tempdir().unwrap();
    let model = train_demo(dir.path(), "iforest,autoencoder");
    // A large, mostly flagged input: the demo's attacks, repeated.
    let text = std::fs::read_to_string(DEMO).unwrap();
    let attacks: Vec<&str> = text
        .lines()
        .filter(|l| !l.starts_with("duration") && !l.ends_with("normal."))
        .collect();
    let mut input = String::new();
    while input.len() < 8 << 20 {
        for line in &attacks {
            input.push_str(line);
            input.push('\n');
        }
    }
    let data = dir.path().join("attacks.kdd");
    std::fs::write(&data, &input).unwrap();
    let alerts = dir.path().join("alerts.jsonl");
    let args = [
        "monitor",
        "--model",
        model.to_str().unwrap(),
        "--input",
        data.to_str().unwrap(),
        "--alerts",
        alerts.to_str().unwrap(),
        "--why",
        "0",
        "--flagged-only",
    ];
    let mut cut = 0;
    for delay in delays(8, Duration::from_millis(800), 3) {
        let mut child = Command::new(env!("CARGO_BIN_EXE_netanomaly"))
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(delay);
        let _ = child.kill();
        child.wait().unwrap();
        let bytes = std::fs::read(&alerts).unwrap_or_default();
        cut += usize::from(!bytes.is_empty() && !bytes.ends_with(b"\n"));
    }
    // A write cut by a crash (power loss, a full disk) as the kills above rarely
    // produce: the next run removes it when it opens the file, then appends.
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .open(&alerts)
        .unwrap();
    std::io::Write::write_all(&mut file, b"{\"kind\":\"record\",\"li").unwrap();
    drop(file);
    let run = common::netanomaly(&[
        "monitor",
        "--model",
        model.to_str().unwrap(),
        "--input",
        DEMO,
        "--alerts",
        alerts.to_str().unwrap(),
        "--why",
        "0",
    ]);
    assert!(run.status.success(), "{}", common::stderr(&run));
    let text = std::fs::read_to_string(&alerts).unwrap();
    assert!(text.ends_with('\n'));
    let mut n = 0;
    for line in text.lines() {
        let alert: serde_json::Value = serde_json::from_str(line)
            .unwrap_or_else(|e| panic!("line {}: {e}: {line:.200}", n + 1));
        assert_eq!(alert["flagged"], true);
        n += 1;
    }
    assert!(n > 1000, "{n} alerts");
    eprintln!("{n} whole alert lines; {cut} kills left a cut line that was repaired");
}
