//! Training progress on standard error: a live bar when stderr is a terminal, one plain
//! line per epoch otherwise (logs and CI stay readable).

use std::io::IsTerminal;
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::detect::autoencoder::{StopReason, TrainEvent, TrainObserver};

const PLAIN_EVERY: Duration = Duration::from_secs(2);

/// Renders the autoencoder's training events until the observer's sender is dropped.
pub struct TrainProgress {
    thread: Option<JoinHandle<()>>,
}

impl TrainProgress {
    /// Starts the renderer; give the returned observer to the training.
    pub fn start() -> (TrainProgress, TrainObserver) {
        let (tx, rx) = mpsc::channel();
        let live = std::io::stderr().is_terminal();
        let thread = std::thread::Builder::new()
            .name("progress".into())
            .spawn(move || render(&rx, live))
            .ok();
        (TrainProgress { thread }, TrainObserver::channel(tx))
    }

    /// Waits for the last event to be drawn. Drop every clone of the observer first.
    pub fn finish(mut self) {
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn render(rx: &mpsc::Receiver<TrainEvent>, live: bool) {
    let bar = if live {
        ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr())
    } else {
        ProgressBar::hidden()
    };
    bar.set_style(
        ProgressStyle::with_template(
            "  autoencoder {prefix} [{bar:30}] {pos}/{len} batches · {msg}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    bar.enable_steady_tick(Duration::from_millis(200));
    let mut epochs = 0;
    let mut batches_per_epoch = 1;
    // Mean wall time of the finished epochs, for the time left.
    let mut epoch_seconds_mean: Option<f64> = None;
    let started = Instant::now();
    let mut last_epoch_line = String::new();
    // Plain output: at most one epoch line per PLAIN_EVERY (small data runs hundreds
    // of epochs a second); the last epoch is always shown.
    let mut last_printed: Option<Instant> = None;
    let mut pending = false;
    for event in rx {
        match event {
            TrainEvent::Started {
                rows,
                validation_rows,
                epochs: max_epochs,
                batches_per_epoch: per_epoch,
                backend,
                parameters,
            } => {
                epochs = max_epochs;
                batches_per_epoch = per_epoch.max(1);
                let line = format!(
                    "  autoencoder: {} training rows, {} validation rows, {} parameters, \
                     up to {max_epochs} epochs of {per_epoch} batches ({backend} backend)",
                    crate::format::thousands(rows as u64),
                    crate::format::thousands(validation_rows as u64),
                    crate::format::thousands(parameters as u64),
                );
                bar.suspend(|| eprintln!("{line}"));
                bar.set_length(per_epoch as u64);
                bar.set_prefix(format!("epoch 1/{epochs}"));
            }
            TrainEvent::Batch {
                epoch,
                batch,
                running_loss,
                rows_per_second,
            } => {
                bar.set_prefix(format!("epoch {epoch}/{epochs}"));
                bar.set_position(batch as u64);
                // Until an epoch has finished, extrapolate from this epoch's batches.
                let per_epoch = epoch_seconds_mean.unwrap_or_else(|| {
                    started.elapsed().as_secs_f64() * batches_per_epoch as f64 / batch.max(1) as f64
                });
                let done = (epoch - 1) as f64 + batch as f64 / batches_per_epoch as f64;
                let left = (epochs as f64 - done).max(0.0) * per_epoch;
                // An estimate for every epoch: early stopping usually ends sooner.
                bar.set_message(format!(
                    "loss {running_loss:.5} · {} rows/s · {}",
                    crate::format::thousands(rows_per_second as u64),
                    crate::format::time_left(left)
                ));
            }
            TrainEvent::Epoch {
                epoch,
                train_loss,
                validation_loss,
                epoch_seconds,
                elapsed_seconds,
                rows_per_second,
                best_epoch,
            } => {
                epoch_seconds_mean = Some(elapsed_seconds / epoch.max(1) as f64);
                let validation =
                    validation_loss.map_or(String::new(), |v| format!(", validation {v:.5}"));
                last_epoch_line = format!(
                    "  autoencoder: epoch {epoch}/{epochs}: loss {train_loss:.5}{validation} \
                     ({epoch_seconds:.1} s, {} rows/s, best epoch {best_epoch})",
                    crate::format::thousands(rows_per_second as u64)
                );
                if live {
                    bar.set_position(0);
                } else if last_printed.is_none_or(|t| t.elapsed() >= PLAIN_EVERY) {
                    eprintln!("{last_epoch_line}");
                    last_printed = Some(Instant::now());
                    pending = false;
                } else {
                    pending = true;
                }
            }
            TrainEvent::Finished {
                epochs_run,
                best_epoch,
                stop,
                seconds,
                ..
            } => {
                bar.finish_and_clear();
                if (live || pending) && !last_epoch_line.is_empty() {
                    eprintln!("{last_epoch_line}");
                }
                let why = match stop {
                    StopReason::Completed => "ran every epoch".to_owned(),
                    StopReason::EarlyStopped => format!(
                        "stopped early; kept epoch {}",
                        best_epoch.map_or("-".into(), |e| e.to_string())
                    ),
                    StopReason::Cancelled => "cancelled".to_owned(),
                };
                eprintln!("  autoencoder: {epochs_run} epochs in {seconds:.1} s ({why})");
            }
        }
    }
    bar.finish_and_clear();
}
