//! The dashboard drawn on ratatui's TestBackend, end to end: snapshots of every tab
//! after a real training on generated traffic, the worker's saves and exports, a saved
//! bundle, and the Live tab. `tui_tabs.rs` draws the tabs from hand-made results.

mod common;

use std::time::Duration;

use insta::assert_snapshot;
use netanomaly::detect::DetectorKind;
use netanomaly::detect::autoencoder::AutoencoderConfig;
use netanomaly::tui::app::{App, Msg};
use netanomaly::tui::tabs::Tab;
use netanomaly::worker::{Command, Event, Settings, Source, Worker};
use ratatui::crossterm::event::KeyCode;

use common::dashboard::{key, render};

const SOURCE: Source = Source::Demo {
    rows: 3000,
    seed: 7,
};

fn settings() -> Settings {
    Settings {
        autoencoder: AutoencoderConfig {
            epochs: 6,
            patience: None,
            ..AutoencoderConfig::default()
        },
        ..Settings::default()
    }
}

/// Runs the app against a real worker until the detectors are trained (or `stop`
/// says so), feeding every event through `update` as the dashboard does.
fn trained_app(stop: impl Fn(&Event) -> bool) -> App {
    let (worker, mut events) = Worker::start(SOURCE);
    let mut app = App::new(SOURCE.describe(), true, settings());
    app.size = (120, 36);
    for command in app.take_commands() {
        worker.send(command);
    }
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    loop {
        assert!(
            std::time::Instant::now() < deadline,
            "training did not finish"
        );
        let Some(event) = events.blocking_recv() else {
            panic!("the worker stopped");
        };
        let done = stop(&event) || matches!(event, Event::Done { .. } | Event::Failed(_));
        app.update(Msg::Worker(event));
        if done {
            break;
        }
    }
    assert!(app.error.is_none(), "{:?}", app.error);
    app
}

/// Zeroes the wall-clock figures (fit time, rows/s, training time, status).
fn pin_timings(app: &mut App) {
    for panel in [&mut app.iforest, &mut app.autoencoder, &mut app.fused] {
        if let Some(result) = &panel.result {
            let mut pinned = result.as_ref().clone();
            pinned.fit_seconds = 0.0;
            panel.result = Some(std::sync::Arc::new(pinned));
        }
    }
    app.progress.rows_per_second = 0.0;
    if let Some((stop, _)) = app.progress.finished {
        app.progress.finished = Some((stop, 0.0));
    }
    app.status = "the detectors trained".into();
}

#[test]
fn every_tab_renders_the_trained_state() {
    let mut app = trained_app(|_| false);
    // Timings and throughputs vary from run to run; pin them so nothing else may.
    pin_timings(&mut app);
    {
        for (i, tab) in Tab::ALL.iter().enumerate() {
            key(&mut app, KeyCode::Char(char::from(b'1' + i as u8)));
            assert_eq!(app.tab, *tab);
            let screen = render(&app, 120, 36);
            assert!(screen.contains("built-in demo traffic"), "{screen}");
            assert_snapshot!(format!("tab_{}", i + 1), screen);
            // The smallest supported terminal still shows every panel.
            let small = render(&app, 80, 24);
            assert!(!small.contains("too small"), "{small}");
            assert_snapshot!(format!("tab_{}_80x24", i + 1), small);
        }
        key(&mut app, KeyCode::Char('6'));
        // The real autoencoder's why-features are there for the rows on screen.
        let first = app.flagged.rows[0];
        assert!(
            !app.flagged
                .why
                .get(DetectorKind::Autoencoder, first)
                .unwrap()
                .is_empty()
        );
        key(&mut app, KeyCode::Enter);
        assert_snapshot!("flagged_detail", render(&app, 120, 36));
        key(&mut app, KeyCode::Enter);
        key(&mut app, KeyCode::Char('?'));
        assert_snapshot!("help", render(&app, 120, 36));
    }
}

