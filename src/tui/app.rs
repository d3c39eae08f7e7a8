//! The dashboard's state and its one `update`: keys, mouse, ticks, worker events and
//! explanations come in as [`Msg`]s; state changes here and nowhere else (drawing only
//! reads). The parts of the state live in their own files (tabs, detector panels,
//! slider, flagged table, training progress, the Live tab's monitor); this file holds
//! the fields and the reducer that drives them.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use ratatui::crossterm::event::{KeyEvent, MouseButton, MouseEvent, MouseEventKind};

use super::detector_panel::{DetectorPanel, DetectorState};
use super::explanations::{ExplainRequest, Explained};
use super::flag_counts::FlagCounts;
use super::flagged_table::FlaggedTable;
use super::keymap::{self, Action};
use super::live_monitor::{LiveMonitor, LiveStatus};
use super::output_paths::unique_path;
use super::progress::TrainingProgress;
use super::slider::{COARSE, ThresholdMode, contamination_step};
use super::tabs::{TAB_BAR_ROW, Tab, tab_at};
use crate::detect::DetectorKind;
use crate::detect::autoencoder::{AutoencoderConfig, Preset};
use crate::model::pipeline::Protocol;
use crate::worker::monitor_job::{LiveConfig, LiveEnd, LiveEvent};
use crate::worker::{Command, Event, Settings, TestSet, Thresholds};

/// Everything that can change the state.
#[derive(Debug)]
pub enum Msg {
    Key(KeyEvent),
    Mouse(MouseEvent),
    Resize,
    /// A frame tick: refreshes elapsed times while something runs.
    Tick,
    Worker(Event),
    /// The worker's channel closed.
    WorkerGone,
    /// Why-features from the explanation thread.
    Explained(Explained),
}

/// Smallest terminal the layout is drawn for.
pub const MIN_WIDTH: u16 = 80;
pub const MIN_HEIGHT: u16 = 24;

/// The whole dashboard state.
pub struct App {
    /// The autoencoder preset `a` switches between (other settings come from the CLI).
    pub preset: Preset,
    pub source: String,
    pub synthetic: bool,
    pub settings: Settings,
    pub tab: Tab,
    pub help: bool,
    /// Lines the help is scrolled down (a short terminal).
    pub help_scroll: u16,
    pub paused: bool,
    /// The loss picture as it was when paused.
    pub frozen: Option<TrainingProgress>,
    pub test: Option<Arc<TestSet>>,
    pub iforest: DetectorPanel,
    pub autoencoder: DetectorPanel,
    /// The fused detector: ready once both others are.
    pub fused: DetectorPanel,
    pub progress: TrainingProgress,
    pub log_errors: bool,
    pub flagged: FlaggedTable,
    /// Agreement and per-family flag counts over the test rows.
    pub counts: FlagCounts,
    /// The Live tab.
    pub live: LiveMonitor,
    /// False with `--monitor` and no `--data`: nothing to train on or evaluate.
    pub has_data: bool,
    /// Latest status line, and whether it reports a problem.
    pub status: String,
    /// The bundle being saved lacks a detector (said when it is saved).
    saving_only: Option<&'static str>,
    pub error: Option<String>,
    pub training: bool,
    pub quit: bool,
    pub size: (u16, u16),
    /// Output folder for saves and exports.
    pub out_dir: PathBuf,
    commands: Vec<Command>,
    pub dirty: bool,
}

impl App {
    pub fn new(source: String, synthetic: bool, settings: Settings) -> App {
        let mut app = App::blank(source, synthetic, settings);
        app.start_training();
        app
    }

    /// A dashboard with no data to train on or evaluate: only the Live tab has work
    /// (`--monitor` without `--data`).
    pub fn live_only(source: String, settings: Settings) -> App {
        let mut app = App::blank(source, false, settings);
        app.has_data = false;
        app.tab = Tab::Live;
        app.status = "no --data: the other tabs have nothing to evaluate; see the Live tab".into();
        app
    }

