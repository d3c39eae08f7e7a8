//! The real binary in a real terminal: tmux runs a shell, the dashboard is started from
//! it, keys go in with `send-keys`, the screen comes back with `capture-pane`, and after
//! the dashboard ends the shell's prompt must be back with the terminal in cooked mode.

mod common;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

const PROMPT: &str = "READY$ ";

/// A tmux session running a plain shell, killed when dropped.
struct Session {
    name: String,
}

impl Session {
    fn start(tag: &str) -> Session {
        let name = format!("netanomaly-{tag}-{}", std::process::id());
        let status = Command::new("tmux")
            .args(["new-session", "-d", "-s", &name, "-x", "120", "-y", "36"])
            .arg(format!(
                "env PS1='{PROMPT}' TERM=xterm-256color bash --norc --noprofile"
            ))
            .status()
            .expect("tmux runs");
        assert!(status.success());
        let session = Session { name };
        session.wait_for(PROMPT.trim_end(), Duration::from_secs(10));
        session
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

    /// Types a shell command line.
    fn run(&self, line: &str) {
        self.keys(&["-l", line]);
        self.keys(&["Enter"]);
    }

    /// Waits until `test` accepts the screen; returns it.
    fn wait_until(&self, what: &str, timeout: Duration, test: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + timeout;
        loop {
            let screen = self.screen();
            if test(&screen) {
                return screen;
            }
            assert!(
                Instant::now() < deadline,
                "waited {timeout:?} for {what}; the screen shows:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(40));
        }
    }

    fn wait_for(&self, text: &str, timeout: Duration) -> String {
        self.wait_until(text, timeout, |s| s.contains(text))
    }

    /// After the dashboard ends: the prompt is the last line, the dashboard's screen
    /// is gone (alternate screen left) and the terminal echoes and reads lines again.
    fn assert_terminal_restored(&self) {
        let screen = self.wait_until("the shell prompt", Duration::from_secs(15), |s| {
            s.lines()
                .rfind(|l| !l.trim().is_empty())
                .is_some_and(|l| l == PROMPT.trim_end())
        });
        assert!(!screen.contains("1 Overview"), "{screen}");
        self.run("stty -a | tr ' ;' '\\n\\n' | grep -x -e icanon -e echo | tr '\\n' ' '; echo");
        let screen = self.wait_for("icanon echo", Duration::from_secs(5));
        assert!(!screen.contains("-icanon"), "{screen}");
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
        let message = "tmux is not installed: the real-terminal tests need it";
        if std::env::var("NETANOMALY_REQUIRE_DATA").is_ok_and(|v| v == "1") {
            panic!("{message} (required in CI)");
        }
        eprintln!("SKIPPED: {message}");
    }
    found
}

/// The numbers of a line of the screen that contains `marker`.
fn numbers_on(screen: &str, marker: &str) -> Vec<u64> {
    let line = screen
        .lines()
        .find(|l| l.contains(marker))
        .unwrap_or_else(|| panic!("no {marker:?} on screen:\n{screen}"));
    line.split(|c: char| !(c.is_ascii_digit() || c == ','))
        .filter_map(|t| t.replace(',', "").parse().ok())
        .collect()
}

#[test]
fn the_dashboard_trains_responds_to_keys_exports_and_restores_the_terminal() {
    if !tmux_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let session = Session::start("e2e");
    session.run(&format!(
        "{} dashboard --demo-rows 20000 --epochs 60 --patience 0 --out-dir {}",
        env!("CARGO_BIN_EXE_netanomaly"),
        dir.path().display()
    ));
    // The first frame says where the data comes from; then training progress shows.
    let first = session.wait_for("1 Overview", Duration::from_secs(10));
    assert!(first.contains("built-in demo traffic"), "{first}");
    // Live progress: the epoch counter and, once an epoch has finished, the time left.
    session.wait_until("training progress", Duration::from_secs(60), |s| {
        s.contains("training: epoch") && s.contains("left")
    });
    session.wait_for("the detectors trained", Duration::from_secs(120));

    // The forest's contamination slider: → moves the confusion matrix at once.
    session.keys(&["2"]);
    let screen = session.wait_for("Confusion matrix", Duration::from_secs(5));
    let before = (
        numbers_on(&screen, "actual attack"),
        numbers_on(&screen, "actual normal"),
    );
    session.keys(&["l", "l", "l", "l", "l"]);
    let screen = session.wait_until(
        "the confusion matrix to change",
        Duration::from_secs(5),
        |s| {
            (
                numbers_on(s, "actual attack"),
                numbers_on(s, "actual normal"),
            ) != before
        },
    );
    let after = (
        numbers_on(&screen, "actual attack"),
        numbers_on(&screen, "actual normal"),
    );
    // More flagged: true and false positives can only grow.
    assert!(
        after.0[0] >= before.0[0] && after.1[0] >= before.1[0],
        "{before:?} → {after:?}"
    );

    // A mouse click on a tab's title opens it (an SGR mouse press and release, as a
    // terminal sends them with mouse capture on).
    let tabs_line = screen.lines().nth(1).unwrap().to_owned();
    let column = tabs_line
        .chars()
        .collect::<Vec<_>>()
        .windows(9)
        .position(|w| w.iter().collect::<String>() == "5 Compare")
        .unwrap_or_else(|| panic!("no Compare tab in {tabs_line:?}"))
        + 2;
    session.keys(&["-l", &format!("\x1b[<0;{column};2M\x1b[<0;{column};2m")]);
    session.wait_for("Precision–recall ·", Duration::from_secs(5));
    session.keys(&["2"]);
    session.wait_for("Contamination", Duration::from_secs(5));

    // Help comes from the key table. It is modal: keys for the screen behind it do
    // nothing (→ would move the threshold), and Esc closes it without quitting.
    let slider = |s: &str| numbers_on(s, "actual attack");
    let behind = slider(&session.screen());
    session.keys(&["?"]);
    let help = session.wait_for("Keys (?)", Duration::from_secs(5));
    assert!(help.contains("export the flagged rows"), "{help}");
    session.keys(&["l", "l", "l"]);
    session.keys(&["Escape"]);
    let screen = session.wait_until("help to close", Duration::from_secs(5), |s| {
        !s.contains("Keys (?)") && s.contains("Contamination")
    });
    assert_eq!(
        slider(&screen),
        behind,
        "keys acted behind the help:\n{screen}"
    );
    session.keys(&["?"]);
    session.wait_for("Keys (?)", Duration::from_secs(5));
    session.keys(&["q"]);
    session.wait_until("q to close the help", Duration::from_secs(5), |s| {
        !s.contains("Keys (?)") && s.contains("Contamination")
    });

    // Export from the flagged-rows tab: a message names the file, which is complete.
    session.keys(&["6"]);
    session.wait_for(
        "flagged rows (forest or autoencoder",
        Duration::from_secs(5),
    );
    session.keys(&["e"]);
    let screen = session.wait_for("exported", Duration::from_secs(30));
    let csv = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "csv"))
        .unwrap_or_else(|| panic!("no CSV in the output folder:\n{screen}"));
    assert_csv_is_complete(&csv, &screen);