/// `c` after the autoencoder's first epoch keeps its best weights so far, and the fused
/// detector is still built from both parts (it trains nothing), so all three tabs work.
#[test]
fn cancelling_after_an_epoch_keeps_the_autoencoder_and_builds_the_fused_detector() {
    use netanomaly::detect::autoencoder::TrainEvent;
    use netanomaly::tui::detector_panel::DetectorState;

    let (worker, mut events) = Worker::start(SOURCE);
    let mut settings = settings();
    settings.autoencoder.epochs = 500;
    let mut app = App::new(SOURCE.describe(), true, settings);
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    let mut cancelled = false;
    let mut fused_ready = false;
    loop {
        for command in app.take_commands() {
            worker.send(command);
        }
        assert!(std::time::Instant::now() < deadline, "no cancel");
        let event = events.blocking_recv().expect("the worker stopped");
        let epoch = matches!(event, Event::Autoencoder(TrainEvent::Epoch { .. }));
        fused_ready |= matches!(&event, Event::DetectorReady(r) if r.kind == DetectorKind::Fused);
        let end = matches!(
            event,
            Event::Cancelled | Event::Done { .. } | Event::Failed(_)
        );
        app.update(Msg::Worker(event));
        if end {
            break;
        }
        if epoch && !cancelled {
            key(&mut app, KeyCode::Char('c'));
            assert_eq!(app.status, "cancelling …");
            cancelled = true;
        }
    }
    assert!(app.error.is_none(), "{:?}", app.error);
    assert_eq!(app.status, "training cancelled");
    assert!(fused_ready, "the fused detector was built after the cancel");
    for kind in DetectorKind::ALL {
        let panel = app.panel(kind);
        assert_eq!(panel.state, DetectorState::Ready, "{kind:?}");
        assert!(panel.result.is_some(), "{kind:?}");
    }
    let epochs = app.autoencoder.result.as_ref().unwrap();
    assert!(
        epochs.fit_seconds > 0.0,
        "the autoencoder's result is a real (partial) training"
    );
    key(&mut app, KeyCode::Char('4'));
    let screen = render(&app, 120, 36);
    assert!(!screen.contains("cancelled before"), "{screen}");
}

#[test]
fn the_first_frame_shows_the_loading_state_and_small_terminals_say_so() {
    let (_worker, _events) = Worker::start(SOURCE);
    let app = App::new(SOURCE.describe(), true, settings());
    let screen = render(&app, 100, 30);
    assert!(screen.contains("starting"), "{screen}");
    assert!(screen.contains("1 Overview"), "{screen}");
    let screen = render(&app, 79, 24);
    assert!(screen.contains("terminal too small: 79×24"), "{screen}");
}

#[test]
fn the_worker_exports_and_saves_what_the_screen_shows() {
    let (worker, mut events) = Worker::start(SOURCE);
    let mut app = App::new(SOURCE.describe(), true, settings());
    let dir = tempfile::tempdir().unwrap();
    app.out_dir = dir.path().to_path_buf();
    let mut pending = app.take_commands();
    let mut exported = None;
    let mut saved = None;
    while exported.is_none() || saved.is_none() {
        for c in pending.drain(..) {
            worker.send(c);
        }
        let event = events.blocking_recv().expect("worker alive");
        match &event {
            Event::Done { .. } => {
                key(&mut app, KeyCode::Char('6'));
                key(&mut app, KeyCode::Char('e'));
                key(&mut app, KeyCode::Char('s'));
            }
            Event::Exported { path, rows } => exported = Some((path.clone(), *rows)),
            Event::Saved { path } => saved = Some(path.clone()),
            Event::Failed(e) => panic!("{e}"),
            _ => {}
        }
        app.update(Msg::Worker(event));
        pending = app.take_commands();
    }
    let (path, rows) = exported.unwrap();
    assert_eq!(rows, app.flagged.rows.len());
    let (header, records) = common::read_csv(&path);
    assert_eq!(header[0], "row");
    assert!(header.contains(&"autoencoder_why".to_owned()));
    // Generated rows carry the line they have in `demo-data`'s file: the row number.
    assert_eq!(header[1], "line");
    assert!(
        records.iter().all(|r| r[0] == r[1]),
        "{:?}",
        records.first()
    );
    assert_eq!(records.len(), rows);
    assert!(
        app.status.contains("exported") || app.status.contains("saved"),
        "{}",
        app.status
    );
    // The saved bundle loads and carries the thresholds that were on screen.
    let bundle = netanomaly::model::ModelBundle::load(&saved.unwrap()).unwrap();
    let entry = &bundle.manifest.detectors["autoencoder"];
    assert_eq!(entry.threshold, app.autoencoder.threshold.unwrap());
    assert!(bundle.detectors.forest().is_some() && bundle.detectors.autoencoder().is_some());
    // Its manifest records exactly the rows the detectors were fitted on: the seeded
    // half of the demo's normal rows, as the pipeline splits them.
    use netanomaly::data::demo::{SynthConfig, generate};
    use netanomaly::model::pipeline::{Protocol, Purpose, RowSplit};
    let Source::Demo { rows, seed } = SOURCE else {
        unreachable!()
    };
    let data = generate(&SynthConfig {
        rows,
        seed,
        attack_fraction: 0.2,
    });
    let split = RowSplit::new(&data, Protocol::Profile, Purpose::Evaluate, 0).unwrap();
    let mut expected = split.training_record(&data);
    expected["saved_from"] = "dashboard".into();
    assert_eq!(bundle.manifest.training, expected);
    assert_eq!(bundle.manifest.training["rows"], split.fit.len());
}