    /// Starts monitoring and shows the Live tab.
    pub fn start_live(&mut self, config: LiveConfig) {
        self.live.status = LiveStatus::Starting;
        self.live.source = config.monitor.input.name();
        self.live.format = config.monitor.format;
        self.tab = Tab::Live;
        self.commands.push(Command::Monitor(config));
        self.dirty = true;
    }

    fn blank(source: String, synthetic: bool, settings: Settings) -> App {
        App {
            preset: if settings.autoencoder.hidden
                == AutoencoderConfig::preset(Preset::Reference).hidden
            {
                Preset::Reference
            } else {
                Preset::Default
            },
            source,
            synthetic,
            settings,
            tab: Tab::Overview,
            help: false,
            help_scroll: 0,
            paused: false,
            frozen: None,
            test: None,
            iforest: DetectorPanel::new(DetectorKind::Iforest),
            // The 99th percentile of training errors, as `train` saves by default.
            autoencoder: DetectorPanel {
                mode: ThresholdMode::Percentile,
                ..DetectorPanel::new(DetectorKind::Autoencoder)
            },
            // Percentile 99 of its calibration scores, as `train` saves by default.
            fused: DetectorPanel {
                mode: ThresholdMode::Percentile,
                ..DetectorPanel::new(DetectorKind::Fused)
            },
            progress: TrainingProgress::default(),
            log_errors: true,
            flagged: FlaggedTable::default(),
            counts: FlagCounts::default(),
            live: LiveMonitor::default(),
            has_data: true,
            status: "starting …".into(),
            saving_only: None,
            error: None,
            training: false,
            quit: false,
            size: (0, 0),
            out_dir: PathBuf::from("."),
            commands: Vec::new(),
            dirty: true,
        }
    }

    /// Commands for the worker produced by the last updates.
    pub fn take_commands(&mut self) -> Vec<Command> {
        std::mem::take(&mut self.commands)
    }

    /// Why-features asked for by the last updates, for the explanation thread.
    pub fn take_explain_requests(&mut self) -> Vec<ExplainRequest> {
        self.flagged.why.take_requests()
    }

    fn start_training(&mut self) {
        if !self.has_data {
            self.status =
                "nothing to train on: start the dashboard with --data FILE (the Live tab scores --monitor)"
                    .into();
            return;
        }
        self.training = true;
        self.error = None;
        self.iforest = DetectorPanel {
            mode: self.iforest.mode,
            step: self.iforest.step,
            ..DetectorPanel::new(DetectorKind::Iforest)
        };
        self.autoencoder = DetectorPanel {
            mode: self.autoencoder.mode,
            step: self.autoencoder.step,
            ..DetectorPanel::new(DetectorKind::Autoencoder)
        };
        self.fused = DetectorPanel {
            mode: self.fused.mode,
            step: self.fused.step,
            ..DetectorPanel::new(DetectorKind::Fused)
        };
        self.progress = TrainingProgress::default();
        self.frozen = None;
        self.flagged.clear();
        self.counts = FlagCounts::default();
        self.commands.push(Command::Train(self.settings.clone()));
    }

    pub fn panel(&self, kind: DetectorKind) -> &DetectorPanel {
        match kind {
            DetectorKind::Iforest => &self.iforest,
            DetectorKind::Autoencoder => &self.autoencoder,
            DetectorKind::Fused => &self.fused,
        }
    }

    fn panel_mut(&mut self, kind: DetectorKind) -> &mut DetectorPanel {
        match kind {
            DetectorKind::Iforest => &mut self.iforest,
            DetectorKind::Autoencoder => &mut self.autoencoder,
            DetectorKind::Fused => &mut self.fused,
        }
    }

    /// Every panel, in report order.
    pub fn panels(&self) -> [&DetectorPanel; 3] {
        [&self.iforest, &self.autoencoder, &self.fused]
    }

    fn panels_mut(&mut self) -> [&mut DetectorPanel; 3] {
        [&mut self.iforest, &mut self.autoencoder, &mut self.fused]
    }

    /// The loss picture to draw: live, or frozen while paused.
    pub fn shown_progress(&self) -> &TrainingProgress {
        self.frozen.as_ref().unwrap_or(&self.progress)
    }

