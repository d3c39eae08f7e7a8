//! The autoencoder's training as the dashboard follows it: epochs, the running batch
//! loss, throughput and the time left, from the trainer's events.

use std::time::{Duration, Instant};

use crate::detect::autoencoder::{StopReason, TrainEvent};

/// Points kept of the running batch loss (halved in resolution when full).
const MAX_BATCH_POINTS: usize = 2000;

/// The autoencoder's live training picture.
#[derive(Debug, Clone, Default)]
pub struct TrainingProgress {
    pub epochs: usize,
    pub batches_per_epoch: usize,
    pub rows: usize,
    pub parameters: usize,
    pub backend: String,
    pub epoch: usize,
    pub batch: usize,
    pub rows_per_second: f64,
    pub best_epoch: usize,
    /// `(epoch, train loss, validation loss)`.
    pub epoch_losses: Vec<(usize, f64, Option<f64>)>,
    /// `(epochs as a fraction, running loss)`.
    pub batch_losses: Vec<(f64, f64)>,
    pub started: Option<Instant>,
    pub finished: Option<(StopReason, f64)>,
    pub epoch_seconds: Option<f64>,
}

impl TrainingProgress {
    /// Fraction of the maximum epochs done.
    pub fn fraction(&self) -> f64 {
        if self.epochs == 0 {
            return 0.0;
        }
        let done = self.epoch as f64
            + if self.batches_per_epoch > 0 {
                self.batch as f64 / self.batches_per_epoch as f64
            } else {
                0.0
            };
        (done / self.epochs as f64).clamp(0.0, 1.0)
    }

    /// Estimated time left for every epoch (early stopping usually ends sooner).
    pub fn time_left(&self) -> Option<Duration> {
        let per_epoch = self.epoch_seconds?;
        let left = (self.epochs as f64 * (1.0 - self.fraction())) * per_epoch;
        Some(Duration::from_secs_f64(left.max(0.0)))
    }

    /// Follows one of the trainer's events.
    pub fn apply(&mut self, event: TrainEvent) {
        match event {
            TrainEvent::Started {
                rows,
                epochs,
                batches_per_epoch,
                backend,
                parameters,
                ..
            } => {
                self.rows = rows;
                self.epochs = epochs;
                self.batches_per_epoch = batches_per_epoch;
                self.backend = backend.name().into();
                self.parameters = parameters;
            }
            TrainEvent::Batch {
                epoch,
                batch,
                running_loss,
                rows_per_second,
            } => {
                self.epoch = epoch - 1;
                self.batch = batch;
                self.rows_per_second = rows_per_second;
                let x = (epoch - 1) as f64 + batch as f64 / self.batches_per_epoch.max(1) as f64;
                self.push_batch(x, running_loss);
            }
            TrainEvent::Epoch {
                epoch,
                train_loss,
                validation_loss,
                elapsed_seconds,
                rows_per_second,
                best_epoch,
                ..
            } => {
                self.epoch = epoch;
                self.batch = 0;
                self.rows_per_second = rows_per_second;
                self.best_epoch = best_epoch;
                self.epoch_losses.push((epoch, train_loss, validation_loss));
                self.epoch_seconds = Some(elapsed_seconds / epoch.max(1) as f64);
            }
            TrainEvent::Finished { stop, seconds, .. } => {
                self.finished = Some((stop, seconds));
            }
        }
    }

    fn push_batch(&mut self, x: f64, loss: f64) {
        if self.batch_losses.len() >= MAX_BATCH_POINTS {
            // Halve the resolution of the history rather than drop its start.
            self.batch_losses = self.batch_losses.iter().step_by(2).copied().collect();
        }
        self.batch_losses.push((x, loss));
    }
}
