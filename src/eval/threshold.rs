//! Decision thresholds, for any detector, from the scores of the training rows.
//!
//! Every rule ends as one score value; a row is flagged when its score is at or above
//! it. Rules that count rows (percentile, contamination) flag whole blocks of tied
//! scores, and every threshold reports the fraction of training rows it actually flags.

use serde::{Deserialize, Serialize};

use crate::eval::metrics::{MetricsError, SortedScores, Threshold};

/// How a threshold is chosen.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "rule", rename_all = "kebab-case")]
pub enum ThresholdRule {
    /// Mean plus `k` standard deviations of the training scores (the reference
    /// notebook's rule for the autoencoder, with k = 2).
    MeanStd { k: f64 },
    /// Flag scores above this percentile of the training scores.
    Percentile { percentile: f64 },
    /// Flag this fraction of the training scores.
    Contamination { contamination: f64 },
    /// A fixed score.
    Manual { value: f64 },
}

impl ThresholdRule {
    /// Short human form: `mean+2σ`, `99th percentile`, `contamination 0.01`,
    /// `manual 0.5` (of which scores is for the caller to say).
    pub fn describe(&self) -> String {
        match *self {
            ThresholdRule::MeanStd { k } => format!("mean+{k}σ"),
            ThresholdRule::Percentile { percentile } => format!("{percentile}th percentile"),
            ThresholdRule::Contamination { contamination } => {
                format!("contamination {contamination}")
            }
            ThresholdRule::Manual { value } => format!("manual {value}"),
        }
    }

    /// `describe` with the rows the rule is taken over, for every rule but a fixed score.
    pub fn describe_of(&self, rows: &str) -> String {
        match self {
            ThresholdRule::Manual { .. } => self.describe(),
            _ => format!("{} of {rows}", self.describe()),
        }
    }

    /// Parses `mean-std:K`, `percentile:P`, `contamination:C` or `manual:V`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let (name, value) = text
            .split_once(':')
            .ok_or_else(|| format!("expected RULE:VALUE (e.g. percentile:99), found \"{text}\""))?;
        let v: f64 = value
            .parse()
            .ok()
            .filter(|v: &f64| v.is_finite())
            .ok_or_else(|| format!("expected a number after \"{name}:\", found \"{value}\""))?;
        match name {
            "mean-std" if v >= 0.0 => Ok(ThresholdRule::MeanStd { k: v }),
            "percentile" if v > 0.0 && v < 100.0 => Ok(ThresholdRule::Percentile { percentile: v }),
            "contamination" if v > 0.0 && v < 1.0 => {
                Ok(ThresholdRule::Contamination { contamination: v })
            }
            "manual" => Ok(ThresholdRule::Manual { value: v }),
            "mean-std" | "percentile" | "contamination" => Err(format!(
                "{name}:{value} is out of range (mean-std ≥ 0, 0 < percentile < 100, 0 < contamination < 1)"
            )),
            _ => Err(format!(
                "unknown threshold rule \"{name}\"; expected mean-std, percentile, contamination or manual"
            )),
        }
    }
}

/// Training scores, sorted once, with their mean and σ: every rule is then O(log n).
#[derive(Debug, Clone, Default)]
pub struct ScoreDistribution {
    sorted: SortedScores,
    mean: f64,
    std: f64,
}

impl ScoreDistribution {
    pub fn new(scores: &[f64]) -> Result<Self, MetricsError> {
        let sorted = SortedScores::new(scores, None)?;
        let n = scores.len().max(1) as f64;
        let mean = scores.iter().sum::<f64>() / n;
        let var = scores.iter().map(|s| (s - mean).powi(2)).sum::<f64>() / n;
        Ok(ScoreDistribution {
            sorted,
            mean,
            std: var.sqrt(),
        })
    }

    /// A distribution known only by its summary (a saved bundle keeps mean, σ and
    /// 1001 quantiles, not every training score): rules that count rows use the
    /// quantiles, so they are exact to 0.1% of the training rows.
    pub fn from_summary(quantiles: &[f64], mean: f64, std: f64) -> Result<Self, MetricsError> {
        Ok(ScoreDistribution {
            sorted: SortedScores::new(quantiles, None)?,
            mean,
            std,
        })
    }

