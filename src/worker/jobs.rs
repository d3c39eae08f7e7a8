//! The worker's jobs: load and train (through the engine's one pipeline), open a saved
//! bundle, save, export. Each runs on a thread of its own and reports through events.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use tokio::sync::mpsc::UnboundedSender;

use super::messages::{
    DetectorResult, Event, ReferenceScores, Settings, Source, TestSet, Thresholds,
};
use crate::data::demo::{SynthConfig, generate};
use crate::data::reader::describe_paths;
use crate::data::{Dataset, ReadOptions, read_paths};
use crate::detect::autoencoder::{AutoencoderError, TrainObserver};
use crate::detect::{DetectorKind, Detectors};
use crate::eval::threshold::ScoreDistribution;
use crate::export::{ScoreColumn, write_csv};
use crate::format::thousands;
use crate::model::pipeline::{self, FitConfig, FitError, Protocol, Purpose, RowSplit, SplitError};
use crate::model::scorer::Explainer;
use crate::model::store::{DetectorEntry, ModelBundle, ScoreSummary, new_manifest};
use crate::model::train::detector_details;

/// The latest results, shared by the jobs (save and export read them).
#[derive(Default)]
pub(super) struct LatestResults {
    source_data: Option<Arc<Dataset>>,
    test_data: Option<Arc<Dataset>>,
    test: Option<Arc<TestSet>>,
    settings: Option<Settings>,
    results: Vec<Arc<DetectorResult>>,
}

impl LatestResults {
    /// Keeps `result`, replacing an earlier one of its kind, in report order.
    fn keep(&mut self, result: Arc<DetectorResult>) {
        self.results.retain(|r| r.kind != result.kind);
        self.results.push(result);
        self.results
            .sort_by_key(|r| DetectorKind::ALL.iter().position(|&k| k == r.kind));
    }
}

fn lock(shared: &Mutex<LatestResults>) -> std::sync::MutexGuard<'_, LatestResults> {
    // A panicked job cannot leave the plain data inconsistent; keep going.
    shared.lock().unwrap_or_else(|e| e.into_inner())
}

fn load(
    source: &Source,
    events: &UnboundedSender<Event>,
) -> Result<(Dataset, Option<Dataset>), String> {
    match source {
        Source::Demo { rows, seed } => {
            let _ = events.send(Event::Status(format!(
                "generating {} rows of demo traffic …",
                thousands(*rows as u64)
            )));
            Ok((
                generate(&SynthConfig {
                    rows: *rows,
                    seed: *seed,
                    attack_fraction: 0.2,
                }),
                None,
            ))
        }
        Source::Files { train, test } => {
            let read = |paths: &[PathBuf]| {
                let _ = events.send(Event::Status(format!(
                    "reading {} …",
                    describe_paths(paths)
                )));
                read_paths(paths, &ReadOptions::default())
                    .map(|(d, _)| d)
                    .map_err(|e| e.to_string())
            };
            let train = read(train)?;
            let test = (!test.is_empty()).then(|| read(test)).transpose()?;
            Ok((train, test))
        }
        Source::LiveOnly => Err(
            "no --data given: nothing to train on or evaluate (the Live tab scores the --monitor input)"
                .into(),
        ),
    }
}

/// Makes `test` the current test set (forgetting earlier detectors) and announces it.
fn publish(
    shared: &Mutex<LatestResults>,
    test: &Arc<TestSet>,
    settings: &Settings,
    events: &UnboundedSender<Event>,
) {
    {
        let mut s = lock(shared);
        s.test = Some(Arc::clone(test));
        s.settings = Some(settings.clone());
        s.results.clear();
    }
    let _ = events.send(Event::DataReady(Arc::clone(test)));
}