    pub fn too_small(&self) -> bool {
        self.size.0 < MIN_WIDTH || self.size.1 < MIN_HEIGHT
    }

    /// The one place state changes.
    pub fn update(&mut self, msg: Msg) {
        match msg {
            Msg::Key(key) => {
                if !self.popup_key(&key)
                    && let Some(action) = keymap::action_for(&key, self.tab)
                {
                    self.act(action);
                }
                self.dirty = true;
            }
            Msg::Mouse(mouse) => self.mouse(mouse),
            Msg::Resize => self.dirty = true,
            Msg::Tick => {
                // Only the elapsed-time figures move between events, and the live
                // window once a second.
                if self.training {
                    self.dirty = true;
                }
                if self.live.status == LiveStatus::Running {
                    let now = crate::clock::now_nanos() / 1_000_000_000;
                    if now > self.live.now {
                        self.live.advance(now);
                        self.dirty = true;
                    }
                }
            }
            Msg::Worker(event) => {
                self.worker_event(event);
                self.dirty = true;
            }
            Msg::WorkerGone => {
                if !self.quit {
                    self.error = Some("the background worker stopped unexpectedly".into());
                    self.training = false;
                    self.dirty = true;
                }
            }
            Msg::Explained(answer) => {
                if self.flagged.why.receive(answer) && self.tab == Tab::Flagged {
                    self.dirty = true;
                }
            }
        }
        if self.tab == Tab::Flagged {
            self.refresh_flagged();
        }
    }

    /// A key while a popup is open; true when the popup took it. Esc and q close a
    /// popup instead of quitting (Ctrl-C still quits). The help takes every key: the
    /// screen behind it does not act on keys it cannot be seen to act on.
    fn popup_key(&mut self, key: &ratatui::crossterm::event::KeyEvent) -> bool {
        use ratatui::crossterm::event::{KeyCode, KeyModifiers};
        if key.modifiers.contains(KeyModifiers::CONTROL) && key.code == KeyCode::Char('c') {
            return false;
        }
        let close = matches!(key.code, KeyCode::Esc | KeyCode::Char('q'));
        if self.help {
            match key.code {
                KeyCode::Up | KeyCode::Char('k') => {
                    self.help_scroll = self.help_scroll.saturating_sub(1)
                }
                KeyCode::Down | KeyCode::Char('j') => self.scroll_help(1),
                KeyCode::PageUp => self.help_scroll = self.help_scroll.saturating_sub(10),
                KeyCode::PageDown => self.scroll_help(10),
                _ if close || matches!(key.code, KeyCode::Char('?') | KeyCode::Enter) => {
                    self.help = false;
                    self.help_scroll = 0;
                }
                _ => {}
            }
            return true;
        }
        if close && self.tab == Tab::Flagged && self.flagged.detail {
            self.flagged.detail = false;
            return true;
        }
        if close && self.tab == Tab::Live && self.live.detail {
            self.live.detail = false;
            return true;
        }
        false
    }

    fn scroll_help(&mut self, lines: u16) {
        let max = keymap::help_scroll_max(self.size.1);
        self.help_scroll = (self.help_scroll + lines).min(max);
    }