    pub fn mean(&self) -> f64 {
        self.mean
    }

    pub fn std(&self) -> f64 {
        self.std
    }

    pub fn sorted(&self) -> &SortedScores {
        &self.sorted
    }

    /// The threshold a rule gives on these scores, with the fraction it flags here.
    pub fn threshold(&self, rule: ThresholdRule) -> Threshold {
        let at = |value: f64| {
            let flagged = self.sorted.flagged_at(value);
            Threshold {
                value,
                flagged,
                contamination: flagged as f64 / self.sorted.len().max(1) as f64,
            }
        };
        match rule {
            ThresholdRule::MeanStd { k } => at(self.mean + k * self.std),
            ThresholdRule::Percentile { percentile } => {
                self.sorted.threshold_for_percentile(percentile)
            }
            ThresholdRule::Contamination { contamination } => {
                self.sorted.threshold_for_contamination(contamination)
            }
            ThresholdRule::Manual { value } => at(value),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rule_on_hand_computed_scores() {
        // 1..=100: mean 50.5, σ = sqrt((100² − 1) / 12) = 28.866…
        let scores: Vec<f64> = (1..=100).map(f64::from).collect();
        let d = ScoreDistribution::new(&scores).unwrap();
        assert!((d.std() - 28.866_070_047_722_12).abs() < 1e-9);
        let t = d.threshold(ThresholdRule::MeanStd { k: 1.0 });
        assert!((t.value - 79.366_070_047_722_12).abs() < 1e-9);
        assert_eq!(t.flagged, 21, "80..=100");
        let t = d.threshold(ThresholdRule::Percentile { percentile: 95.0 });
        assert_eq!((t.value, t.flagged), (96.0, 5));
        let t = d.threshold(ThresholdRule::Contamination { contamination: 0.1 });
        assert_eq!((t.value, t.flagged), (91.0, 10));
        let t = d.threshold(ThresholdRule::Manual { value: 50.5 });
        assert_eq!(t.flagged, 50);
        assert!((t.contamination - 0.5).abs() < 1e-12);
    }

    #[test]
    fn ties_are_flagged_whole() {
        let mut scores = vec![1.0; 90];
        scores.extend([5.0; 10]);
        let d = ScoreDistribution::new(&scores).unwrap();
        // 5% asked for, but the top block holds 10%: all of it or none of it.
        let t = d.threshold(ThresholdRule::Contamination {
            contamination: 0.05,
        });
        assert!(t.flagged == 0 || t.flagged == 10, "{t:?}");
        assert_eq!(t.contamination, t.flagged as f64 / 100.0);
    }

    #[test]
    fn rules_parse_and_reject_nonsense() {
        assert_eq!(
            ThresholdRule::parse("mean-std:2"),
            Ok(ThresholdRule::MeanStd { k: 2.0 })
        );
        assert_eq!(
            ThresholdRule::parse("percentile:99.5"),
            Ok(ThresholdRule::Percentile { percentile: 99.5 })
        );
        assert_eq!(
            ThresholdRule::parse("manual:0.25"),
            Ok(ThresholdRule::Manual { value: 0.25 })
        );
        assert!(
            ThresholdRule::parse("percentile:120")
                .unwrap_err()
                .contains("out of range")
        );
        assert!(
            ThresholdRule::parse("median:3")
                .unwrap_err()
                .contains("unknown threshold rule")
        );
        assert!(
            ThresholdRule::parse("99")
                .unwrap_err()
                .contains("RULE:VALUE")
        );
        assert!(
            ThresholdRule::parse("manual:NaN")
                .unwrap_err()
                .contains("expected a number")
        );
        let json = serde_json::to_string(&ThresholdRule::MeanStd { k: 2.0 }).unwrap();
        assert_eq!(json, r#"{"rule":"mean-std","k":2.0}"#);
    }
}