/// Reads (once) and splits the data, then fits the forest, the autoencoder and the fused
/// detector through the pipeline, publishing each as it is ready.
pub(super) fn train(
    source: &Source,
    settings: &Settings,
    events: &UnboundedSender<Event>,
    shared: &Mutex<LatestResults>,
    cancel: &Arc<AtomicBool>,
) -> Result<(), String> {
    let cached = {
        let s = lock(shared);
        s.source_data.clone().map(|d| (d, s.test_data.clone()))
    };
    let (data, test_data) = match cached {
        Some(pair) => pair,
        None => {
            let (d, t) = load(source, events)?;
            let (d, t) = (Arc::new(d), t.map(Arc::new));
            let mut s = lock(shared);
            s.source_data = Some(Arc::clone(&d));
            s.test_data = t.clone();
            (d, t)
        }
    };
    if cancel.load(Ordering::Relaxed) {
        return Ok(());
    }
    if let Some(path) = &settings.bundle {
        return open_bundle(path, source, settings, &data, test_data, events, shared);
    }
    let _ = events.send(Event::Status("splitting and encoding …".into()));
    let protocol = if settings.protocol == Protocol::Profile && !data.has_labels() {
        let _ = events.send(Event::Status(
            "the data has no labels: training on every row (unsupervised)".into(),
        ));
        Protocol::Unsupervised
    } else {
        settings.protocol
    };
    let purpose = Purpose::evaluating(test_data.is_some());
    let split = RowSplit::new(&data, protocol, purpose, settings.seed).map_err(|e| match e {
        SplitError::NoRows { class } => {
            format!("{} has no {class} rows to profile", data.source)
        }
        SplitError::Unlabelled | SplitError::NotDeployable => {
            format!(
                "{} cannot be split by the {} protocol",
                data.source,
                protocol.name()
            )
        }
    })?;
    let (test_source, test_rows) = match &test_data {
        Some(t) => (Arc::clone(t), (0..t.len()).collect()),
        None => (Arc::clone(&data), split.held_out.clone()),
    };
    // The autoencoder's progress is forwarded as events as it arrives.
    let (progress, progress_rx) = std::sync::mpsc::channel();
    let fit = FitConfig {
        detectors: DetectorKind::ALL.to_vec(),
        feature_set: settings.feature_set,
        seed: settings.seed,
        drop_constant: false,
        iforest: settings.iforest.clone(),
        autoencoder: settings.autoencoder.clone(),
        observer: TrainObserver::channel(progress),
        cancel: Arc::clone(cancel),
    };
    let encoder = fit
        .fit_encoder(&data, &split.fit)
        .ok_or_else(|| format!("cannot encode {}: no usable rows", data.source))?;
    let (train_matrix, _) = encoder.transform(&data, &split.fit);
    let (calibration_matrix, _) = encoder.transform(&data, &split.calibration);
    let on_normals = split.calibrates_on_normals();
    let (test_matrix, _) = encoder.transform(&test_source, &test_rows);
    let truth = test_source.has_labels().then(|| {
        test_rows
            .iter()
            .map(|&r| test_source.is_attack(r) == Some(true))
            .collect()
    });
    let encoder = Arc::new(encoder);
    let test = Arc::new(TestSet {
        source: source.describe(),
        synthetic: matches!(source, Source::Demo { .. }),
        protocol,
        fitted_on: split.training_record(&data),
        source_rows: data.len(),
        families: data.family_counts(),
        train_rows: split.fit.len(),
        calibration_rows: split.calibration.len(),
        data: test_source,
        rows: test_rows,
        truth,
        encoder: Arc::clone(&encoder),
        matrix: test_matrix,
    });
    publish(shared, &test, settings, events);

    let forward = {
        let events = events.clone();
        std::thread::spawn(move || {
            for event in progress_rx {
                let _ = events.send(Event::Autoencoder(event));
            }
        })
    };
    // The forest first: it takes a second, so the screen fills while the autoencoder
    // trains. A cancelled training ends the loop without an error.
    let outcome = (|| {
        let mut fitted: Vec<pipeline::FittedDetector> = Vec::new();
        let mut results: Vec<Arc<DetectorResult>> = Vec::new();
        for &kind in &fit.detectors {
            // The fused detector trains nothing: once its parts are fitted (an
            // autoencoder cancelled after an epoch keeps its best weights) it is built.
            if cancel.load(Ordering::Relaxed) && kind != DetectorKind::Fused {
                break;
            }
            let _ = events.send(Event::Training(kind));
            let f = match pipeline::fit_detector(
                kind,
                &train_matrix,
                Some(&calibration_matrix),
                &encoder,
                &fit,
                &fitted,
            ) {
                Ok(f) => f,
                Err(FitError::Autoencoder(AutoencoderError::Cancelled)) => break,
                Err(e) => return Err(e.to_string()),
            };
            let reference = ReferenceScores {
                distribution: ScoreDistribution::new(f.reference_scores())
                    .map_err(|e| e.to_string())?,
                on_normals,
                training: ScoreSummary::of(&f.train_scores),
                calibration: f.calibration_scores.as_deref().map(ScoreSummary::of),
            };
            // The fused detector fuses the test scores its parts already have.
            let known: Vec<(DetectorKind, &[f64])> = results
                .iter()
                .map(|r| (r.kind, r.test_scores.as_slice()))
                .collect();
            let test_scores = f
                .detector
                .score_reusing(&test.matrix, &known)
                .map_err(|e| e.to_string())?;
            let result = Arc::new(DetectorResult::new(
                Arc::clone(&f.detector),
                reference,
                test_scores,
                test.truth.as_deref(),
                f.fit_seconds,
            ));
            fitted.push(f);
            results.push(Arc::clone(&result));
            lock(shared).keep(Arc::clone(&result));
            let _ = events.send(Event::DetectorReady(result));
        }
        Ok(())
    })();
    // Closing the progress channel ends the forwarder once it has sent everything.
    drop(fit);
    let _ = forward.join();
    outcome
}

