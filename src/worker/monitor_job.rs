//! The dashboard's live job: [`monitor::run`] on its own thread, its scored batches
//! summarised there into small [`LiveDelta`]s (counts, per-second buckets, the latest
//! alerts) that a flusher sends to the UI at most every 100 ms. The UI never sees a
//! batch, so what it holds stays small however fast the records come, and a batch of
//! 25,000 records costs it one small merge.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::mpsc::UnboundedSender;

use super::Event;
use crate::capture::CaptureSummary;
use crate::capture::record::EndReason;
use crate::detect::explain::Contribution;
use crate::kdd::ProtocolType;
use crate::model::ModelBundle;
use crate::monitor::{self, Format, Input, MonitorConfig, MonitorEvent, ScoredBatch};

/// Alerts kept (in a delta, and on screen): the newest.
pub const MAX_ALERTS: usize = 500;
/// Distinct services (or flags) counted; the rest are counted as [`OTHER`]. KDD lines
/// may carry any text there, and memory must not grow with it.
pub const MAX_CATEGORIES: usize = 256;
pub const OTHER: &str = "<other>";
/// How often the flusher hands the UI what has been summarised.
const FLUSH: Duration = Duration::from_millis(100);

/// What to monitor, with which bundle.
#[derive(Debug, Clone)]
pub struct LiveConfig {
    pub bundle: PathBuf,
    pub monitor: MonitorConfig,
}

/// What the live job reports.
#[derive(Debug, Clone)]
pub enum LiveEvent {
    /// The bundle is loaded and reading has started.
    Started {
        source: String,
        format: Format,
        follow: bool,
        /// The bundle's detectors, in the order of every per-detector list below.
        detectors: Vec<&'static str>,
    },
    /// What arrived since the last update.
    Update(Box<LiveDelta>),
    /// The run is over.
    Ended(LiveEnd),
}

#[derive(Debug, Clone)]
pub enum LiveEnd {
    Finished {
        /// `end of input` or `stopped`.
        reason: &'static str,
        seconds: f64,
        /// For packets: the capture's exact summary.
        capture: Option<CaptureSummary>,
    },
    /// One sentence for the user.
    Failed(String),
}

/// Records of one second (of arrival).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SecondCounts {
    /// Seconds since the Unix epoch.
    pub second: u64,
    pub records: u64,
    /// Per detector.
    pub flagged: Vec<u64>,
    pub flagged_any: u64,
}

impl SecondCounts {
    pub fn add(&mut self, other: &SecondCounts) {
        self.records += other.records;
        self.flagged_any += other.flagged_any;
        add_each(&mut self.flagged, &other.flagged);
    }
}

/// Records and flagged records of one service or flag.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CategoryCount {
    pub name: String,
    pub records: u64,
    pub flagged: u64,
}

/// Where a record came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// A KDD line.
    Line(u64),
    /// A TCP or UDP connection seen in packets.
    Connection { src: SocketAddr, dst: SocketAddr },
    /// An ICMP message (no ports).
    Icmp {
        src: IpAddr,
        dst: IpAddr,
        icmp_type: u16,
        code: u16,
    },
}

impl Origin {
    /// `line 1,629`, or `10.0.0.5:51234 -> 10.0.1.80:80` (ICMP: no ports; the service
    /// names the message type).
    pub fn text(&self) -> String {
        match self {
            Origin::Line(line) => format!("line {}", crate::format::thousands(*line)),
            Origin::Connection { src, dst } => format!("{src} -> {dst}"),
            Origin::Icmp { src, dst, .. } => format!("{src} -> {dst}"),
        }
    }
}

/// One detector's verdict on an alert.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertVerdict {
    pub detector: &'static str,
    pub score: f64,
    pub threshold: f64,
    pub flagged: bool,
    /// Why it was flagged (empty when not flagged).
    pub why: Vec<Contribution>,
}

/// A record some detector flagged.
#[derive(Debug, Clone, PartialEq)]
pub struct Alert {
    /// Nanoseconds since the Unix epoch: the connection's start for packets, else when
    /// the record was scored.
    pub time: u64,
    /// Zeek's connection id, for records read from a conn.log.
    pub uid: Option<String>,
    pub origin: Origin,
    pub protocol: String,
    pub service: String,
    pub flag: String,
    pub label: Option<String>,
    pub verdicts: Vec<AlertVerdict>,
}

/// Running counts: what the Live tab totals, and what each update adds to them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LiveCounts {
    pub records: u64,
    /// Per detector.
    pub flagged: Vec<u64>,
    pub flagged_any: u64,
    /// Records with a categorical value the model never saw.
    pub unseen: u64,
    pub skipped: u64,
    pub last_skipped: Option<String>,
    /// For packets: packets in the connections reported, and connections reported
    /// early because the table was full.
    pub packets: u64,
    pub evicted: u64,
}

