//! `netanomaly train`: fit the detectors and save a model bundle.

use std::time::Instant;

use color_eyre::eyre::Result;

use super::load;
use super::progress::TrainProgress;
use crate::cli::TrainArgs;
use crate::detect::DetectorKind;
use crate::format::thousands;
use crate::model::train::{TrainConfig, train_bundle};

pub fn run(args: &TrainArgs) -> Result<()> {
    // Fail before the work if the bundle could not be written anyway.
    if args.out.exists() && !args.force {
        return Err(crate::model::BundleError::Exists {
            path: args.out.display().to_string(),
        }
        .into());
    }
    crate::atomic::check_output(&args.out, args.force, true)?;
    let (data, _) = load(&args.data, &args.read.options())?;
    let (progress, observer) = TrainProgress::start();
    let config = TrainConfig {
        protocol: args.protocol,
        fit: args.fit.config(observer),
        iforest_threshold: args.iforest_threshold,
        autoencoder_threshold: args.ae_threshold,
        fused_threshold: args.fused_threshold,
    };
    let started = Instant::now();
    eprintln!(
        "training {} on the {} protocol …",
        names(&config.fit.detectors),
        args.protocol.name()
    );
    let bundle = train_bundle(&data, &config);
    // Dropping the config drops the last sender, which ends the progress display.
    drop(config);
    progress.finish();
    let bundle = bundle?;
    eprintln!(
        "  {} training rows, {} columns, {:.2} s",
        thousands(bundle.encoder.fitted_rows as u64),
        bundle.encoder.n_columns(),
        started.elapsed().as_secs_f64()
    );
    for (name, entry) in &bundle.manifest.detectors {
        let rows = if entry.calibration_scores.is_some() {
            "calibration rows"
        } else {
            "training rows"
        };
        let share = match entry.threshold.expected_false_alarm_rate {
            Some(rate) => format!("expected false alarms {:.2}%", rate * 100.0),
            None => format!(
                "flags {:.2}% of {rows}",
                entry.threshold.training_contamination * 100.0
            ),
        };
        eprintln!(
            "  {name}: threshold {:.6} ({}; {share})",
            entry.threshold.value,
            entry.threshold.rule.describe_of(rows),
        );
    }
    bundle.save(&args.out, args.force)?;
    eprintln!("saved model bundle {}", args.out.display());
    Ok(())
}

/// `iforest, autoencoder`.
pub(super) fn names(detectors: &[DetectorKind]) -> String {
    detectors
        .iter()
        .map(|d| d.name())
        .collect::<Vec<_>>()
        .join(", ")
}
