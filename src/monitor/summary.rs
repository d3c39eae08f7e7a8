//! Running totals ([`Counts`]) and the end of a run ([`Summary`]).

use crate::capture::CaptureSummary;
use crate::data::reader::FileFormat;
use crate::data::reader::report::ZeekReport;

use super::score::ScoredBatch;

/// Running totals.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Counts {
    pub records: u64,
    /// Flagged by each detector, in the bundle's order.
    #[serde(serialize_with = "crate::json::named")]
    pub flagged: Vec<(String, u64)>,
    /// Flagged by at least one detector.
    pub flagged_any: u64,
    pub skipped_bad_records: u64,
    pub unseen_category_records: u64,
}

/// The end of a monitoring run.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Summary {
    pub source: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub format: Option<FileFormat>,
    pub counts: Counts,
    pub seconds: f64,
    pub records_per_second: f64,
    /// Why the run ended: `end of input` or `stopped`.
    pub ended: &'static str,
    /// For packets: what the capture held.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub capture: Option<CaptureSummary>,
    /// For Zeek logs: rows of other transports, and rows later than the lateness.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub zeek: Option<ZeekReport>,
}

pub(super) fn tally(batch: &ScoredBatch, counts: &mut Counts) {
    counts.records += batch.len() as u64;
    counts.unseen_category_records += batch.unseen_rows as u64;
    for (d, (_, n)) in batch.detectors.iter().zip(counts.flagged.iter_mut()) {
        *n += d.scores.iter().filter(|&&s| s >= d.threshold).count() as u64;
    }
    counts.flagged_any += (0..batch.len()).filter(|&r| batch.any_flagged(r)).count() as u64;
}
