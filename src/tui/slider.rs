//! The threshold slider's maths: its positions in each mode, the rule a position
//! stands for, and where the knob is drawn.

use crate::eval::threshold::ThresholdRule;

/// Contamination slider: 20 log-spaced steps per decade from 1e-4, so round values
/// (0.1%, 1%, 10%) are positions; the last position is capped at 0.5.
const CONTAMINATION_MIN: f64 = 1e-4;
const CONTAMINATION_MAX: f64 = 0.5;
const STEPS_PER_DECADE: i32 = 20;
pub const CONTAMINATION_STEPS: i32 = 74;
/// Steps of the mean+kσ (k = step / 20, up to 10) and manual (log-spaced) sliders.
pub const SLIDER_STEPS: i32 = 200;
/// Steps of the mean+kσ slider per unit of k.
const STEPS_PER_K: f64 = 20.0;
/// A coarse step is this many fine ones.
pub const COARSE: i32 = 10;

/// Contamination at a slider position.
pub fn contamination_at(step: i32) -> f64 {
    let s = step.clamp(0, CONTAMINATION_STEPS);
    (CONTAMINATION_MIN * 10f64.powf(f64::from(s) / f64::from(STEPS_PER_DECADE)))
        .min(CONTAMINATION_MAX)
}

/// The nearest contamination slider position.
pub fn contamination_step(c: f64) -> i32 {
    ((c.clamp(CONTAMINATION_MIN, CONTAMINATION_MAX) / CONTAMINATION_MIN).log10()
        * f64::from(STEPS_PER_DECADE))
    .round() as i32
}

/// A log-spaced slider position → value in `[lo, hi]`.
pub fn log_position(step: i32, lo: f64, hi: f64) -> f64 {
    let t = f64::from(step.clamp(0, SLIDER_STEPS)) / f64::from(SLIDER_STEPS);
    (lo.ln() + t * (hi.ln() - lo.ln())).exp()
}

/// The nearest slider position of `value`.
pub fn log_step(value: f64, lo: f64, hi: f64) -> i32 {
    let t = (value.clamp(lo, hi).ln() - lo.ln()) / (hi.ln() - lo.ln());
    (t * f64::from(SLIDER_STEPS)).round() as i32
}

/// The mean+kσ slider position of `k` (not clamped).
pub fn k_step(k: f64) -> i32 {
    (k * STEPS_PER_K).round() as i32
}

/// How the autoencoder's threshold is chosen on screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ThresholdMode {
    MeanStd,
    Percentile,
    Contamination,
    Manual,
}

