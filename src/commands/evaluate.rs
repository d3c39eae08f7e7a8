//! `netanomaly evaluate`: run a protocol and print the figures.

use std::io::Write;

use color_eyre::eyre::{Result, eyre};
use serde::Serialize;

use super::load;
use super::progress::TrainProgress;
use crate::atomic::write_atomically;
use crate::cli::EvaluateArgs;
use crate::data::LoadReport;
use crate::detect::DetectorKind;
use crate::eval::evaluate::{EvaluateConfig, EvaluationReport, ThresholdRule, evaluate};
use crate::format::{METRICS_HEADER, four_decimals, thousands};
use crate::model::pipeline::Protocol;

/// The JSON document: the evaluation plus what was read.
#[derive(Serialize)]
struct JsonReport<'a> {
    #[serde(flatten)]
    evaluation: &'a EvaluationReport,
    data: DataReports<'a>,
}

#[derive(Serialize)]
struct DataReports<'a> {
    train: &'a LoadReport,
    test: Option<&'a LoadReport>,
}

pub fn run(args: &EvaluateArgs) -> Result<()> {
    // Refuse before the work if an output could not be written anyway.
    if let Some(report) = &args.report {
        crate::atomic::check_output(report, args.force, true)?;
    }
    if let Some(json) = &args.json {
        crate::atomic::check_output(json, args.force, false)?;
    }
    let options = args.read.options();
    let (train, train_report) = load(&args.train, &options)?;
    let test = match args.test.as_slice() {
        [] => None,
        paths => Some(load(paths, &options)?),
    };
    let threshold = match (args.threshold_percentile, args.contamination) {
        (Some(p), _) => Some(ThresholdRule::Percentile { percentile: p }),
        (None, Some(c)) => Some(ThresholdRule::Contamination { contamination: c }),
        (None, None) => None,
    };
    if args.protocol == Protocol::Dagmm && threshold.is_some() {
        eprintln!(
            "note: the dagmm protocol always flags the top 20%; the threshold option is ignored"
        );
    }
    let (progress, observer) = TrainProgress::start();
    let config = EvaluateConfig {
        protocol: args.protocol,
        threshold,
        fit: args.fit.config(observer),
    };
    eprintln!(
        "evaluating {} on the {} protocol (seed {}) …",
        super::train::names(&DetectorKind::with_parts(&args.fit.detectors)),
        args.protocol.name(),
        args.fit.seed
    );
    let report = evaluate(&train, test.as_ref().map(|(d, _)| d), &config);
    drop(config);
    progress.finish();
    let report = report?;

    if let Some(dir) = &args.report {
        let files = crate::report::render(&report).map_err(|e| eyre!("drawing the report: {e}"))?;
        crate::atomic::write_directory(dir, args.force, &files)?;
        eprintln!(
            "wrote the report {} ({} files; open index.html)",
            dir.display(),
            files.len()
        );
    }
    let json = JsonReport {
        evaluation: &report,
        data: DataReports {
            train: &train_report,
            test: test.as_ref().map(|(_, r)| r),
        },
    };
    match &args.json {
        Some(path) if path.as_os_str() == "-" => {
            print_table(&report, &mut std::io::stderr())?;
            let mut stdout = std::io::stdout().lock();
            serde_json::to_writer_pretty(&mut stdout, &json)?;
            writeln!(stdout)?;
        }
        Some(path) => {
            write_atomically(path, args.force, |w| {
                serde_json::to_writer_pretty(&mut *w, &json)?;
                writeln!(w)
            })?;
            print_table(&report, &mut std::io::stdout())?;
            eprintln!("wrote {}", path.display());
        }
        None => print_table(&report, &mut std::io::stdout())?,
    }
    Ok(())
}