impl LiveCounts {
    /// Zero counts for `detectors` detectors.
    pub fn new(detectors: usize) -> LiveCounts {
        LiveCounts {
            flagged: vec![0; detectors],
            ..LiveCounts::default()
        }
    }

    /// Adds `other` (a later stretch of the run) into these counts.
    pub fn add(&mut self, other: LiveCounts) {
        self.records += other.records;
        add_each(&mut self.flagged, &other.flagged);
        self.flagged_any += other.flagged_any;
        self.unseen += other.unseen;
        self.skipped += other.skipped;
        if other.last_skipped.is_some() {
            self.last_skipped = other.last_skipped;
        }
        self.packets += other.packets;
        self.evicted += other.evicted;
    }
}

/// What arrived since the last update, summarised.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LiveDelta {
    pub counts: LiveCounts,
    /// By second of arrival, in order.
    pub seconds: Vec<SecondCounts>,
    pub services: Vec<CategoryCount>,
    pub flags: Vec<CategoryCount>,
    /// Oldest first; at most [`MAX_ALERTS`] (the newest).
    pub alerts: Vec<Alert>,
}

/// Adds `other` into `sum` element by element, growing `sum` as needed.
pub fn add_each(sum: &mut Vec<u64>, other: &[u64]) {
    if sum.len() < other.len() {
        sum.resize(other.len(), 0);
    }
    for (s, o) in sum.iter_mut().zip(other) {
        *s += o;
    }
}

/// Counts `records` (`flagged` of them flagged) under `name`, or under [`OTHER`] once
/// `MAX_CATEGORIES` names are known.
pub fn count_category(
    map: &mut HashMap<String, (u64, u64)>,
    name: &str,
    records: u64,
    flagged: u64,
) {
    let key = if map.contains_key(name) || map.len() < MAX_CATEGORIES {
        name
    } else {
        OTHER
    };
    let entry = match map.get_mut(key) {
        Some(entry) => entry,
        None => map.entry(key.to_owned()).or_default(),
    };
    entry.0 += records;
    entry.1 += flagged;
}

/// Folds scored batches into the next [`LiveDelta`].
#[derive(Debug, Default)]
pub struct Summariser {
    detectors: usize,
    counts: LiveCounts,
    seconds: BTreeMap<u64, SecondCounts>,
    services: HashMap<String, (u64, u64)>,
    flags: HashMap<String, (u64, u64)>,
    alerts: VecDeque<Alert>,
}

impl Summariser {
    pub fn new(detectors: usize) -> Summariser {
        Summariser {
            detectors,
            counts: LiveCounts::new(detectors),
            ..Summariser::default()
        }
    }

    pub fn skipped(&mut self, message: String) {
        self.counts.skipped += 1;
        self.counts.last_skipped = Some(message);
    }

    pub fn batch(&mut self, batch: &ScoredBatch) {
        let n = batch.len();
        let second = batch.scored_at / 1_000_000_000;
        let bucket = self.seconds.entry(second).or_insert_with(|| SecondCounts {
            second,
            flagged: vec![0; self.detectors],
            ..SecondCounts::default()
        });
        bucket.records += n as u64;
        self.counts.records += n as u64;
        self.counts.unseen += batch.unseen_rows as u64;
        let data = &batch.records;
        for row in 0..n {
            let mut any = false;
            for (d, verdicts) in batch.detectors.iter().enumerate() {
                if verdicts.flagged(row) {
                    any = true;
                    if let Some(f) = self.counts.flagged.get_mut(d) {
                        *f += 1;
                    }
                    if let Some(f) = bucket.flagged.get_mut(d) {
                        *f += 1;
                    }
                }
            }
            let category = |k| data.category(row, k).unwrap_or("?");
            count_category(&mut self.services, category(1), 1, u64::from(any));
            count_category(&mut self.flags, category(2), 1, u64::from(any));
            let connection = batch.connections.get(row);
            if let Some(c) = connection {
                self.counts.packets += u64::from(c.packets());
                self.counts.evicted += u64::from(c.end_reason == EndReason::Evicted);
            }
            if !any {
                continue;
            }
            self.counts.flagged_any += 1;
            bucket.flagged_any += 1;
            if self.alerts.len() == MAX_ALERTS {
                self.alerts.pop_front();
            }
            self.alerts.push_back(Alert {
                time: connection.map_or(batch.scored_at, |c| c.start),
                uid: connection.and_then(|c| c.uid.as_deref()).map(str::to_owned),
                origin: match connection {
                    // The tracker keeps an ICMP message's type and code as its ports.
                    Some(c) if c.protocol == ProtocolType::Icmp => Origin::Icmp {
                        src: c.orig_ip,
                        dst: c.resp_ip,
                        icmp_type: c.orig_port,
                        code: c.resp_port,
                    },
                    Some(c) => Origin::Connection {
                        src: SocketAddr::new(c.orig_ip, c.orig_port),
                        dst: SocketAddr::new(c.resp_ip, c.resp_port),
                    },
                    None => Origin::Line(data.line(row)),
                },
                protocol: category(0).to_owned(),
                service: category(1).to_owned(),
                flag: category(2).to_owned(),
                label: data.label(row).map(str::to_owned),
                verdicts: batch
                    .detectors
                    .iter()
                    .map(|d| AlertVerdict {
                        detector: d.name,
                        score: d.scores[row],
                        threshold: d.threshold,
                        flagged: d.flagged(row),
                        why: d.why[row].clone(),
                    })
                    .collect(),
            });
        }
    }