/// Scores the data with a saved bundle: every row is a test row; thresholds and the
/// training-score summaries come from the bundle.
fn open_bundle(
    path: &Path,
    source: &Source,
    settings: &Settings,
    data: &Arc<Dataset>,
    test_data: Option<Arc<Dataset>>,
    events: &UnboundedSender<Event>,
    shared: &Mutex<LatestResults>,
) -> Result<(), String> {
    let _ = events.send(Event::Status(format!("opening {} …", path.display())));
    let bundle = ModelBundle::load(path).map_err(|e| e.to_string())?;
    let scored = test_data.unwrap_or_else(|| Arc::clone(data));
    let rows: Vec<usize> = (0..scored.len()).collect();
    let (matrix, unseen) = bundle.encoder.transform(&scored, &rows);
    if unseen.rows > 0 {
        let _ = events.send(Event::Status(format!(
            "{} rows carry values the model never saw",
            thousands(unseen.rows as u64)
        )));
    }
    let truth = scored.has_labels().then(|| {
        rows.iter()
            .map(|&r| scored.is_attack(r) == Some(true))
            .collect()
    });
    let test = Arc::new(TestSet {
        source: format!("{} · model {}", source.describe(), path.display()),
        synthetic: matches!(source, Source::Demo { .. }),
        protocol: settings.protocol,
        fitted_on: bundle.manifest.training.clone(),
        source_rows: data.len(),
        families: scored.family_counts(),
        train_rows: bundle.encoder.fitted_rows,
        calibration_rows: bundle.manifest.training["calibration_rows"]
            .as_u64()
            .unwrap_or(0) as usize,
        data: Arc::clone(&scored),
        rows,
        truth,
        encoder: Arc::new(bundle.encoder.clone()),
        matrix,
    });
    publish(shared, &test, settings, events);
    let all_scores = bundle
        .detectors
        .score_all(&test.matrix)
        .map_err(|e| e.to_string())?;
    for (detector, scores) in bundle.detectors.iter().zip(all_scores) {
        let Some(entry) = bundle.manifest.detectors.get(detector.kind().name()) else {
            continue;
        };
        let summary = entry.reference_scores();
        let reference = ReferenceScores {
            distribution: ScoreDistribution::from_summary(
                &summary.quantiles,
                summary.mean,
                summary.std,
            )
            .map_err(|e| format!("{}: {e}", path.display()))?,
            on_normals: entry.threshold.expected_false_alarm_rate.is_some(),
            training: entry.training_scores.clone(),
            calibration: entry.calibration_scores.clone(),
        };
        let result = Arc::new(DetectorResult::new(
            Arc::clone(detector),
            reference,
            scores.scores,
            test.truth.as_deref(),
            scores.seconds,
        ));
        lock(shared).keep(Arc::clone(&result));
        let _ = events.send(Event::DetectorLoaded(result, entry.threshold));
    }
    Ok(())
}

