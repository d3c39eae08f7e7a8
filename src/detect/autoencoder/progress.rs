//! How training reports: its events, the observer they go to, and why a run ended.

use std::sync::mpsc::Sender;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use super::Backend;

/// Why training ended.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum StopReason {
    /// Ran every configured epoch.
    Completed,
    /// The monitored loss stopped improving for `patience` epochs.
    EarlyStopped,
    /// The cancellation flag was raised.
    Cancelled,
}

/// Progress of a training run. Epochs and batches count from 1.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum TrainEvent {
    /// Sent before the first batch, once the data is split and the network built.
    Started {
        /// Rows trained on (after holding out the validation rows).
        rows: usize,
        validation_rows: usize,
        /// Maximum epochs.
        epochs: usize,
        batches_per_epoch: usize,
        backend: Backend,
        parameters: usize,
    },
    /// Every `progress_every` batches, at most one per `TrainObserver` interval.
    Batch {
        epoch: usize,
        batch: usize,
        /// Mean training loss of this epoch's batches so far.
        running_loss: f64,
        /// Training rows per second so far in this epoch.
        rows_per_second: f64,
    },
    /// After each completed epoch (training pass and validation).
    Epoch {
        epoch: usize,
        /// Mean loss over the epoch's batches (weights change during the epoch).
        train_loss: f64,
        /// Mean reconstruction MSE of the validation rows after the epoch.
        validation_loss: Option<f64>,
        /// Wall time of this epoch.
        epoch_seconds: f64,
        /// Wall time since training started.
        elapsed_seconds: f64,
        rows_per_second: f64,
        /// Epoch with the lowest monitored loss so far.
        best_epoch: usize,
    },
    /// Last event of every run, including a cancelled one.
    Finished {
        epochs_run: usize,
        /// `None` when no epoch completed.
        best_epoch: Option<usize>,
        /// Losses of the epoch whose weights were kept.
        final_train_loss: Option<f64>,
        final_validation_loss: Option<f64>,
        stop: StopReason,
        seconds: f64,
    },
}

/// Where training reports progress. It never blocks: events go into an unbounded
/// channel, and batch events are throttled in time (at most one per
/// `min_batch_interval`, 100 ms by default), so a slow receiver lets at most ~10 small
/// events a second pile up. A dropped receiver just stops the reporting.
#[derive(Debug, Clone)]
pub struct TrainObserver {
    sender: Option<Sender<TrainEvent>>,
    min_batch_interval: Duration,
}

impl TrainObserver {
    /// Reports nothing.
    pub fn silent() -> Self {
        TrainObserver {
            sender: None,
            min_batch_interval: Duration::from_millis(100),
        }
    }

    /// Reports into `sender`.
    pub fn channel(sender: Sender<TrainEvent>) -> Self {
        TrainObserver {
            sender: Some(sender),
            min_batch_interval: Duration::from_millis(100),
        }
    }

    /// Changes the minimum time between two batch events.
    pub fn with_min_batch_interval(mut self, interval: Duration) -> Self {
        self.min_batch_interval = interval;
        self
    }
}

/// Sends events without ever blocking, and throttles batch events in time.
pub(super) struct Emitter<'a> {
    observer: &'a TrainObserver,
    connected: bool,
    last_batch: Option<Instant>,
}

impl<'a> Emitter<'a> {
    pub(super) fn new(observer: &'a TrainObserver) -> Self {
        Emitter {
            observer,
            connected: observer.sender.is_some(),
            last_batch: None,
        }
    }

    pub(super) fn send(&mut self, event: TrainEvent) {
        if !self.connected {
            return;
        }
        if let Some(sender) = &self.observer.sender {
            // An unbounded channel never blocks; a dropped receiver only ends reporting.
            self.connected = sender.send(event).is_ok();
        }
    }

    /// Sends a batch event unless one went out less than the minimum interval ago; the
    /// event is only built when it will be sent.
    pub(super) fn batch(&mut self, event: impl FnOnce() -> TrainEvent) {
        if !self.connected {
            return;
        }
        let interval: Duration = self.observer.min_batch_interval;
        if self.last_batch.is_some_and(|t| t.elapsed() < interval) {
            return;
        }
        self.last_batch = Some(Instant::now());
        self.send(event());
    }
}
