//! A detector's panel, as the Isolation Forest, Autoencoder and Fused tabs draw it: the
//! test scores' histogram with the threshold, the slider, and the confusion matrix.

use ratatui::Frame;
use ratatui::layout::{Alignment, Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};

use super::text::titled;
use crate::detect::DetectorKind;
use crate::format::{significant, thousands};
use crate::tui::app::App;
use crate::tui::detector_panel::{DetectorPanel, DetectorState};
use crate::tui::widgets::{HistogramChart, Theme, confusion_table, metrics_lines, slider_line};

/// Histogram, slider and confusion matrix of one detector.
pub(super) fn draw(frame: &mut Frame, area: Rect, app: &App, kind: DetectorKind, theme: Theme) {
    let panel = app.panel(kind);
    let [chart, controls] =
        Layout::vertical([Constraint::Min(6), Constraint::Length(7)]).areas(area);
    draw_histogram(
        frame,
        chart,
        panel,
        kind == DetectorKind::Autoencoder && app.log_errors,
        theme,
    );
    draw_controls(frame, controls, panel, app, theme);
}

fn draw_histogram(frame: &mut Frame, area: Rect, panel: &DetectorPanel, log: bool, theme: Theme) {
    let what = match panel.kind {
        DetectorKind::Iforest => "Anomaly scores",
        DetectorKind::Autoencoder => "Reconstruction errors",
        DetectorKind::Fused => "Fused surprises",
    };
    let title = Line::from(vec![
        Span::raw(format!(
            " {what} of the test rows{} · ",
            if log { " (log x)" } else { "" }
        )),
        Span::styled("normal", theme.normal()),
        Span::raw(" "),
        Span::styled("attack", theme.attack()),
        Span::raw(" "),
        Span::styled("│ threshold", theme.threshold()),
        Span::raw(" · bar height log(count) "),
    ]);
    let block = Block::bordered().title(title);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if panel.result.is_none() {
        frame.render_widget(
            Paragraph::new(state_text_simple(panel)).alignment(Alignment::Center),
            inner,
        );
        return;
    }
    let histogram = if log {
        &panel.log_histogram
    } else {
        &panel.histogram
    };
    let [bars, axis] = Layout::vertical([Constraint::Min(2), Constraint::Length(1)]).areas(inner);
    frame.render_widget(
        HistogramChart {
            histogram,
            threshold: panel.threshold.map(|t| t.value),
            theme,
        },
        bars,
    );
    let lo = format!("{:.4}", histogram.score_at(0.0));
    let mid = format!("{:.4}", histogram.score_at(0.5));
    let hi = format!("{:.4}", histogram.score_at(1.0));
    let w = axis.width as usize;
    let pad = w.saturating_sub(lo.len() + mid.len() + hi.len()) / 2;
    frame.render_widget(
        Paragraph::new(Line::styled(
            format!(
                "{lo}{}{mid}{}{hi}",
                " ".repeat(pad),
                " ".repeat(w.saturating_sub(lo.len() + mid.len() + hi.len() + pad))
            ),
            theme.dim(),
        )),
        axis,
    );
}

fn state_text_simple(panel: &DetectorPanel) -> String {
    match &panel.state {
        DetectorState::Waiting => "waiting for the data …".into(),
        DetectorState::Training => "training …".into(),
        DetectorState::Ready => String::new(),
        DetectorState::Failed(m) => format!("failed: {m}"),
    }
}

