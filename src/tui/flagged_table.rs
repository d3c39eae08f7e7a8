//! The flagged-rows table: which test rows it lists (filter, sort), the selection,
//! and the why-features of the rows around it.

use std::sync::Arc;

use super::detector_panel::DetectorPanel;
use super::explanations::{Explanations, WINDOW};
use crate::detect::DetectorKind;
use crate::worker::TestSet;

/// Which flagged rows the table shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Filter {
    Either,
    Both,
    ForestOnly,
    AutoencoderOnly,
    /// What the fused detector flags, whatever the others do.
    Fused,
}

impl Filter {
    pub fn name(self) -> &'static str {
        match self {
            Filter::Either => "forest or autoencoder",
            Filter::Both => "forest and autoencoder",
            Filter::ForestOnly => "forest only",
            Filter::AutoencoderOnly => "autoencoder only",
            Filter::Fused => "fused flags",
        }
    }

    fn next(self) -> Self {
        match self {
            Filter::Either => Filter::Both,
            Filter::Both => Filter::ForestOnly,
            Filter::ForestOnly => Filter::AutoencoderOnly,
            Filter::AutoencoderOnly => Filter::Fused,
            Filter::Fused => Filter::Either,
        }
    }

    /// "Either" and the others are about the two single detectors.
    fn keeps(self, forest: bool, autoencoder: bool, fused: bool) -> bool {
        match self {
            Filter::Fused => fused,
            Filter::Either => forest || autoencoder,
            Filter::Both => forest && autoencoder,
            Filter::ForestOnly => forest && !autoencoder,
            Filter::AutoencoderOnly => autoencoder && !forest,
        }
    }
}

/// The flagged-rows table.
#[derive(Debug, Clone)]
pub struct FlaggedTable {
    pub filter: Filter,
    pub sort_by: DetectorKind,
    /// Test positions, in display order.
    pub rows: Vec<usize>,
    pub selected: usize,
    /// Rows shown per page (from the last layout; for paging).
    pub page: usize,
    pub detail: bool,
    /// Why-features by detector and test position.
    pub why: Explanations,
    /// The row list no longer matches the thresholds, filter or sort.
    stale: bool,
}

impl Default for FlaggedTable {
    fn default() -> Self {
        FlaggedTable {
            filter: Filter::Either,
            sort_by: DetectorKind::Autoencoder,
            rows: Vec::new(),
            selected: 0,
            page: 20,
            detail: false,
            why: Explanations::default(),
            stale: true,
        }
    }
}

impl FlaggedTable {
    /// Empties the table for a new training (filter and sort stay).
    pub fn clear(&mut self) {
        self.rows.clear();
        self.why.clear();
        self.stale = true;
    }

    /// The row list is rebuilt when next needed.
    pub fn mark_stale(&mut self) {
        self.stale = true;
    }

    pub fn next_filter(&mut self) {
        self.filter = self.filter.next();
        self.stale = true;
    }

    pub fn toggle_sort(&mut self) {
        self.sort_by = match self.sort_by {
            DetectorKind::Iforest => DetectorKind::Autoencoder,
            DetectorKind::Autoencoder => DetectorKind::Fused,
            DetectorKind::Fused => DetectorKind::Iforest,
        };
        self.stale = true;
    }

    pub fn move_selection(&mut self, by: i64) {
        let n = self.rows.len();
        if n == 0 {
            return;
        }
        let next = (self.selected as i64 + by).clamp(0, n as i64 - 1);
        self.selected = next as usize;
    }

    pub fn select_last(&mut self) {
        self.selected = self.rows.len().saturating_sub(1);
    }

    pub fn toggle_detail(&mut self) {
        self.detail = !self.detail && !self.rows.is_empty();
    }

    /// Rebuilds the row list if a threshold, the filter or the sort changed, and asks
    /// for the why-features of the rows around the selection.
    pub fn refresh(&mut self, test: Option<&Arc<TestSet>>, panels: [&DetectorPanel; 3]) {
        let [iforest, autoencoder, fused] = panels;
        if self.stale {
            self.stale = false;
            let n = test.map_or(0, |t| t.rows.len());
            let keeps = |&i: &usize| {
                let f = iforest.is_flagged(i).unwrap_or(false);
                let a = autoencoder.is_flagged(i).unwrap_or(false);
                self.filter
                    .keeps(f, a, fused.is_flagged(i).unwrap_or(false))
            };
            let sort_panel = match self.sort_by {
                DetectorKind::Iforest => iforest,
                DetectorKind::Autoencoder => autoencoder,
                DetectorKind::Fused => fused,
            };
            // Highest score first by the chosen detector (another one while it has
            // none); filtering its ranking keeps that order.
            let ranked = [sort_panel, iforest, autoencoder, fused]
                .into_iter()
                .find(|p| p.result.is_some())
                .map(|p| &p.ranking);
            self.rows = match ranked {
                _ if test.is_none() => Vec::new(),
                Some(ranking) => ranking.iter().copied().filter(keeps).collect(),
                None => (0..n).filter(keeps).collect(),
            };
            self.selected = self.selected.min(self.rows.len().saturating_sub(1));
        }
        let Some(test) = test else {
            return;
        };
        let start = self.selected.saturating_sub(WINDOW / 2);
        let end = (start + WINDOW).min(self.rows.len());
        let window = &self.rows[start.min(end)..end];
        for panel in panels {
            if let Some(result) = &panel.result {
                self.why.ask(test, result, window);
            }
        }
    }

    /// Whose why-features the table shows for test row `position`: the fused
    /// detector's when the table is sorted by it and it flags the row; else the
    /// autoencoder's when it flags the row and the table is sorted by it or the forest
    /// does not flag it; the fused detector's when neither part flags it; the forest's
    /// otherwise.
    pub fn why_detector(
        &self,
        position: usize,
        [iforest, autoencoder, fused]: [&DetectorPanel; 3],
    ) -> DetectorKind {
        if self.sort_by == DetectorKind::Fused && fused.is_flagged(position).unwrap_or(false) {
            DetectorKind::Fused
        } else if autoencoder.is_flagged(position).unwrap_or(false)
            && (self.sort_by == DetectorKind::Autoencoder
                || !iforest.is_flagged(position).unwrap_or(false))
        {
            DetectorKind::Autoencoder
        } else if iforest.is_flagged(position).unwrap_or(true)
            || !fused.is_flagged(position).unwrap_or(false)
        {
            DetectorKind::Iforest
        } else {
            // Only the fused detector flags it (under its filter): its why, which is
            // that of the part that found the row the more surprising.
            DetectorKind::Fused
        }
    }
}