/// Saves the trained detectors with the thresholds on screen; the manifest records the
/// rows they were fitted on, as `train`'s does.
pub(super) fn save(
    shared: &Mutex<LatestResults>,
    path: &Path,
    thresholds: &Thresholds,
) -> Result<(), String> {
    let s = lock(shared);
    let (Some(test), Some(settings)) = (&s.test, &s.settings) else {
        return Err("nothing to save yet: no detector has finished training".into());
    };
    let mut entries = std::collections::BTreeMap::new();
    let mut detectors = Detectors::default();
    for result in &s.results {
        let Some(threshold) = thresholds.get(result.kind) else {
            continue;
        };
        let details = detector_details(
            &result.detector,
            &settings.iforest,
            settings.seed,
            result.fit_seconds,
        );
        entries.insert(
            result.kind.name().to_owned(),
            DetectorEntry {
                threshold,
                training_scores: result.reference.training.clone(),
                calibration_scores: result.reference.calibration.clone(),
                details,
            },
        );
        detectors.insert(Arc::clone(&result.detector));
    }
    if detectors.is_empty() {
        return Err("nothing to save yet: no detector has finished training".into());
    }
    let mut training = test.fitted_on.clone();
    training["saved_from"] = "dashboard".into();
    let bundle = ModelBundle {
        manifest: new_manifest(&test.encoder, training, entries),
        encoder: test.encoder.as_ref().clone(),
        detectors,
    };
    drop(s);
    bundle.save(path, false).map_err(|e| e.to_string())
}

/// Writes test rows (positions in `test.rows`) as CSV with the scores, the flags at the
/// thresholds on screen and the why-features, to a new file (never over an existing
/// one).
pub(super) fn export(
    shared: &Mutex<LatestResults>,
    path: &Path,
    rows: &[usize],
    thresholds: &Thresholds,
) -> Result<(), String> {
    let (test, results) = {
        let s = lock(shared);
        let Some(test) = s.test.clone() else {
            return Err("nothing to export yet".into());
        };
        (test, s.results.clone())
    };
    let exported: Vec<(&DetectorResult, f64)> = results
        .iter()
        .filter_map(|r| thresholds.get(r.kind).map(|t| (r.as_ref(), t.value)))
        .collect();
    let explainer = Explainer {
        encoder: &test.encoder,
        detectors: exported
            .iter()
            .map(|(r, _)| Arc::clone(&r.detector))
            .collect(),
        matrix: &test.matrix,
        data: &test.data,
    };
    let columns: Vec<ScoreColumn<'_>> = exported
        .iter()
        .map(|&(r, threshold)| ScoreColumn {
            name: r.kind.name(),
            scores: &r.test_scores,
            threshold,
        })
        .collect();
    let pairs: Vec<(usize, usize)> = rows.iter().map(|&i| (i, test.rows[i])).collect();
    crate::atomic::write_atomically(path, false, |out| {
        write_csv(out, &explainer, &columns, &pairs, 3)
    })
    .map_err(|e| e.to_string())
}

/// The Live tab's alerts as CSV, newest first: when, which connection (Zeek's uid), what
/// it was, and each detector's score, flag and why.
pub(super) fn export_alerts(
    path: &Path,
    alerts: &[super::monitor_job::Alert],
) -> Result<(), String> {
    let detectors: Vec<&'static str> = alerts
        .first()
        .map(|a| a.verdicts.iter().map(|v| v.detector).collect())
        .unwrap_or_default();
    crate::atomic::write_atomically(path, false, |out| {
        let mut csv = csv::Writer::from_writer(out);
        let mut header: Vec<String> = [
            "time",
            "uid",
            "connection",
            "protocol_type",
            "service",
            "flag",
            "label",
        ]
        .map(str::to_owned)
        .to_vec();
        for d in &detectors {
            header.extend([
                format!("{d}_score"),
                format!("{d}_flag"),
                format!("{d}_why"),
            ]);
        }
        csv.write_record(&header).map_err(std::io::Error::other)?;
        for a in alerts {
            let mut record = vec![
                crate::clock::rfc3339(a.time),
                a.uid.clone().unwrap_or_default(),
                a.origin.text(),
                a.protocol.clone(),
                a.service.clone(),
                a.flag.clone(),
                a.label.clone().unwrap_or_default(),
            ];
            for v in &a.verdicts {
                record.push(format!("{:.6}", v.score));
                record.push(u8::from(v.flagged).to_string());
                record.push(crate::detect::explain::summary(&v.why, v.why.len()));
            }
            csv.write_record(&record).map_err(std::io::Error::other)?;
        }
        csv.flush()
    })
    .map_err(|e| e.to_string())
}