    fn act(&mut self, action: Action) {
        match action {
            Action::Quit => {
                self.quit = true;
                self.commands.push(Command::Cancel);
                if self.live.is_on() {
                    self.commands.push(Command::StopMonitor);
                }
            }
            Action::Help => self.help = true,
            Action::NextTab => self.tab = self.tab.next(),
            Action::PrevTab => self.tab = self.tab.previous(),
            Action::GoTab(i) => {
                if let Some(&t) = Tab::ALL.get(i) {
                    self.tab = t;
                }
            }
            Action::Slide(n) | Action::SlideCoarse(n) => {
                let steps = if matches!(action, Action::SlideCoarse(_)) {
                    n * COARSE
                } else {
                    n
                };
                if let Some(kind) = self.tab.detector() {
                    self.panel_mut(kind).slide(steps);
                }
                self.thresholds_changed();
            }
            Action::ThresholdMode => {
                let next = self.autoencoder.mode.next();
                let note = self.autoencoder.set_mode(next);
                self.thresholds_changed();
                if let Some(note) = note {
                    self.status = note;
                }
            }
            Action::LogScale => self.log_errors = !self.log_errors,
            // Nothing to train on (live monitoring only): say so, and keep the saved
            // model and its settings as they are.
            Action::Retrain | Action::Preset | Action::Protocol if !self.has_data => {
                self.start_training()
            }
            Action::Retrain => {
                self.status = "retraining …".into();
                self.settings.bundle = None;
                self.start_training();
            }
            Action::Preset => {
                self.settings.bundle = None;
                self.preset = match self.preset {
                    Preset::Default => Preset::Reference,
                    Preset::Reference => Preset::Default,
                };
                self.settings.autoencoder = AutoencoderConfig::preset(self.preset);
                self.status = format!(
                    "autoencoder preset {}: retraining …",
                    match self.preset {
                        Preset::Default => "default",
                        Preset::Reference => "reference (the notebook's 14-7-7 network)",
                    }
                );
                self.start_training();
            }
            Action::Protocol => {
                self.settings.bundle = None;
                self.settings.protocol = match self.settings.protocol {
                    Protocol::Profile => Protocol::Unsupervised,
                    _ => Protocol::Profile,
                };
                // The usual default for each protocol (README: thresholds).
                let c = match self.settings.protocol {
                    Protocol::Unsupervised => 0.1,
                    _ => 0.01,
                };
                for panel in self.panels_mut() {
                    panel.step = contamination_step(c);
                }
                self.iforest.mode = ThresholdMode::Contamination;
                let mode = match self.settings.protocol {
                    Protocol::Unsupervised => ThresholdMode::Contamination,
                    _ => ThresholdMode::Percentile,
                };
                self.autoencoder.mode = mode;
                self.fused.mode = mode;
                self.status = format!("protocol {}: retraining …", self.settings.protocol.name());
                self.start_training();
            }
            Action::Cancel => {
                if self.training {
                    self.commands.push(Command::Cancel);
                    self.status = "cancelling …".into();
                } else {
                    self.status = "nothing is training: c cancels a training in progress".into();
                }
            }
            Action::Pause => {
                self.paused = !self.paused;
                self.frozen = self.paused.then(|| self.progress.clone());
            }
            Action::Save => self.save(),
            Action::Export => self.export(),
            Action::Up => self.move_selection(-1),
            Action::Down => self.move_selection(1),
            Action::PageUp => self.move_selection(-(self.flagged.page.max(1) as i64)),
            Action::PageDown => self.move_selection(self.flagged.page.max(1) as i64),
            Action::Top if self.tab == Tab::Live => self.live.selected = 0,
            Action::Top => self.flagged.selected = 0,
            Action::Bottom if self.tab == Tab::Live => {
                self.live.selected = self.live.alerts.len().saturating_sub(1)
            }
            Action::Bottom => self.flagged.select_last(),
            Action::Open if self.tab == Tab::Live => {
                self.live.detail = !self.live.detail && !self.live.alerts.is_empty()
            }
            Action::Open => self.flagged.toggle_detail(),
            Action::Filter => self.flagged.next_filter(),
            Action::Sort => self.flagged.toggle_sort(),
        }
    }

    fn mouse(&mut self, mouse: MouseEvent) {
        match mouse.kind {
            // Tabs are laid out on their bar by `tab_at`.
            MouseEventKind::Down(MouseButton::Left) if mouse.row == TAB_BAR_ROW => {
                if let Some(tab) = tab_at(mouse.column, self.size.0) {
                    self.tab = tab;
                    self.dirty = true;
                }
            }
            MouseEventKind::ScrollDown if self.tab.has_table() => {
                self.move_selection(3);
                self.dirty = true;
            }
            MouseEventKind::ScrollUp if self.tab.has_table() => {
                self.move_selection(-3);
                self.dirty = true;
            }
            _ => {}
        }
    }