    // A record's detail: Esc closes it, and the dashboard is still there.
    session.keys(&["Enter"]);
    session.wait_for("Enter or Esc closes", Duration::from_secs(5));
    session.keys(&["Escape"]);
    session.wait_until("the detail to close", Duration::from_secs(5), |s| {
        !s.contains("Enter or Esc closes") && s.contains("flagged rows (forest or autoencoder")
    });

    // q quits cleanly and gives the terminal back.
    session.keys(&["q"]);
    session.assert_terminal_restored();
}

fn assert_csv_is_complete(path: &Path, screen: &str) {
    let (header, rows) = common::read_csv(path);
    assert_eq!(&header[..3], ["row", "line", "duration"]);
    assert_eq!(&header[43..], common::SCORED_COLUMNS);
    let announced = format!(
        "exported {} rows",
        netanomaly::format::thousands(rows.len() as u64)
    );
    assert!(screen.contains(&announced), "{announced} in\n{screen}");
}

#[test]
fn a_panic_in_the_ui_loop_leaves_the_terminal_restored() {
    if !tmux_available() {
        return;
    }
    let session = Session::start("panic");
    session.run(&format!(
        "RUST_BACKTRACE=0 NETANOMALY_TEST_PANIC_AFTER_FRAMES=1 {} dashboard --demo-rows 2000 --epochs 3",
        env!("CARGO_BIN_EXE_netanomaly")
    ));
    session.assert_terminal_restored();
    let screen = session.screen();
    assert!(screen.contains("test panic in the UI loop"), "{screen}");
}

