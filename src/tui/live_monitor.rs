//! The Live tab's state: the monitor run as the dashboard follows it — totals, the
//! last minutes by second, counts by service and flag, and the latest alerts, built
//! from the live job's summaries. Everything here is bounded: [`WINDOW`] seconds,
//! [`MAX_ALERTS`] alerts, [`MAX_CATEGORIES`] names.

use std::collections::{HashMap, VecDeque};

use crate::capture::CaptureSummary;
use crate::monitor::Format;
use crate::worker::monitor_job::{
    Alert, CategoryCount, LiveCounts, LiveDelta, LiveEnd, LiveEvent, MAX_ALERTS, SecondCounts,
    count_category,
};

/// Seconds of history kept for the sparklines.
pub const WINDOW: u64 = 120;
/// Names shown in the service and flag tables.
pub const TOP: usize = 12;
/// Seconds the current rate is averaged over.
const RATE_SECONDS: u64 = 5;

/// Where the run is.
#[derive(Debug, Clone, PartialEq)]
pub enum LiveStatus {
    /// No `--monitor` given.
    Off,
    Starting,
    Running,
    Ended {
        reason: &'static str,
        seconds: f64,
    },
    Failed(String),
}

/// The Live tab's state.
#[derive(Debug, Clone)]
pub struct LiveMonitor {
    pub status: LiveStatus,
    pub source: String,
    pub format: Format,
    pub follow: bool,
    pub detectors: Vec<&'static str>,
    /// Running totals.
    pub totals: LiveCounts,
    /// The last [`WINDOW`] seconds, oldest first, ending at `now` (gaps are zeros).
    pub seconds: VecDeque<SecondCounts>,
    /// The current second (Unix time): moved on by ticks and by arriving records.
    pub now: u64,
    /// When the first record arrived (seconds), for the rate of a young run.
    pub first: Option<u64>,
    services: HashMap<String, (u64, u64)>,
    flags: HashMap<String, (u64, u64)>,
    /// Most flagged first, then most records.
    pub top_services: Vec<CategoryCount>,
    pub top_flags: Vec<CategoryCount>,
    /// Newest first.
    pub alerts: VecDeque<Alert>,
    /// Position in `alerts`; 0 follows the newest.
    pub selected: usize,
    pub detail: bool,
    /// The capture's exact summary, once a packet run has ended.
    pub capture: Option<CaptureSummary>,
}

impl Default for LiveMonitor {
    fn default() -> Self {
        LiveMonitor {
            status: LiveStatus::Off,
            source: String::new(),
            format: Format::Kdd,
            follow: false,
            detectors: Vec::new(),
            totals: LiveCounts::default(),
            seconds: VecDeque::new(),
            now: 0,
            first: None,
            services: HashMap::new(),
            flags: HashMap::new(),
            top_services: Vec::new(),
            top_flags: Vec::new(),
            alerts: VecDeque::new(),
            selected: 0,
            detail: false,
            capture: None,
        }
    }
}

impl LiveMonitor {
    pub fn is_on(&self) -> bool {
        self.status != LiveStatus::Off
    }

    pub fn apply(&mut self, event: LiveEvent) {
        match event {
            LiveEvent::Started {
                source,
                format,
                follow,
                detectors,
            } => {
                self.status = LiveStatus::Running;
                self.source = source;
                self.format = format;
                self.follow = follow;
                self.totals = LiveCounts::new(detectors.len());
                self.detectors = detectors;
            }
            LiveEvent::Update(delta) => self.merge(*delta),
            LiveEvent::Ended(LiveEnd::Finished {
                reason,
                seconds,
                capture,
            }) => {
                self.status = LiveStatus::Ended { reason, seconds };
                self.capture = capture;
            }
            LiveEvent::Ended(LiveEnd::Failed(message)) => self.status = LiveStatus::Failed(message),
        }
    }

    fn merge(&mut self, delta: LiveDelta) {
        self.totals.add(delta.counts);
        for s in &delta.seconds {
            if s.records > 0 {
                self.first = Some(self.first.map_or(s.second, |f| f.min(s.second)));
            }
            self.advance(s.second);
            // A second older than the window is dropped; one within it is added.
            if let Some(back) = self.now.checked_sub(s.second)
                && let Some(i) = (self.seconds.len() as u64).checked_sub(back + 1)
                && let Some(bucket) = self.seconds.get_mut(i as usize)
            {
                bucket.add(s);
            }
        }
        for c in &delta.services {
            count_category(&mut self.services, &c.name, c.records, c.flagged);
        }
        for c in &delta.flags {
            count_category(&mut self.flags, &c.name, c.records, c.flagged);
        }
        self.top_services = top(&self.services);
        self.top_flags = top(&self.flags);
        let arrived = delta.alerts.len();
        for alert in delta.alerts {
            if self.alerts.len() == MAX_ALERTS {
                self.alerts.pop_back();
            }
            self.alerts.push_front(alert);
        }
        // Keep the selected alert selected while new ones arrive above it, unless the
        // selection is following the newest.
        if self.selected > 0 {
            self.selected = (self.selected + arrived).min(self.alerts.len().saturating_sub(1));
        }
    }