#[test]
fn a_worker_failure_is_an_error_panel_not_a_hang() {
    let source = Source::Files {
        train: vec!["/definitely/not/here.csv".into()],
        test: Vec::new(),
    };
    let (worker, mut events) = Worker::start(source.clone());
    let mut app = App::new(source.describe(), false, settings());
    for c in app.take_commands() {
        worker.send(c);
    }
    loop {
        let event = events.blocking_recv().expect("worker alive");
        let failed = matches!(event, Event::Failed(_));
        app.update(Msg::Worker(event));
        if failed {
            break;
        }
    }
    let screen = render(&app, 100, 30);
    assert!(screen.contains("Error"), "{screen}");
    assert!(screen.contains("/definitely/not/here.csv"), "{screen}");
    assert!(!app.training);
}

#[test]
fn a_saved_bundle_opens_without_training_and_keeps_its_thresholds() {
    use netanomaly::data::demo::{SynthConfig, generate};
    use netanomaly::eval::threshold::ThresholdRule;
    use netanomaly::model::train::{TrainConfig, train_bundle};

    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("model");
    let data = generate(&SynthConfig {
        rows: 3000,
        seed: 7,
        attack_fraction: 0.2,
    });
    let config = TrainConfig {
        fit: netanomaly::model::pipeline::FitConfig {
            autoencoder: settings().autoencoder,
            ..Default::default()
        },
        autoencoder_threshold: Some(ThresholdRule::MeanStd { k: 2.0 }),
        ..TrainConfig::default()
    };
    let bundle = train_bundle(&data, &config).unwrap();
    bundle.save(&model, false).unwrap();
    let expected = netanomaly::model::scorer::score(&bundle, &data).unwrap();

    let (worker, mut events) = Worker::start(SOURCE);
    let mut app = App::new(
        SOURCE.describe(),
        true,
        Settings {
            bundle: Some(model.clone()),
            ..settings()
        },
    );
    for c in app.take_commands() {
        worker.send(c);
    }
    loop {
        let event = events.blocking_recv().expect("worker alive");
        assert!(
            !matches!(event, Event::Autoencoder(_)),
            "nothing is trained"
        );
        let done = matches!(event, Event::Done { .. } | Event::Failed(_));
        app.update(Msg::Worker(event));
        if done {
            break;
        }
    }
    assert!(app.error.is_none(), "{:?}", app.error);
    // Every generated row is scored, exactly as `score` does, at the saved thresholds.
    assert_eq!(app.test.as_ref().unwrap().rows.len(), 3000);
    // The fused detector too: it is restored from fused.json onto the loaded parts.
    assert!(bundle.detectors.fused().is_some());
    for (panel, name) in [
        (&app.iforest, "iforest"),
        (&app.autoencoder, "autoencoder"),
        (&app.fused, "fused"),
    ] {
        let saved = bundle.manifest.detectors[name].threshold;
        assert_eq!(panel.threshold, Some(saved), "{name}");
        let scores = &panel.result.as_ref().unwrap().test_scores;
        assert_eq!(scores, &expected.detector(name).unwrap().scores, "{name}");
        assert_eq!(
            panel.flagged,
            expected.detector(name).unwrap().flagged_count(),
            "{name}"
        );
    }
    assert_eq!(app.autoencoder.mode.name(), "mean+kσ");
    let screen = render(&app, 120, 36);
    assert!(screen.contains("saved model"), "{screen}");
    // Moving the slider works from the saved position.
    key(&mut app, KeyCode::Char('3'));
    key(&mut app, KeyCode::Right);
    assert!(
        app.autoencoder.threshold.unwrap().value
            < bundle.manifest.detectors["autoencoder"].threshold.value
    );
}

