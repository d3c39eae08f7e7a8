//! The real binary in a real terminal: tmux runs the dashboard, keys go in with
//! `send-keys`, the screen comes back with `capture-pane`.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

/// A tmux session, killed when dropped.
struct Session {
    name: String,
}

impl Session {
    fn start(command: &str) -> Session {
        let name = format!("netanomaly-test-{}", std::process::id());
        let status = Command::new("tmux")
            .args([
                "new-session",
                "-d",
                "-s",
                &name,
                "-x",
                "120",
                "-y",
                "36",
                command,
            ])
            .status()
            .expect("tmux runs");
        assert!(status.success());
        Session { name }
    }

    fn screen(&self) -> String {
        let out = Command::new("tmux")
            .args(["capture-pane", "-p", "-t", &self.name])
            .output()
            .expect("capture-pane");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", &self.name];
        args.extend_from_slice(keys);
        assert!(Command::new("tmux").args(&args).status().unwrap().success());
    }

    /// Waits until the screen contains `text`; returns it.
    fn wait_for(&self, text: &str, timeout: Duration) -> String {
        let deadline = Instant::now() + timeout;
        loop {
            let screen = self.screen();
            if screen.contains(text) {
                return screen;
            }
            assert!(
                Instant::now() < deadline,
                "waited {timeout:?} for {text:?}; the screen shows:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["kill-session", "-t", &self.name])
            .status();
    }
}

fn tmux_available() -> bool {
    let found = Command::new("tmux")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        let message = "tmux is not installed: the real-terminal test needs it";
        if std::env::var("NETANOMALY_REQUIRE_DATA").is_ok_and(|v| v == "1") {
            panic!("{message} (required in CI)");
        }
        eprintln!("SKIPPED: {message}");
    }
    found
}

/// `flags 123 of 1,800 test rows` → 123.
fn flagged_count(screen: &str) -> u64 {
    let line = screen
        .lines()
        .find(|l| l.contains("test rows") && l.contains("flags "))
        .unwrap_or_else(|| panic!("no flag count on screen:\n{screen}"));
    let after = line.split("flags ").nth(1).unwrap();
    after
        .split(" of ")
        .next()
        .unwrap()
        .replace(',', "")
        .trim()
        .parse()
        .unwrap()
}

#[test]
fn the_dashboard_trains_responds_to_keys_exports_and_restores_the_terminal() {
    if !tmux_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let command = format!(
        "{} dashboard --demo-rows 3000 --epochs 8 --out-dir {}; echo EXIT=$?; sleep 60",
        env!("CARGO_BIN_EXE_netanomaly"),
        dir.path().display()
    );
    let session = Session::start(&command);
    // The first frame comes at once and says where the data comes from.
    let first = session.wait_for("1 Overview", Duration::from_secs(10));
    assert!(first.contains("built-in demo traffic"), "{first}");
    session.wait_for("both detectors trained", Duration::from_secs(90));

    // The forest's contamination slider: → flags more test rows, at once.
    session.keys(&["2"]);
    let screen = session.wait_for("Contamination", Duration::from_secs(5));
    let before = flagged_count(&screen);
    session.keys(&["l", "l", "l", "l", "l"]);
    let deadline = Instant::now() + Duration::from_secs(5);
    let after = loop {
        let n = flagged_count(&session.screen());
        if n != before || Instant::now() > deadline {
            break n;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(after > before, "{before} → {after}");

    // Help comes from the key table and goes away on any key.
    session.keys(&["?"]);
    let help = session.wait_for("Keys (?)", Duration::from_secs(5));
    assert!(help.contains("export the flagged rows"), "{help}");
    session.keys(&["?"]);
    std::thread::sleep(Duration::from_millis(300));
    assert!(!session.screen().contains("Keys (?)"));

    // Export from the flagged-rows tab: a message names the file, which is complete.
    session.keys(&["5", "e"]);
    let screen = session.wait_for("exported", Duration::from_secs(30));
    let csv = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "csv"))
        .unwrap_or_else(|| panic!("no CSV in the output folder:\n{screen}"));
    assert_csv_is_complete(&csv, &screen);

    // q quits cleanly and gives the terminal back (the dashboard's screen is gone).
    session.keys(&["q"]);
    let screen = session.wait_for("EXIT=", Duration::from_secs(10));
    assert!(screen.contains("EXIT=0"), "{screen}");
    assert!(!screen.contains("1 Overview"), "{screen}");
}

fn assert_csv_is_complete(path: &Path, screen: &str) {
    let mut reader = csv::Reader::from_path(path).unwrap();
    let rows = reader.records().map(Result::unwrap).count();
    let announced = format!("exported {} rows", rows);
    assert!(screen.contains(&announced), "{announced} in\n{screen}");
}