/// `false alarms: expected 1.00%, on test normals 1.12%`, or the share of reference
/// rows flagged when there is no expectation.
pub(crate) fn false_alarm_text(d: &crate::eval::evaluate::DetectorReport) -> String {
    let achieved = d
        .test_false_alarm_rate
        .map(|r| format!("on test normals {:.2}%", r * 100.0));
    match (d.expected_false_alarm_rate, achieved) {
        (Some(e), Some(a)) => format!("false alarms: expected {:.2}%, {a}", e * 100.0),
        (Some(e), None) => format!("false alarms: expected {:.2}%", e * 100.0),
        (None, a) => {
            let flags = format!(
                "threshold flags {:.2}% of the rows it was set on",
                d.achieved_contamination * 100.0
            );
            match a {
                Some(a) => format!("{flags}; false alarms {a}"),
                None => flags,
            }
        }
    }
}

fn print_table(report: &EvaluationReport, out: &mut dyn Write) -> std::io::Result<()> {
    let rule = match report.threshold_rule {
        ThresholdRule::Contamination { contamination } if report.protocol == "dagmm" => {
            format!("top {:.0}% of train+test scores", contamination * 100.0)
        }
        rule => rule.describe_of(report.thresholds_from),
    };
    writeln!(
        out,
        "protocol {} · seed {} · feature set {} ({} columns) · anomaly class: {}",
        report.protocol, report.seed, report.feature_set, report.columns, report.anomaly_class
    )?;
    writeln!(
        out,
        "train {} rows · calibration {} rows · test {} rows ({} anomalies) · threshold: {rule}",
        thousands(report.rows.train as u64),
        thousands(report.rows.calibration as u64),
        thousands(report.rows.test as u64),
        thousands(report.rows.test_anomalies as u64),
    )?;
    if report.unseen_in_test.rows > 0 {
        let values: Vec<String> = report
            .unseen_in_test
            .values
            .iter()
            .take(5)
            .map(|(v, n)| format!("{v} ({n})"))
            .collect();
        writeln!(
            out,
            "{} test rows carry values unseen in training: {}",
            thousands(report.unseen_in_test.rows as u64),
            values.join(", ")
        )?;
    }
    writeln!(out)?;
    let [detector, roc_auc, pr_auc, precision, recall, f1] = METRICS_HEADER;
    writeln!(
        out,
        "{detector:<12} {roc_auc:>8} {pr_auc:>8} {precision:>9} {recall:>8} {f1:>8} {:>10} {:>9} {:>8} {:>8}",
        "threshold", "flagged", "fit s", "score s"
    )?;
    let opt = |v: Option<f64>| four_decimals(v, "n/a");
    for (name, d) in report.ordered() {
        writeln!(
            out,
            "{:<12} {:>8} {:>8} {:>9.4} {:>8.4} {:>8.4} {:>10.4} {:>9} {:>8.3} {:>8.3}",
            name,
            opt(d.roc_auc),
            opt(d.pr_auc),
            d.precision,
            d.recall,
            d.f1,
            d.threshold,
            thousands(d.flagged),
            d.fit_seconds,
            d.score_seconds
        )?;
    }
    for (name, d) in report.ordered() {
        let c = &d.confusion;
        writeln!(
            out,
            "\n{name}: tp {} · fp {} · tn {} · fn {} · {}",
            thousands(c.tp),
            thousands(c.fp),
            thousands(c.tn),
            thousands(c.fn_),
            false_alarm_text(d)
        )?;
        let families: Vec<String> = d
            .per_family
            .iter()
            .map(|f| {
                format!(
                    "{} {:.1}% of {}{}",
                    f.family,
                    f.rate * 100.0,
                    thousands(f.rows as u64),
                    f.roc_auc
                        .map_or(String::new(), |auc| format!(" (AUC {auc:.4})"))
                )
            })
            .collect();
        writeln!(out, "  flagged by family: {}", families.join(" · "))?;
        if let (Some(epochs), Some(kept)) = (d.epochs_run, d.best_epoch) {
            let validation = d
                .final_val_loss
                .map_or(String::new(), |v| format!(", validation loss {v:.6}"));
            writeln!(
                out,
                "  trained {epochs} epochs, kept epoch {kept}{validation}"
            )?;
        }
    }
    Ok(())
}