    /// Moves the window on to `now` (seconds since the epoch); never back.
    pub fn advance(&mut self, now: u64) {
        if self.seconds.is_empty() {
            self.now = now;
            self.seconds.push_back(self.empty(now));
            return;
        }
        if now <= self.now {
            return;
        }
        let steps = (now - self.now).min(WINDOW);
        for k in (0..steps).rev() {
            self.seconds.push_back(self.empty(now - k));
        }
        while self.seconds.len() as u64 > WINDOW {
            self.seconds.pop_front();
        }
        self.now = now;
    }

    fn empty(&self, second: u64) -> SecondCounts {
        SecondCounts {
            second,
            flagged: vec![0; self.detectors.len()],
            ..SecondCounts::default()
        }
    }

    /// The last `n` seconds (oldest first, zeros before the history starts) of a series:
    /// records (`None`), a detector's flags (`Some(d)`), or flags of either
    /// (`Some(usize::MAX)`).
    pub fn series(&self, which: Option<usize>, n: usize) -> Vec<u64> {
        let value = |s: &SecondCounts| match which {
            None => s.records,
            Some(usize::MAX) => s.flagged_any,
            Some(d) => s.flagged.get(d).copied().unwrap_or(0),
        };
        let have = self.seconds.len().min(n);
        let mut out = vec![0; n - have];
        out.extend(
            self.seconds
                .iter()
                .skip(self.seconds.len() - have)
                .map(value),
        );
        out
    }

    /// Per second, averaged over the last complete seconds (the current one while the
    /// run is younger than a second).
    pub fn rate(&self, which: Option<usize>) -> f64 {
        let Some(first) = self.first else {
            return 0.0;
        };
        let complete = self.now.saturating_sub(first).min(RATE_SECONDS) as usize;
        let series = self.series(which, complete + 1);
        if complete == 0 {
            return series[0] as f64;
        }
        series[..complete].iter().sum::<u64>() as f64 / complete as f64
    }

    pub fn move_selection(&mut self, by: i64) {
        let n = self.alerts.len();
        if n == 0 {
            return;
        }
        self.selected = (self.selected as i64 + by).clamp(0, n as i64 - 1) as usize;
    }
}

fn top(map: &HashMap<String, (u64, u64)>) -> Vec<CategoryCount> {
    let mut all: Vec<CategoryCount> = map
        .iter()
        .map(|(name, &(records, flagged))| CategoryCount {
            name: name.clone(),
            records,
            flagged,
        })
        .collect();
    all.sort_by(|a, b| (b.flagged, b.records, &a.name).cmp(&(a.flagged, a.records, &b.name)));
    all.truncate(TOP);
    all
}

#[cfg(test)]
mod tests {
    use super::*;

    fn second(second: u64, records: u64, flagged: u64) -> SecondCounts {
        SecondCounts {
            second,
            records,
            flagged: vec![flagged, 0],
            flagged_any: flagged,
        }
    }

    fn started() -> LiveMonitor {
        let mut live = LiveMonitor::default();
        live.apply(LiveEvent::Started {
            source: "x".into(),
            format: Format::Kdd,
            follow: false,
            detectors: vec!["iforest", "autoencoder"],
        });
        live
    }

    #[test]
    fn the_window_moves_with_time_and_keeps_its_length() {
        let mut live = started();
        live.apply(LiveEvent::Update(Box::new(LiveDelta {
            counts: LiveCounts {
                records: 30,
                ..LiveCounts::default()
            },
            seconds: vec![second(1000, 10, 1), second(1002, 20, 0)],
            ..LiveDelta::default()
        })));
        assert_eq!(live.now, 1002);
        assert_eq!(live.series(None, 4), [0, 10, 0, 20]);
        assert_eq!(live.series(Some(0), 3), [1, 0, 0]);
        // Two complete seconds so far.
        assert_eq!(live.rate(None), 5.0);
        // A late second within the window is added where it belongs.
        live.apply(LiveEvent::Update(Box::new(LiveDelta {
            seconds: vec![second(1001, 4, 0)],
            ..LiveDelta::default()
        })));
        assert_eq!(live.series(None, 3), [10, 4, 20]);
        live.advance(1002 + 1000);
        assert_eq!(live.seconds.len() as u64, WINDOW);
        assert_eq!(live.series(None, 3), [0, 0, 0]);
        assert_eq!(live.rate(None), 0.0);
    }

    #[test]
    fn alerts_are_capped_and_a_selection_stays_on_its_alert() {
        let mut live = started();
        let alert = |line| Alert {
            time: 0,
            uid: None,
            origin: crate::worker::monitor_job::Origin::Line(line),
            protocol: "tcp".into(),
            service: "http".into(),
            flag: "SF".into(),
            label: None,
            verdicts: Vec::new(),
        };
        let delta = |lines: std::ops::Range<u64>| {
            LiveEvent::Update(Box::new(LiveDelta {
                alerts: lines.map(alert).collect(),
                ..LiveDelta::default()
            }))
        };
        live.apply(delta(0..10));
        live.move_selection(3);
        assert_eq!(live.alerts[live.selected].origin, alert(6).origin);
        live.apply(delta(10..12));
        assert_eq!(live.alerts[live.selected].origin, alert(6).origin);
        live.apply(delta(12..2000));
        assert_eq!(live.alerts.len(), MAX_ALERTS);
        assert_eq!(live.alerts[0].origin, alert(1999).origin);
    }
}