fn draw_controls(frame: &mut Frame, area: Rect, panel: &DetectorPanel, app: &App, theme: Theme) {
    let [slider, confusion] =
        Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(area);
    let title = match panel.kind {
        DetectorKind::Iforest => " Contamination (←/→ fine, S-←/→ coarse) ".to_owned(),
        DetectorKind::Autoencoder => {
            format!(" Threshold: {} (m switches mode) ", panel.mode.name())
        }
        DetectorKind::Fused => format!(
            " Threshold: {} (←/→ fine, S-←/→ coarse) ",
            panel.mode.name()
        ),
    };
    let block = titled(title, slider);
    let inner = block.inner(slider);
    frame.render_widget(block, slider);
    let mut lines = vec![slider_line(panel.knob(), inner.width as usize, theme)];
    if let Some(t) = panel.threshold {
        lines.push(Line::raw(format!(
            "rule: {}",
            rule_text(t.rule, reference_rows(panel))
        )));
        let value = format!("{:.6}", t.value);
        // As many digits as the rule's own percentage.
        let flags = match (t.expected_false_alarm_rate, reference_rows(panel)) {
            (Some(rate), _) => format!("expected false alarms {}", percent(rate)),
            (None, rows) => format!("flags {} of {rows}", percent(t.training_contamination)),
        };
        // One line when it fits, else two: never a cut figure.
        if 10 + value.len() + 3 + flags.chars().count() <= inner.width as usize {
            lines.push(Line::from(vec![
                Span::raw("threshold "),
                Span::styled(value, theme.threshold()),
                Span::raw(format!(" · {flags}")),
            ]));
        } else {
            lines.push(Line::from(vec![
                Span::raw("threshold "),
                Span::styled(value, theme.threshold()),
            ]));
            lines.push(Line::raw(flags));
        }
        if let Some(test) = &app.test {
            lines.push(Line::raw(format!(
                "flags {} of {} test rows",
                thousands(panel.flagged as u64),
                thousands(test.rows.len() as u64)
            )));
        }
        // What the expectation came to on the test's own normal rows.
        if let Some((c, rate)) = panel
            .confusion
            .and_then(|c| Some((c, c.false_alarm_rate()?)))
        {
            lines.push(Line::raw(format!(
                "false alarms on test normals {} ({} of {})",
                percent(rate),
                thousands(c.fp),
                thousands(c.fp + c.tn)
            )));
        }
    } else {
        lines.push(Line::styled(state_text_simple(panel), theme.dim()));
    }
    // Wrapped at spaces (the slider line is exactly as wide as the panel).
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);

    let block = titled(" Confusion matrix (test rows) ", confusion);
    let inner = block.inner(confusion);
    frame.render_widget(block, confusion);
    match panel.confusion {
        Some(c) => {
            let [table, metrics] =
                Layout::vertical([Constraint::Length(3), Constraint::Length(2)]).areas(inner);
            frame.render_widget(confusion_table(&c, theme), table);
            frame.render_widget(
                Paragraph::new(metrics_lines(&c, metrics.width as usize)),
                metrics,
            );
        }
        None => frame.render_widget(
            Paragraph::new(if panel.result.is_some() {
                "no labels: nothing to compare with"
            } else {
                ""
            }),
            inner,
        ),
    }
}

/// Which rows a threshold's flagged share is counted on.
fn reference_rows(panel: &DetectorPanel) -> &'static str {
    match panel
        .result
        .as_ref()
        .map(|r| r.reference.calibration.is_some())
    {
        Some(true) => "calibration rows",
        _ => "training rows",
    }
}

/// A rule at the slider's precision: `contamination 1%`, `99th percentile`,
/// `mean + 2.0σ`, `manual 0.0257`.
fn rule_text(rule: crate::eval::threshold::ThresholdRule, rows: &str) -> String {
    use crate::eval::threshold::ThresholdRule as R;
    // "calibration rows" → "calibration scores".
    let scores = rows.replace("rows", "scores");
    match rule {
        R::Contamination { contamination } => {
            format!("contamination {} of {rows}", percent(contamination))
        }
        R::Percentile { percentile } => {
            format!("{} percentile of {scores}", ordinal(percentile))
        }
        R::MeanStd { k } => format!("mean + {k:.2}σ of {scores}"),
        R::Manual { value } => format!("manual {}", significant(value, 4)),
    }
}

fn percent(fraction: f64) -> String {
    format!("{}%", significant(fraction * 100.0, 3))
}

/// `99th`, `1st`, `92nd`, `98.9th`.
fn ordinal(percentile: f64) -> String {
    let text = significant(percentile, 4);
    let suffix = match text.parse::<u64>() {
        Ok(n) if (11..=13).contains(&(n % 100)) => "th",
        Ok(n) if n % 10 == 1 => "st",
        Ok(n) if n % 10 == 2 => "nd",
        Ok(n) if n % 10 == 3 => "rd",
        _ => "th",
    };
    format!("{text}{suffix}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_read_as_ordinals_and_percentages_alike() {
        assert_eq!(ordinal(99.0), "99th");
        assert_eq!(ordinal(91.0), "91st");
        assert_eq!(ordinal(92.0), "92nd");
        assert_eq!(ordinal(93.0), "93rd");
        assert_eq!(ordinal(11.0), "11th");
        assert_eq!(ordinal(98.8778), "98.88th");
        assert_eq!(percent(0.011220184543), "1.12%");
        assert_eq!(percent(0.01125), "1.12%");
    }
}
