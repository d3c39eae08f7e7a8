//! The dashboard's worker: runs engine jobs (load, train, save, export, monitor) off the
//! UI thread. Commands go in through [`Worker::send`]; progress and results come out as
//! [`Event`]s on a channel the UI `select!`s on. Sending never blocks either side.
//!
//! Jobs run on their own threads, so a `Cancel` (or a new `Train`) is acted on while a
//! training is in progress: the autoencoder checks the cancel flag between batches.
//! Live monitoring ([`monitor_job`]) is one more job, started by [`Command::Monitor`].

mod jobs;
mod messages;
pub mod monitor_job;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Instant;

use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};

pub use messages::{
    Command, Curves, DetectorResult, Event, ReferenceScores, Settings, Source, TestSet, Thresholds,
};

/// The stop flag of the job running now. A new job raises its predecessor's flag and
/// gets a fresh one, so a late stop never reaches a job started after it.
#[derive(Default)]
struct StopFlag(Mutex<Arc<AtomicBool>>);

impl StopFlag {
    /// Stops the current job.
    fn raise(&self) {
        self.current().store(true, Ordering::Relaxed);
    }

    /// Stops the current job and returns the flag of the next one.
    fn renew(&self) -> Arc<AtomicBool> {
        let fresh = Arc::new(AtomicBool::new(false));
        let mut current = self.0.lock().unwrap_or_else(|e| e.into_inner());
        current.store(true, Ordering::Relaxed);
        *current = Arc::clone(&fresh);
        fresh
    }

    fn current(&self) -> Arc<AtomicBool> {
        Arc::clone(&self.0.lock().unwrap_or_else(|e| e.into_inner()))
    }
}

/// Runs `job` on a thread of its own and sends the event it ends with.
fn spawn_job(
    events: &UnboundedSender<Event>,
    job: impl FnOnce() -> Event + Send + 'static,
) -> JoinHandle<()> {
    let events = events.clone();
    std::thread::spawn(move || {
        let _ = events.send(job());
    })
}

/// Handle on the worker thread.
pub struct Worker {
    commands: std::sync::mpsc::Sender<Command>,
    training: Arc<StopFlag>,
    monitor: Arc<StopFlag>,
}

impl Worker {
    /// Starts the worker for `source`; events arrive on the returned receiver.
    pub fn start(source: Source) -> (Worker, UnboundedReceiver<Event>) {
        let (events, receiver) = unbounded_channel();
        let (commands, inbox) = std::sync::mpsc::channel::<Command>();
        let training_stop = Arc::new(StopFlag::default());
        let monitor_stop = Arc::new(StopFlag::default());
        let (training_flag, monitor_flag) = (Arc::clone(&training_stop), Arc::clone(&monitor_stop));
        let shared = Arc::new(Mutex::new(jobs::LatestResults::default()));
        // If the thread cannot start, the event channel closes at once and the UI
        // reports the worker as stopped.
        let _ = std::thread::Builder::new()
            .name("worker".into())
            .spawn(move || {
                let mut training: Option<JoinHandle<()>> = None;
                for command in inbox {
                    match command {
                        Command::Train(settings) => {
                            let flag = training_flag.renew();
                            if let Some(job) = training.take() {
                                let _ = job.join();
                            }
                            let (source, job_events, shared) =
                                (source.clone(), events.clone(), Arc::clone(&shared));
                            training = Some(spawn_job(&events, move || {
                                let started = Instant::now();
                                match jobs::train(&source, &settings, &job_events, &shared, &flag) {
                                    Ok(()) if flag.load(Ordering::Relaxed) => Event::Cancelled,
                                    Ok(()) => Event::Done {
                                        seconds: started.elapsed().as_secs_f64(),
                                    },
                                    Err(message) => Event::Failed(message),
                                }
                            }));
                        }
                        Command::Cancel => training_flag.raise(),
                        Command::Monitor(config) => {
                            monitor_job::start(config, events.clone(), monitor_flag.renew());
                        }
                        Command::StopMonitor => monitor_flag.raise(),
                        Command::Save { path, thresholds } => {
                            let shared = Arc::clone(&shared);
                            spawn_job(&events, move || {
                                match jobs::save(&shared, &path, &thresholds) {
                                    Ok(()) => Event::Saved { path },
                                    Err(e) => Event::Failed(e),
                                }
                            });
                        }
                        Command::ExportAlerts { path, alerts } => {
                            spawn_job(&events, move || match jobs::export_alerts(&path, &alerts) {
                                Ok(()) => Event::Exported {
                                    path,
                                    rows: alerts.len(),
                                },
                                Err(e) => Event::Failed(e),
                            });
                        }
                        Command::Export {
                            path,
                            rows,
                            thresholds,
                        } => {
                            let shared = Arc::clone(&shared);
                            spawn_job(&events, move || {
                                match jobs::export(&shared, &path, &rows, &thresholds) {
                                    Ok(()) => Event::Exported {
                                        path,
                                        rows: rows.len(),
                                    },
                                    Err(e) => Event::Failed(e),
                                }
                            });
                        }
                    }
                }
                // The UI is gone: stop training and wait for it, so nothing is left
                // writing; stop monitoring (its reader may be blocked on a silent
                // pipe, so it is not waited for).
                monitor_flag.raise();
                training_flag.raise();
                if let Some(job) = training.take() {
                    let _ = job.join();
                }
            });
        (
            Worker {
                commands,
                training: training_stop,
                monitor: monitor_stop,
            },
            receiver,
        )
    }

    /// Queues a command (never blocks).
    pub fn send(&self, command: Command) {
        // Cancel acts at once, even if the worker is busy starting a job; so does a
        // stop, and the run ends within ~100 ms.
        match command {
            Command::Cancel => self.training.raise(),
            Command::StopMonitor => self.monitor.raise(),
            _ => {}
        }
        let _ = self.commands.send(command);
    }
}