#[test]
fn keys_switch_the_preset_and_the_protocol_and_retrain() {
    let mut app = App::new(SOURCE.describe(), true, settings());
    assert!(matches!(app.take_commands()[..], [Command::Train(_)]));
    key(&mut app, KeyCode::Char('a'));
    let commands = app.take_commands();
    let [Command::Train(s)] = &commands[..] else {
        panic!("{commands:?}");
    };
    assert_eq!(s.autoencoder.hidden, [14, 7, 7]);
    assert_eq!(s.autoencoder.batch_size, 32);
    assert!(render(&app, 140, 30).contains("autoencoder reference"));
    key(&mut app, KeyCode::Char('a'));
    let commands = app.take_commands();
    let [Command::Train(s)] = &commands[..] else {
        panic!("{commands:?}");
    };
    assert_eq!(s.autoencoder.hidden, [128, 32, 128]);
    key(&mut app, KeyCode::Char('t'));
    let commands = app.take_commands();
    let [Command::Train(s)] = &commands[..] else {
        panic!("{commands:?}");
    };
    assert_eq!(s.protocol.name(), "unsupervised");
}

mod live {
    //! The Live tab, from fixed live events with pinned times.

    use super::*;
    use netanomaly::capture::CaptureSummary;
    use netanomaly::detect::explain::Contribution;
    use netanomaly::monitor::Format;
    use netanomaly::tui::live_monitor::LiveStatus;
    use netanomaly::worker::monitor_job::{
        Alert, AlertVerdict, CategoryCount, LiveCounts, LiveDelta, LiveEnd, LiveEvent, Origin,
        SecondCounts,
    };

    /// 2025-11-24T16:00:00Z.
    const NOW: u64 = 1_764_000_000;

    fn why(list: &[(&str, f64)]) -> Vec<Contribution> {
        list.iter()
            .map(|&(feature, share)| Contribution {
                feature: feature.to_owned(),
                share,
                value: None,
                normal: None,
                unusual: false,
            })
            .collect()
    }

    fn alert(i: u64, format: Format) -> Alert {
        let attack = !i.is_multiple_of(3);
        let (service, flag) = match i % 4 {
            0 => ("http", "SF"),
            1 => ("private", "REJ"),
            2 => ("ecr_i", "SF"),
            _ => ("telnet", "S0"),
        };
        let forest = 0.48 + (i % 7) as f64 * 0.01;
        let autoencoder = 0.02 + (i % 5) as f64 * 0.031;
        Alert {
            time: (NOW - 30 + i) * 1_000_000_000 + 123_456_000,
            // Zeek uids: `C` and 17 base-62 characters.
            uid: (format == Format::Zeek).then(|| format!("CHhAvVGS1DHFjwGM{i:02}")),
            origin: match format {
                Format::Kdd => Origin::Line(1000 + i * 17),
                Format::Pcap if service == "ecr_i" => Origin::Icmp {
                    src: format!("10.0.1.{}", 1 + i % 3).parse().unwrap(),
                    dst: format!("10.0.0.{}", 10 + i % 20).parse().unwrap(),
                    icmp_type: 0,
                    code: 0,
                },
                Format::Pcap | Format::Zeek => Origin::Connection {
                    src: format!("10.0.0.{}:{}", 10 + i % 20, 40000 + i)
                        .parse()
                        .unwrap(),
                    dst: format!("10.0.1.{}:80", 1 + i % 3).parse().unwrap(),
                },
            },
            protocol: if service == "ecr_i" { "icmp" } else { "tcp" }.into(),
            service: service.into(),
            flag: flag.into(),
            label: (format == Format::Kdd)
                .then(|| if attack { "neptune" } else { "normal" }.to_owned()),
            verdicts: vec![
                AlertVerdict {
                    detector: "iforest",
                    score: forest,
                    threshold: 0.5,
                    flagged: forest >= 0.5,
                    why: if forest >= 0.5 {
                        why(&[
                            ("service=private", 0.31),
                            ("count", 0.22),
                            ("flag=REJ", 0.1),
                        ])
                    } else {
                        Vec::new()
                    },
                },
                AlertVerdict {
                    detector: "autoencoder",
                    score: autoencoder,
                    threshold: 0.05,
                    flagged: autoencoder >= 0.05,
                    why: if autoencoder >= 0.05 {
                        why(&[
                            ("serror_rate", 0.41),
                            ("dst_host_count", 0.2),
                            ("src_bytes", 0.08),
                        ])
                    } else {
                        Vec::new()
                    },
                },
            ],
        }
    }

