//! `netanomaly` / `netanomaly dashboard`: the terminal dashboard.

use std::io::IsTerminal;

use color_eyre::eyre::{Result, bail};

use crate::cli::DashboardArgs;
use crate::detect::iforest::IsolationForestConfig;
use crate::tui::{self, Options};
use crate::worker::{Settings, Source};

pub fn run(args: &DashboardArgs) -> Result<()> {
    if !std::io::stdout().is_terminal() {
        bail!(
            "the dashboard needs a terminal; for scripts use the headless commands \
             (evaluate, train, score; see `netanomaly --help`)"
        );
    }
    let source = match &args.data {
        Some(train) => Source::Files {
            train: train.clone(),
            test: args.test.clone(),
        },
        None => Source::Demo {
            rows: args.demo_rows as usize,
            seed: args.demo_seed,
        },
    };
    // Check the files now, so a typo is one sentence on the shell, not a screen.
    if let Some(model) = &args.model {
        crate::model::ModelBundle::load(model)?;
    }
    if let Source::Files { train, test } = &source {
        for path in std::iter::once(train).chain(test) {
            if !path.is_file() {
                bail!("{} does not exist or is not a file", path.display());
            }
        }
    }
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
    })
}