    fn move_selection(&mut self, by: i64) {
        if self.tab == Tab::Live {
            self.live.move_selection(by);
            return;
        }
        self.flagged.move_selection(by);
    }

    fn worker_event(&mut self, event: Event) {
        match event {
            Event::Live(event) => {
                match &event {
                    LiveEvent::Started { source, .. } => {
                        self.status = format!("monitoring {source}");
                    }
                    LiveEvent::Ended(LiveEnd::Failed(message)) => {
                        self.status = format!("monitoring failed: {message}");
                    }
                    LiveEvent::Ended(LiveEnd::Finished { reason, .. }) => {
                        self.status = format!("monitoring ended: {reason}");
                    }
                    LiveEvent::Update(_) => {}
                }
                self.live.apply(event);
            }
            Event::Status(s) => self.status = s,
            Event::DataReady(test) if self.settings.bundle.is_some() => {
                self.status = format!(
                    "scoring {} rows with the saved model …",
                    crate::format::thousands(test.rows.len() as u64)
                );
                self.test = Some(test);
                self.thresholds_changed();
            }
            Event::DataReady(test) => {
                self.status = format!(
                    "training on {} rows ({} protocol), testing on {} …",
                    crate::format::thousands(test.train_rows as u64),
                    test.protocol.name(),
                    crate::format::thousands(test.rows.len() as u64)
                );
                self.test = Some(test);
                self.thresholds_changed();
            }
            Event::Training(kind) => {
                self.panel_mut(kind).state = DetectorState::Training;
                if kind == DetectorKind::Autoencoder {
                    self.progress.started = Some(Instant::now());
                }
            }
            Event::Autoencoder(e) => self.progress.apply(e),
            Event::DetectorReady(result) => {
                let truth = self.test.as_ref().and_then(|t| t.truth.clone());
                let kind = result.kind;
                self.panel_mut(kind).ready(result, truth.as_deref());
                self.thresholds_changed();
                self.status = format!("{} ready", kind.name());
            }
            Event::DetectorLoaded(result, saved) => {
                let truth = self.test.as_ref().and_then(|t| t.truth.clone());
                let panel = self.panel_mut(result.kind);
                panel.ready(result, truth.as_deref());
                panel.apply_saved(saved);
                self.thresholds_changed();
            }
            Event::Done { seconds } => {
                self.training = false;
                self.status = match &self.settings.bundle {
                    Some(path) => format!(
                        "scored with the saved model {} in {seconds:.1} s (r retrains from the data)",
                        path.display()
                    ),
                    None => format!("the detectors trained in {seconds:.1} s"),
                };
                // A bundle may lack a detector: it is not coming.
                let from_bundle = self.settings.bundle.is_some();
                for panel in self.panels_mut() {
                    if panel.state == DetectorState::Waiting && from_bundle {
                        panel.state = DetectorState::Failed("not in the saved model".into());
                    }
                }
            }
            Event::Cancelled => {
                self.training = false;
                // Whatever finished stays; the rest says where the cancel caught it (the
                // fused detector is built whenever both its parts are).
                for panel in self.panels_mut() {
                    let why = match (panel.kind, &panel.state) {
                        (DetectorKind::Fused, DetectorState::Waiting | DetectorState::Training) => {
                            "cancelled before the autoencoder was ready"
                        }
                        (_, DetectorState::Training) => "cancelled before its first epoch",
                        (_, DetectorState::Waiting) => "cancelled before it started",
                        _ => continue,
                    };
                    panel.state = DetectorState::Failed(why.into());
                }
                self.status = "training cancelled".into();
            }
            Event::Saved { path } => {
                self.status = match self.saving_only.take() {
                    Some(only) => format!("saved the model bundle {} with {only}", path.display()),
                    None => format!("saved the model bundle {}", path.display()),
                };
            }
            Event::Exported { path, rows } => {
                self.status = format!(
                    "exported {} rows to {}",
                    crate::format::thousands(rows as u64),
                    path.display()
                );
            }
            Event::Failed(message) => {
                self.training = false;
                for panel in self.panels_mut() {
                    if matches!(
                        panel.state,
                        DetectorState::Training | DetectorState::Waiting
                    ) {
                        panel.state = DetectorState::Failed(message.clone());
                    }
                }
                self.error = Some(message);
            }
        }
    }