    fn count(name: &str, records: u64, flagged: u64) -> CategoryCount {
        CategoryCount {
            name: name.into(),
            records,
            flagged,
        }
    }

    /// A minute of traffic with a burst of flags, as the live job would report it.
    fn delta(format: Format) -> LiveDelta {
        let seconds: Vec<SecondCounts> = (0..60)
            .map(|k| {
                let records = 40 + (k * 37 % 60);
                let burst = if (35..45).contains(&k) { 25 } else { k % 3 };
                SecondCounts {
                    second: NOW - 59 + k,
                    records,
                    flagged: vec![burst, burst / 2 + k % 2],
                    flagged_any: burst + k % 2,
                }
            })
            .collect();
        let sum = |f: &dyn Fn(&SecondCounts) -> u64| seconds.iter().map(f).sum::<u64>();
        LiveDelta {
            counts: LiveCounts {
                records: sum(&|s| s.records),
                flagged: vec![sum(&|s| s.flagged[0]), sum(&|s| s.flagged[1])],
                flagged_any: sum(&|s| s.flagged_any),
                unseen: 3,
                skipped: 2,
                last_skipped: Some(
                    "skipped a record: /var/log/kdd.log: line 812: expected 41 to 43 fields, found 12"
                        .into(),
                ),
                packets: if format == Format::Pcap { 21_480 } else { 0 },
                evicted: if format == Format::Pcap { 4 } else { 0 },
            },
            services: vec![
                count("http", 2210, 12),
                count("private", 310, 300),
                count("ecr_i", 260, 190),
                count("domain_u", 180, 0),
                count("smtp", 90, 3),
                count("telnet", 22, 20),
                count("ftp_data", 20, 1),
            ],
            flags: vec![
                count("SF", 2600, 210),
                count("REJ", 280, 280),
                count("S0", 150, 36),
                count("RSTO", 52, 0),
            ],
            alerts: (0..40).map(|i| alert(i, format)).collect(),
            seconds,
        }
    }

    fn live_app(format: Format) -> App {
        let mut app = App::live_only(
            Source::LiveOnly.describe(),
            Settings {
                bundle: Some("models/kdd".into()),
                ..settings()
            },
        );
        let (source, follow) = match format {
            Format::Kdd => ("/var/log/kdd.log", true),
            Format::Pcap => ("standard input", false),
            Format::Zeek => ("/opt/zeek/logs/current/conn.log", true),
        };
        app.update(Msg::Worker(Event::Live(LiveEvent::Started {
            source: source.into(),
            format,
            follow,
            detectors: vec!["iforest", "autoencoder"],
        })));
        app.update(Msg::Worker(Event::Live(LiveEvent::Update(Box::new(
            delta(format),
        )))));
        app.live.advance(NOW);
        app
    }

