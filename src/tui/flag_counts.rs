//! How the detectors' flags fall over the test rows: where they agree, and what each
//! catches by attack family (the Overview and Compare tabs' tables).

use super::detector_panel::DetectorPanel;
use crate::data::Family;
use crate::worker::TestSet;

/// How the detectors' flags fall over the test rows.
#[derive(Debug, Clone, Default)]
pub struct FlagCounts {
    /// `(rows, attacks)` flagged by both single detectors, only the forest, only the
    /// autoencoder, neither; `None` until both have a threshold.
    pub agreement: Option<[(usize, usize); 4]>,
    /// Per family present in the test rows: its rows, and how many each detector
    /// (forest, autoencoder, fused) flags (`None` while it has no threshold).
    pub families: Vec<(Family, usize, [Option<usize>; 3])>,
}

impl FlagCounts {
    /// Counts over the test rows at the panels' (forest, autoencoder, fused) thresholds.
    pub fn of(test: Option<&TestSet>, panels: [&DetectorPanel; 3]) -> FlagCounts {
        let Some(test) = test else {
            return FlagCounts::default();
        };
        let ready = panels.map(|p| p.threshold.is_some());
        let mut agreement = [(0usize, 0usize); 4];
        let mut rows_by_family = [0usize; 6];
        let mut flagged = [[0usize; 6]; 3];
        for (i, &r) in test.rows.iter().enumerate() {
            let flags = panels.map(|p| p.is_flagged(i).unwrap_or(false));
            let k = match flags {
                [true, true, _] => 0,
                [true, false, _] => 1,
                [false, true, _] => 2,
                [false, false, _] => 3,
            };
            agreement[k].0 += 1;
            if test.truth.as_ref().is_some_and(|t| t[i]) {
                agreement[k].1 += 1;
            }
            if let Some(f) = test.data.family(r) {
                let k = Family::ALL.iter().position(|&x| x == f).unwrap_or(5);
                rows_by_family[k] += 1;
                for d in 0..3 {
                    flagged[d][k] += usize::from(flags[d]);
                }
            }
        }
        FlagCounts {
            agreement: (ready[0] && ready[1]).then_some(agreement),
            families: Family::ALL
                .iter()
                .enumerate()
                .filter(|(k, _)| rows_by_family[*k] > 0)
                .map(|(k, &f)| {
                    let by = |d: usize| ready[d].then_some(flagged[d][k]);
                    (f, rows_by_family[k], [by(0), by(1), by(2)])
                })
                .collect(),
        }
    }
}