    /// What has been summarised since the last call, if anything.
    pub fn take(&mut self) -> Option<LiveDelta> {
        if self.counts.records == 0 && self.counts.skipped == 0 {
            return None;
        }
        let categories = |map: &mut HashMap<String, (u64, u64)>| {
            map.drain()
                .map(|(name, (records, flagged))| CategoryCount {
                    name,
                    records,
                    flagged,
                })
                .collect()
        };
        let delta = LiveDelta {
            counts: std::mem::replace(&mut self.counts, LiveCounts::new(self.detectors)),
            seconds: std::mem::take(&mut self.seconds).into_values().collect(),
            services: categories(&mut self.services),
            flags: categories(&mut self.flags),
            alerts: self.alerts.drain(..).collect(),
        };
        Some(delta)
    }
}

/// Starts monitoring on its own threads; events go to `events` as [`Event::Live`].
/// Setting `stop` ends the run within about 100 ms (what has arrived is still scored).
pub fn start(config: LiveConfig, events: UnboundedSender<Event>, stop: Arc<AtomicBool>) {
    let failed = events.clone();
    let spawned = std::thread::Builder::new()
        .name("live".into())
        .spawn(move || {
            let end = run(&config, &events, &stop);
            let _ = events.send(Event::Live(LiveEvent::Ended(end)));
        });
    if let Err(e) = spawned {
        let _ = failed.send(Event::Live(LiveEvent::Ended(LiveEnd::Failed(format!(
            "cannot start monitoring: {e}"
        )))));
    }
}

fn run(config: &LiveConfig, events: &UnboundedSender<Event>, stop: &Arc<AtomicBool>) -> LiveEnd {
    let bundle = match ModelBundle::load(&config.bundle) {
        Ok(b) => b,
        Err(e) => return LiveEnd::Failed(e.to_string()),
    };
    let detectors = monitor::detector_names(&bundle);
    let _ = events.send(Event::Live(LiveEvent::Started {
        source: config.monitor.input.name(),
        format: config.monitor.format,
        follow: matches!(config.monitor.input, Input::File { follow: true, .. }),
        detectors: detectors.clone(),
    }));
    let summariser = Arc::new(Mutex::new(Summariser::new(detectors.len())));
    let done = Arc::new(AtomicBool::new(false));
    let send = {
        let events = events.clone();
        move |summariser: &Mutex<Summariser>| {
            let delta = summariser.lock().unwrap_or_else(|e| e.into_inner()).take();
            if let Some(delta) = delta {
                let _ = events.send(Event::Live(LiveEvent::Update(Box::new(delta))));
            }
        }
    };
    let flusher = {
        let (summariser, done, send) = (Arc::clone(&summariser), Arc::clone(&done), send.clone());
        std::thread::Builder::new()
            .name("live-flush".into())
            .spawn(move || {
                while !done.load(Ordering::Relaxed) {
                    std::thread::sleep(FLUSH);
                    send(&summariser);
                }
            })
    };
    let mut sink = |event: MonitorEvent| -> std::io::Result<()> {
        let mut s = summariser.lock().unwrap_or_else(|e| e.into_inner());
        match event {
            MonitorEvent::Batch(batch) => s.batch(&batch),
            MonitorEvent::Skipped(message) => s.skipped(message),
        }
        Ok(())
    };
    let result = monitor::run(&bundle, &config.monitor, stop, &mut sink);
    done.store(true, Ordering::Relaxed);
    if let Ok(flusher) = flusher {
        let _ = flusher.join();
    }
    send(&summariser);
    match result {
        Ok(summary) => LiveEnd::Finished {
            reason: summary.ended,
            seconds: summary.seconds,
            capture: summary.capture,
        },
        Err(e) => LiveEnd::Failed(e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn categories_beyond_the_cap_are_counted_as_other() {
        let mut map = HashMap::new();
        for i in 0..MAX_CATEGORIES + 10 {
            count_category(&mut map, &format!("s{i}"), 1, 0);
        }
        count_category(&mut map, "s0", 1, 1);
        assert_eq!(map.len(), MAX_CATEGORIES + 1);
        assert_eq!(map[OTHER], (10, 0));
        assert_eq!(map["s0"], (2, 1));
    }
}