    #[test]
    fn the_live_tab_renders_a_running_kdd_monitor() {
        let mut app = live_app(Format::Kdd);
        assert_eq!(app.tab, Tab::Live);
        let screen = render(&app, 120, 36);
        assert!(screen.contains("7 Live"), "{screen}");
        assert!(
            screen.contains("● running · /var/log/kdd.log (followed)"),
            "{screen}"
        );
        assert_snapshot!("live_kdd", screen);
        assert_snapshot!("live_kdd_80x24", render(&app, 80, 24));
        // The selection moves down the alerts; Enter opens the selected one.
        key(&mut app, KeyCode::Down);
        key(&mut app, KeyCode::Down);
        assert_eq!(app.live.selected, 2);
        key(&mut app, KeyCode::Enter);
        let detail = render(&app, 120, 36);
        assert!(detail.contains("line 1,629 · tcp/private/REJ"), "{detail}");
        assert_snapshot!("live_detail", detail);
        key(&mut app, KeyCode::Enter);
        assert!(!app.live.detail);
        // q stops the monitor as well as any training.
        key(&mut app, KeyCode::Char('q'));
        assert!(matches!(
            app.take_commands()[..],
            [Command::Cancel, Command::StopMonitor]
        ));
    }

    /// A followed Zeek conn.log: every alert names its connection by Zeek's uid, in the
    /// table and in the detail, so an analyst can pivot to the other Zeek logs.
    #[test]
    fn the_live_tab_names_the_zeek_uid_of_each_alert() {
        let mut app = live_app(Format::Zeek);
        let screen = render(&app, 120, 36);
        assert!(
            screen.contains("/opt/zeek/logs/current/conn.log (followed) · zeek conn.log"),
            "{screen}"
        );
        assert!(screen.contains(" uid "), "{screen}");
        // Every alert row shows its own uid (the newest first).
        let uids: Vec<&str> = screen
            .lines()
            .filter_map(|l| {
                l.split_whitespace()
                    .find(|w| w.starts_with("CHhAvVGS1DHFjwGM"))
            })
            .collect();
        assert!(uids.len() >= 5, "{screen}");
        assert!(uids.windows(2).all(|w| w[0] != w[1]), "{uids:?}");
        assert_snapshot!("live_zeek", screen);
        key(&mut app, KeyCode::Enter);
        let detail = render(&app, 120, 36);
        assert!(detail.contains(&format!("uid    {}", uids[0])), "{detail}");
    }

    /// At 80×24 and 100×30 the Live tab and its alert detail cut no number, for KDD
    /// lines, packets and Zeek logs alike.
    #[test]
    fn small_terminals_cut_no_number_on_the_live_tab() {
        let mut cut = Vec::new();
        for format in [Format::Kdd, Format::Pcap, Format::Zeek] {
            let mut app = live_app(format);
            cut.extend(common::dashboard::cut_numbers(
                &mut app,
                &format!("{format:?}"),
            ));
            key(&mut app, KeyCode::Enter);
            cut.extend(common::dashboard::cut_numbers(
                &mut app,
                &format!("{format:?} detail"),
            ));
        }
        assert!(
            cut.is_empty(),
            "{} cut numbers:\n{}",
            cut.len(),
            cut.join("\n")
        );
    }

    #[test]
    fn the_live_tab_renders_an_ended_packet_monitor_with_its_capture_summary() {
        let mut app = live_app(Format::Pcap);
        app.update(Msg::Worker(Event::Live(LiveEvent::Ended(
            LiveEnd::Finished {
                reason: "end of input",
                seconds: 61.0,
                capture: Some(CaptureSummary {
                    format: "pcap".into(),
                    packets: 21_517,
                    connections: 3_100,
                    records: 3_094,
                    evicted_half_open: 4,
                    ..CaptureSummary::default()
                }),
            },
        ))));
        let screen = render(&app, 120, 36);
        assert!(screen.contains("■ ended (end of input)"), "{screen}");
        assert!(screen.contains("evicted 4 half-open"), "{screen}");
        assert!(
            screen.contains("10.0.0.29:40039 -> 10.0.1.1:80"),
            "{screen}"
        );
        assert_snapshot!("live_pcap_ended", screen);
        assert_snapshot!("live_pcap_ended_80x24", render(&app, 80, 24));
    }