impl ThresholdMode {
    pub fn name(self) -> &'static str {
        match self {
            ThresholdMode::MeanStd => "mean+kσ",
            ThresholdMode::Percentile => "percentile",
            ThresholdMode::Contamination => "contamination",
            ThresholdMode::Manual => "manual",
        }
    }

    pub fn next(self) -> Self {
        match self {
            ThresholdMode::MeanStd => ThresholdMode::Percentile,
            ThresholdMode::Percentile => ThresholdMode::Contamination,
            ThresholdMode::Contamination => ThresholdMode::Manual,
            ThresholdMode::Manual => ThresholdMode::MeanStd,
        }
    }

    /// The slider's last position in this mode.
    pub fn max_step(self) -> i32 {
        match self {
            ThresholdMode::Contamination | ThresholdMode::Percentile => CONTAMINATION_STEPS,
            ThresholdMode::MeanStd | ThresholdMode::Manual => SLIDER_STEPS,
        }
    }

    /// The rule at `step`; `manual_range` is the manual slider's score range (asked
    /// for in manual mode only).
    pub fn rule(self, step: i32, manual_range: impl FnOnce() -> (f64, f64)) -> ThresholdRule {
        match self {
            ThresholdMode::MeanStd => ThresholdRule::MeanStd {
                k: f64::from(step.clamp(0, SLIDER_STEPS)) / STEPS_PER_K,
            },
            ThresholdMode::Contamination => ThresholdRule::Contamination {
                contamination: contamination_at(step),
            },
            ThresholdMode::Percentile => ThresholdRule::Percentile {
                percentile: 100.0 * (1.0 - contamination_at(step)),
            },
            ThresholdMode::Manual => {
                let (lo, hi) = manual_range();
                ThresholdRule::Manual {
                    value: log_position(step, lo, hi),
                }
            }
        }
    }

    /// The mode and position that stand for a saved rule.
    pub fn of_rule(rule: ThresholdRule, manual_range: impl FnOnce() -> (f64, f64)) -> (Self, i32) {
        match rule {
            ThresholdRule::Contamination { contamination } => (
                ThresholdMode::Contamination,
                contamination_step(contamination),
            ),
            ThresholdRule::Percentile { percentile } => (
                ThresholdMode::Percentile,
                contamination_step(1.0 - percentile / 100.0),
            ),
            ThresholdRule::MeanStd { k } => {
                (ThresholdMode::MeanStd, k_step(k).clamp(0, SLIDER_STEPS))
            }
            ThresholdRule::Manual { value } => {
                let (lo, hi) = manual_range();
                (ThresholdMode::Manual, log_step(value, lo, hi))
            }
        }
    }

    /// Where the knob of a slider at `step` is, in [0, 1]. Contamination and
    /// percentile sliders run from strict (few flags) on the left to lenient on the
    /// right.
    pub fn knob(self, step: i32) -> f64 {
        let t = f64::from(step) / f64::from(self.max_step());
        match self {
            ThresholdMode::Contamination | ThresholdMode::Percentile => t,
            // A higher k or manual value flags fewer rows: mirror, so → is lenient too.
            ThresholdMode::MeanStd | ThresholdMode::Manual => 1.0 - t,
        }
    }

    /// The position `steps` to the right of `step` (`→` always flags more rows:
    /// contamination up, k and the manual value down), within the slider.
    pub fn slide(self, step: i32, steps: i32) -> i32 {
        let steps = match self {
            ThresholdMode::Contamination | ThresholdMode::Percentile => steps,
            ThresholdMode::MeanStd | ThresholdMode::Manual => -steps,
        };
        (step + steps).clamp(0, self.max_step())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slider_is_log_spaced_over_the_documented_range() {
        let lo = log_position(0, CONTAMINATION_MIN, CONTAMINATION_MAX);
        let hi = log_position(SLIDER_STEPS, CONTAMINATION_MIN, CONTAMINATION_MAX);
        assert!((lo - 1e-4).abs() < 1e-12 && (hi - 0.5).abs() < 1e-12);
        // Equal steps multiply by the same factor.
        let r1 = log_position(11, 1e-4, 0.5) / log_position(10, 1e-4, 0.5);
        let r2 = log_position(151, 1e-4, 0.5) / log_position(150, 1e-4, 0.5);
        assert!((r1 - r2).abs() < 1e-9);
        assert_eq!(log_step(0.01, 1e-4, 0.5), 108);
        assert!((log_position(108, 1e-4, 0.5) - 0.01).abs() < 0.0005);
        // The contamination slider has round values as positions.
        assert_eq!(contamination_step(0.01), 40);
        assert!((contamination_at(40) - 0.01).abs() < 1e-15);
        assert!((contamination_at(60) - 0.1).abs() < 1e-14);
        assert_eq!(contamination_at(0), 1e-4);
        assert_eq!(contamination_at(CONTAMINATION_STEPS), 0.5);
        assert_eq!(contamination_at(1000), 0.5);
    }

    #[test]
    fn right_is_lenient_in_every_mode_and_saved_rules_come_back() {
        let range = || (1e-3, 1.0);
        for mode in [
            ThresholdMode::MeanStd,
            ThresholdMode::Percentile,
            ThresholdMode::Contamination,
            ThresholdMode::Manual,
        ] {
            let step = mode.max_step() / 2;
            let right = mode.slide(step, 1);
            assert!(mode.knob(right) > mode.knob(step), "{}", mode.name());
            for far in [-1000, 1000] {
                assert!((0..=mode.max_step()).contains(&mode.slide(step, far)));
            }
            let rule = mode.rule(step, range);
            assert_eq!(
                ThresholdMode::of_rule(rule, range),
                (mode, step),
                "{}",
                mode.name()
            );
        }
    }
}
