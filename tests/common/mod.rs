//! Shared helpers for the integration tests.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::{Command, Output};

pub const KDD10: &str = "kddcup.data_10_percent.gz";
pub const NSL20: &str = "KDDTrain+_20Percent.txt.gz";

/// The folder holding the real data files: `$NETANOMALY_DATA`, or `../shared/data`
/// beside the repository.
pub fn data_dir() -> PathBuf {
    match std::env::var_os("NETANOMALY_DATA") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/data"),
    }
}

/// Path of a real data file, or `None` (with a clear note) when it is absent. With
/// `NETANOMALY_REQUIRE_DATA=1` (as in CI) an absent file fails the test instead.
pub fn real_data(name: &str) -> Option<PathBuf> {
    let path = data_dir().join(name);
    if path.is_file() {
        return Some(path);
    }
    let message = format!(
        "real data file {} is absent: set NETANOMALY_DATA to the folder holding {name}",
        path.display()
    );
    if std::env::var("NETANOMALY_REQUIRE_DATA").is_ok_and(|v| v == "1") {
        panic!("{message} (required because NETANOMALY_REQUIRE_DATA=1)");
    }
    eprintln!("SKIPPED: {message}");
    None
}

/// Runs the real binary.
pub fn netanomaly(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_netanomaly"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("the netanomaly binary runs")
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// The columns of a scored CSV after `row`, `line` and the 41 features, for labelled
/// data scored by every detector (README: `train` and `score`).
pub const SCORED_COLUMNS: [&str; 11] = [
    "label",
    "family",
    "iforest_score",
    "iforest_flag",
    "iforest_why",
    "autoencoder_score",
    "autoencoder_flag",
    "autoencoder_why",
    "fused_score",
    "fused_flag",
    "fused_why",
];

/// A CSV file's header and records.
pub fn read_csv(path: &std::path::Path) -> (Vec<String>, Vec<csv::StringRecord>) {
    let mut reader = csv::Reader::from_path(path).unwrap();
    let header = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    let rows = reader.records().map(Result::unwrap).collect();
    (header, rows)
}

/// Lines of the child's stdout, as they come.
pub fn lines_of(child: &mut std::process::Child) -> std::sync::mpsc::Receiver<String> {
    use std::io::BufRead;
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

/// The small labelled demo file in the repository (1,000 records).
pub const DEMO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/assets/demo-1000.csv");

/// Trains a bundle at `out` from `data` with `train`'s options `extra`; fails the test
/// if training fails.
pub fn train(data: &str, out: &std::path::Path, extra: &[&str]) {
    let mut args = vec!["train", "--data", data, "--out", out.to_str().unwrap()];
    args.extend_from_slice(extra);
    let run = netanomaly(&args);
    assert!(run.status.success(), "{args:?}: {}", stderr(&run));
}

/// A bundle for packets: `capture` through `pcap2kdd` (records written beside `out`),
/// then `train --protocol unsupervised --feature-set header` with `extra`.
pub fn train_on_capture(capture: &std::path::Path, out: &std::path::Path, extra: &[&str]) {
    let records = out.with_extension("kdd");
    let run = netanomaly(&[
        "pcap2kdd",
        "--input",
        capture.to_str().unwrap(),
        "--out",
        records.to_str().unwrap(),
    ]);
    assert!(run.status.success(), "{}", stderr(&run));
    let mut args = vec!["--protocol", "unsupervised", "--feature-set", "header"];
    args.extend_from_slice(extra);
    train(records.to_str().unwrap(), out, &args);
}

/// The dashboard's test drivers: keys, the explanation thread, and the screen as text.
pub mod dashboard {
    use netanomaly::tui::app::{App, Msg};
    use netanomaly::tui::view;
    use netanomaly::tui::widgets::Theme;
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;
    use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    use ratatui::symbols::Marker;

    /// Answers the why-features asked for, as the explanation thread would before the
    /// next frame.
    pub fn explain_now(app: &mut App) {
        loop {
            let requests = app.take_explain_requests();
            if requests.is_empty() {
                return;
            }
            for request in requests {
                app.update(Msg::Explained(request.explain()));
            }
        }
    }

    /// Sends the app's commands to the worker and hands it the worker's events until
    /// the live monitor has ended.
    pub fn run_live(
        app: &mut App,
        worker: &netanomaly::worker::Worker,
        events: &mut tokio::sync::mpsc::UnboundedReceiver<netanomaly::worker::Event>,
    ) {
        use netanomaly::worker::Event;
        use netanomaly::worker::monitor_job::LiveEvent;
        for c in app.take_commands() {
            worker.send(c);
        }
        loop {
            let event = events.blocking_recv().expect("worker alive");
            let ended = matches!(event, Event::Live(LiveEvent::Ended(_)));
            app.update(Msg::Worker(event));
            if ended {
                return;
            }
        }
    }

    /// A key press, then the why-features it asked for.
    pub fn key(app: &mut App, code: KeyCode) {
        app.update(Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)));
        explain_now(app);
    }

    /// The numbers on a screen, each with the word before it (`("on", "445,382")`): a
    /// number cut at a panel's edge (`tested on 445`) shows as another number after the
    /// same word.
    pub fn numbers(screen: &str) -> std::collections::BTreeSet<(String, String)> {
        let mut found = std::collections::BTreeSet::new();
        for line in screen.lines() {
            // Panel borders and bars separate words.
            let line: String = line
                .chars()
                .map(|c| {
                    if "│┌┐└┘─█▁▂▃▄▅▆▇●├┤".contains(c) {
                        ' '
                    } else {
                        c
                    }
                })
                .collect();
            let words: Vec<&str> = line.split_whitespace().collect();
            for pair in words.windows(2) {
                let number = pair[1].trim_end_matches([',', '.', ')', ';', ':']);
                let is_number = !number.is_empty()
                    && number.starts_with(|c: char| c.is_ascii_digit())
                    && number
                        .chars()
                        .all(|c| c.is_ascii_digit() || ",.%".contains(c));
                if is_number && pair[0].chars().any(char::is_alphabetic) {
                    found.insert((pair[0].to_owned(), number.to_owned()));
                }
            }
        }
        found
    }

    /// Numbers `app` shows cut short at 80×24 and 100×30: after a word, one the roomy
    /// screen (220×60) never shows after that word. Each as `what at W×H: word n`.
    pub fn cut_numbers(app: &mut App, what: &str) -> Vec<String> {
        let mut cut = Vec::new();
        let size = app.size;
        app.size = (220, 60);
        let wide = numbers(&render(app, 220, 60));
        for (w, h) in [(80, 24), (100, 30)] {
            app.size = (w, h);
            let screen = render(app, w, h);
            for (word, n) in numbers(&screen) {
                // The Live tab's traffic chart shows as many seconds as columns fit.
                if word == "last" {
                    continue;
                }
                let known: Vec<&String> = wide
                    .iter()
                    .filter(|(w, _)| *w == word)
                    .map(|(_, n)| n)
                    .collect();
                if !known.is_empty() && !known.contains(&&n) {
                    cut.push(format!("{what} at {w}×{h}: {word} {n} (wide: {known:?})"));
                }
            }
        }
        app.size = size;
        cut
    }

    /// The screen as plain text (no colour, dot markers), one line per row.
    pub fn render(app: &App, width: u16, height: u16) -> String {
        let theme = Theme {
            color: false,
            marker: Marker::Dot,
        };
        let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
        terminal.draw(|f| view::draw(f, app, theme)).unwrap();
        let buffer = terminal.backend().buffer();
        let mut text = String::new();
        for y in 0..height {
            for x in 0..width {
                text.push_str(buffer[(x, y)].symbol());
            }
            text.push('\n');
        }
        text
    }
}