    #[test]
    fn a_failed_monitor_says_why_and_other_tabs_say_there_is_no_data() {
        let mut app = live_app(Format::Kdd);
        app.update(Msg::Worker(Event::Live(LiveEvent::Ended(LiveEnd::Failed(
            "cannot open /var/log/kdd.log: permission denied".into(),
        )))));
        assert!(matches!(app.live.status, LiveStatus::Failed(_)));
        let screen = render(&app, 80, 24);
        assert!(
            screen.contains("✗ failed: cannot open /var/log/kdd.log"),
            "{screen}"
        );
        key(&mut app, KeyCode::Char('1'));
        let screen = render(&app, 80, 24);
        assert!(screen.contains("No data to evaluate"), "{screen}");
        // Nothing to retrain without data: a message, no job, and the header still
        // names the saved model (not a training's settings).
        let header = |app: &App| render(app, 80, 24).lines().next().unwrap().to_owned();
        let before = header(&app);
        for k in ['r', 't', 'a'] {
            key(&mut app, KeyCode::Char(k));
            assert!(app.take_commands().is_empty());
            assert!(app.status.contains("nothing to train on"), "{}", app.status);
            assert_eq!(header(&app), before);
        }
        assert!(before.contains("saved model"), "{before}");
    }

    #[test]
    fn without_monitor_the_live_tab_says_how_to_start_it() {
        let mut app = App::new(SOURCE.describe(), true, settings());
        key(&mut app, KeyCode::Char('7'));
        let screen = render(&app, 80, 24);
        assert!(screen.contains("Not monitoring."), "{screen}");
        assert_snapshot!("live_off_80x24", screen);
    }
    /// The live job through the real worker: what the Live tab counts is what
    /// `monitor::run` counts on the same file, and the tab's memory stays bounded.
    #[test]
    fn the_live_job_summarises_what_the_monitor_scores() {
        use netanomaly::data::ReadOptions;
        use netanomaly::monitor::{Input, MonitorConfig};
        use netanomaly::worker::monitor_job::{LiveConfig, MAX_ALERTS};

        let demo = common::DEMO;
        let dir = tempfile::tempdir().unwrap();
        let model = dir.path().join("model");
        common::train(
            demo,
            &model,
            &["--epochs", "3", "--iforest-threshold", "contamination:0.6"],
        );
        // Three copies and a bad line: more alerts than the tab keeps.
        let text = std::fs::read_to_string(demo).unwrap();
        let input = dir.path().join("traffic.kdd");
        std::fs::write(&input, format!("{text}{text}1,2,3\n{text}")).unwrap();
        let config = MonitorConfig {
            input: Input::File {
                path: input,
                follow: false,
            },
            format: Format::Kdd,
            tracker: Default::default(),
            allow_content_features_zero: false,
            read: ReadOptions {
                skip_bad_rows: true,
                ..ReadOptions::default()
            },
            why: 3,
        };
        let bundle = netanomaly::model::ModelBundle::load(&model).unwrap();
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let expected = netanomaly::monitor::run(&bundle, &config, &stop, &mut |_| Ok(())).unwrap();

        let (worker, mut events) = Worker::start(Source::LiveOnly);
        let mut app = App::live_only(Source::LiveOnly.describe(), settings());
        app.start_live(LiveConfig {
            bundle: model,
            monitor: config,
        });
        common::dashboard::run_live(&mut app, &worker, &mut events);
        assert!(
            matches!(
                app.live.status,
                LiveStatus::Ended {
                    reason: "end of input",
                    ..
                }
            ),
            "{:?}",
            app.live.status
        );
        let (t, c) = (&app.live.totals, &expected.counts);
        assert_eq!(t.records, c.records);
        assert_eq!(t.records, 3000);
        assert_eq!(t.skipped, 1);
        assert_eq!(t.flagged_any, c.flagged_any);
        let per_detector: Vec<u64> = c.flagged.iter().map(|(_, n)| *n).collect();
        assert_eq!(t.flagged, per_detector);
        assert!(c.flagged_any > MAX_ALERTS as u64, "{c:?}");
        assert_eq!(app.live.alerts.len(), MAX_ALERTS);
        assert!(app.live.seconds.len() as u64 <= netanomaly::tui::live_monitor::WINDOW);
        // The newest alert is the last flagged line of the file.
        assert!(matches!(app.live.alerts[0].origin, Origin::Line(n) if n > 2900));
        let services: u64 = app.live.top_services.iter().map(|s| s.records).sum();
        assert!(services <= 3000 && services > 0);
    }
}