    /// After a threshold or the test set changed: the table is rebuilt when next shown,
    /// the counts at once (one pass over the test rows, here rather than every frame).
    fn thresholds_changed(&mut self) {
        self.flagged.mark_stale();
        self.counts = FlagCounts::of(self.test.as_deref(), self.panels());
    }

    fn thresholds(&self) -> Thresholds {
        Thresholds {
            iforest: self.iforest.threshold,
            autoencoder: self.autoencoder.threshold,
            fused: self.fused.threshold,
        }
    }

    fn save(&mut self) {
        if self.iforest.threshold.is_none() && self.autoencoder.threshold.is_none() {
            self.status = "nothing to save yet: no detector has finished training".into();
            return;
        }
        let path = unique_path(&self.out_dir, "netanomaly-model", "");
        // A bundle holds the detectors trained so far: say when one is missing, and
        // whether it is still coming (a saved model or a cancel may lack it for good).
        let pending =
            |p: &DetectorPanel| matches!(p.state, DetectorState::Waiting | DetectorState::Training);
        self.saving_only = match (
            self.iforest.threshold,
            self.autoencoder.threshold,
            self.fused.threshold,
        ) {
            (Some(_), None, _) if pending(&self.autoencoder) => Some(
                "the Isolation Forest only: the autoencoder has not finished; press s again when it has",
            ),
            (Some(_), None, _) => Some("the Isolation Forest only (there is no autoencoder)"),
            (None, Some(_), _) if pending(&self.iforest) => {
                Some("the autoencoder only: the Isolation Forest has not finished")
            }
            (None, Some(_), _) => Some("the autoencoder only (there is no Isolation Forest)"),
            (Some(_), Some(_), None) if pending(&self.fused) => Some(
                "the Isolation Forest and the autoencoder: the fused detector has not finished",
            ),
            (Some(_), Some(_), None) => {
                Some("the Isolation Forest and the autoencoder (there is no fused detector)")
            }
            _ => None,
        };
        self.status = match self.saving_only {
            Some(only) => format!("saving {} with {only} …", path.display()),
            None => format!("saving {} …", path.display()),
        };
        self.commands.push(Command::Save {
            path,
            thresholds: self.thresholds(),
        });
    }

    fn export(&mut self) {
        // On the Live tab (or with nothing else to export), the alerts on screen.
        if !self.live.alerts.is_empty() && (self.tab == Tab::Live || self.test.is_none()) {
            let path = unique_path(&self.out_dir, "netanomaly-alerts", ".csv");
            self.status = format!(
                "exporting the {} alerts kept to {} …",
                crate::format::thousands(self.live.alerts.len() as u64),
                path.display()
            );
            self.commands.push(Command::ExportAlerts {
                path,
                alerts: self.live.alerts.iter().cloned().collect(),
            });
            return;
        }
        self.refresh_flagged();
        if self.flagged.rows.is_empty() {
            self.status = "nothing to export: no row is flagged under the current filter".into();
            return;
        }
        let path = unique_path(&self.out_dir, "netanomaly-flagged", ".csv");
        self.status = format!(
            "exporting {} rows to {} …",
            crate::format::thousands(self.flagged.rows.len() as u64),
            path.display()
        );
        let mut rows = self.flagged.rows.clone();
        rows.sort_unstable();
        self.commands.push(Command::Export {
            path,
            rows,
            thresholds: self.thresholds(),
        });
    }

    /// Rebuilds the table's row list after a threshold, filter or sort change, and
    /// asks for the why-features of the rows around the selection.
    fn refresh_flagged(&mut self) {
        self.flagged.refresh(
            self.test.as_ref(),
            [&self.iforest, &self.autoencoder, &self.fused],
        );
    }
}
