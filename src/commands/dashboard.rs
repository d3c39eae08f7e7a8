//! `netanomaly` / `netanomaly dashboard`: the terminal dashboard.

use std::io::IsTerminal;

use color_eyre::eyre::{Result, bail};

use crate::cli::DashboardArgs;
use crate::data::reader::Content;
use crate::data::{FeatureSet, ReadOptions};
use crate::detect::iforest::IsolationForestConfig;
use crate::monitor::{Input, MonitorConfig, MonitorError};
use crate::tui::{self, Options};
use crate::worker::monitor_job::LiveConfig;
use crate::worker::{Settings, Source};

/// "Why" features named per alert and detector.
const WHY: usize = 3;

pub fn run(args: &DashboardArgs) -> Result<()> {
    // Keys come from the terminal (crossterm opens /dev/tty when standard input is a
    // pipe), so only the screen has to be a terminal.
    if !std::io::stdout().is_terminal() {
        bail!(
            "the dashboard needs a terminal; for scripts use the headless commands \
             (evaluate, train, score, monitor; see `netanomaly --help`)"
        );
    }
    let stdin_monitored = args.monitor.as_ref().is_some_and(|p| p.as_os_str() == "-");
    if stdin_monitored && std::io::stdin().is_terminal() {
        bail!(
            "--monitor - reads standard input, which is this terminal: pipe records in \
             (e.g. `tcpdump -i eth0 -U -w - | netanomaly dashboard --model m --monitor - \
             --format pcap`) or give a file"
        );
    }
    let source = match (args.data.is_empty(), &args.monitor) {
        (false, _) => Source::Files {
            train: args.data.clone(),
            test: args.test.clone(),
        },
        (true, Some(_)) => Source::LiveOnly,
        (true, None) => Source::Demo {
            rows: args.demo_rows as usize,
            seed: args.demo_seed,
        },
    };
    // Check the files now, so a typo is one sentence on the shell, not a screen.
    let bundle = match &args.model {
        Some(model) => Some(crate::model::ModelBundle::load(model)?),
        None => None,
    };
    if let Source::Files { train, test } = &source {
        for path in train.iter().chain(test) {
            // A directory is a folder of rotated Zeek logs.
            if !path.exists() {
                bail!("{} does not exist", path.display());
            }
            // Said on the shell, not in a panel: a capture is not records.
            if path.is_file()
                && let Ok(Some(Content::Capture)) = Content::of_file(path)
            {
                bail!(crate::data::DataError::IsCapture {
                    path: path.display().to_string()
                });
            }
        }
    }
    let live = match (&args.monitor, &args.model, &bundle) {
        (Some(path), Some(model), Some(bundle)) => {
            let input = if stdin_monitored {
                Input::Stdin
            } else {
                // A followed file may not exist yet; otherwise it must.
                if !args.follow && !path.is_file() {
                    bail!("{} does not exist or is not a file", path.display());
                }
                Input::File {
                    path: path.clone(),
                    follow: args.follow,
                }
            };
            let (format, _) = super::monitor_format(args.format.format(), &input)?;
            if !format.has_content_features()
                && bundle.manifest.schema.feature_set == FeatureSet::All
                && !args.allow_content_features_zero
            {
                bail!(MonitorError::NeedsContentFeatures);
            }
            Some(LiveConfig {
                bundle: model.clone(),
                monitor: MonitorConfig {
                    input,
                    format,
                    tracker: args.tracker.config(),
                    allow_content_features_zero: args.allow_content_features_zero,
                    read: ReadOptions {
                        skip_bad_rows: true,
                        ..ReadOptions::default()
                    },
                    why: WHY,
                },
            })
        }
        _ => None,
    };
    tui::run(Options {
        source,
        settings: Settings {
            bundle: args.model.clone(),
            protocol: args.protocol,
            seed: args.seed,
            iforest: IsolationForestConfig::recommended(),
            autoencoder: args.autoencoder.config(),
            ..Settings::default()
        },
        ascii: args.ascii,
        out_dir: args.out_dir.clone(),
        live,
    })
}