/// The number written just before `word` on the screen (`1,234 records` → 1234).
fn count_before(screen: &str, word: &str) -> Option<u64> {
    let at = screen.find(&format!(" {word}"))?;
    let digits: String = screen[..at]
        .chars()
        .rev()
        .take_while(|c| c.is_ascii_digit() || *c == ',')
        .filter(char::is_ascii_digit)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    digits.parse().ok()
}

#[test]
fn the_live_tab_follows_a_growing_file_and_q_stops_it() {
    if !tmux_available() {
        return;
    }
    let demo = common::DEMO;
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("model");
    common::train(demo, &model, &["--epochs", "3"]);
    // The first 300 records now, the rest once the dashboard shows them.
    let text = std::fs::read_to_string(demo).unwrap();
    let lines: Vec<&str> = text
        .lines()
        .filter(|l| !l.starts_with("duration"))
        .collect();
    let log = dir.path().join("traffic.kdd");
    std::fs::write(&log, lines[..300].join("\n") + "\n").unwrap();

    let session = Session::start("live");
    session.run(&format!(
        "{} dashboard --model {} --monitor {} --follow",
        env!("CARGO_BIN_EXE_netanomaly"),
        model.display(),
        log.display()
    ));
    // The Live tab comes first, and counts what is in the file.
    let screen = session.wait_until("300 records", Duration::from_secs(20), |s| {
        count_before(s, "records") == Some(300)
    });
    assert!(screen.contains("● running"), "{screen}");
    assert!(screen.contains("(followed)"), "{screen}");
    assert!(screen.contains("Latest alerts"), "{screen}");
    let flagged = |s: &str| count_before(s, "kept of").zip(count_before(s, "flagged)"));
    let before = flagged(&screen);

    // Appending grows the counters on screen.
    let mut file = std::fs::OpenOptions::new().append(true).open(&log).unwrap();
    std::io::Write::write_all(&mut file, (lines[300..].join("\n") + "\n").as_bytes()).unwrap();
    drop(file);
    let total = lines.len() as u64;
    let screen = session.wait_until(&format!("{total} records"), Duration::from_secs(20), |s| {
        count_before(s, "records") == Some(total)
    });
    let after = flagged(&screen);
    assert!(
        after.map(|a| a.1) >= before.map(|b| b.1),
        "{before:?} → {after:?}\n{screen}"
    );
    let shown_total = format!("total {}", netanomaly::format::thousands(total));
    assert!(screen.contains(&shown_total), "{shown_total} in\n{screen}");

    // Another tab says there is no data to evaluate; q quits from anywhere.
    session.keys(&["1"]);
    session.wait_for("No data to evaluate", Duration::from_secs(5));
    session.keys(&["q"]);
    session.assert_terminal_restored();
}

/// `kill -TERM` (a service manager, a closing session) ends the dashboard through its
/// normal quit path: the shell's prompt is back and the terminal in cooked mode.
#[test]
#[cfg(unix)]
fn sigterm_leaves_the_terminal_restored() {
    if !tmux_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let pid_file = dir.path().join("pid");
    let session = Session::start("sigterm");
    // `exec` keeps the pid the inner shell wrote: the dashboard's.
    session.run(&format!(
        "sh -c 'echo $$ > {}; exec {} dashboard --demo-rows 5000 --epochs 200 --patience 0'",
        pid_file.display(),
        env!("CARGO_BIN_EXE_netanomaly"),
    ));
    session.wait_for("1 Overview", Duration::from_secs(10));
    let pid = std::fs::read_to_string(&pid_file)
        .unwrap()
        .trim()
        .to_owned();
    let status = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    assert!(status.success());
    session.assert_terminal_restored();
    assert!(
        !Path::new(&format!("/proc/{pid}")).exists(),
        "the dashboard is still running"
    );
}
