//! The Overview tab: the data, the detectors' state and training progress, what they
//! catch by family and where they agree, and the test metrics.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Gauge, Paragraph, Row, Table, Wrap};

use super::text::{Columns, state_text, titled};
use super::{autoencoder, compare};
use crate::data::Family;
use crate::detect::autoencoder::StopReason;
use crate::format::{METRICS_HEADER, four_decimals, thousands};
use crate::tui::app::App;
use crate::tui::detector_panel::DetectorState;
use crate::tui::progress::TrainingProgress;
use crate::tui::widgets::Theme;

pub(super) fn draw(frame: &mut Frame, area: Rect, app: &App, theme: Theme) {
    let [top, middle, bottom] = Layout::vertical([
        Constraint::Length(11),
        Constraint::Min(0),
        Constraint::Length(6),
    ])
    .areas(area);
    let [data, detectors] =
        Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(top);
    // What the detectors catch, by family, and where they agree.
    if middle.height >= 4 {
        let [families, agreement] =
            Layout::horizontal([Constraint::Percentage(55), Constraint::Percentage(45)])
                .areas(middle);
        compare::draw_families(frame, families, app, theme);
        compare::draw_agreement(frame, agreement, app, theme);
    }

    let mut lines = Vec::new();
    match &app.test {
        None => lines.push(Line::styled(app.status.clone(), theme.dim())),
        Some(t) => {
            let mut parts = vec![
                format!("{} rows", thousands(t.source_rows as u64)),
                format!("trained on {}", thousands(t.train_rows as u64)),
            ];
            if t.calibration_rows > 0 {
                parts.push(format!(
                    "thresholds on {}",
                    thousands(t.calibration_rows as u64)
                ));
            }
            parts.push(format!("tested on {}", thousands(t.rows.len() as u64)));
            let width = data.width.saturating_sub(2) as usize;
            lines.extend(
                crate::tui::widgets::pack(&parts, " · ", width)
                    .into_iter()
                    .map(Line::raw),
            );
            lines.push(Line::raw(format!(
                "{} encoded columns · protocol {}",
                t.encoder.n_columns(),
                t.protocol.name()
            )));
            if t.synthetic {
                lines.push(Line::styled(
                    "synthetic traffic (--data FILE for real data)",
                    theme.threshold(),
                ));
            }
            if t.families.is_empty() {
                lines.push(Line::raw(""));
                lines.push(Line::raw("no labels: metrics need labelled data"));
            } else {
                lines.push(Line::styled(
                    "rows by family (bars on a log scale)",
                    theme.dim(),
                ));
            }
            let total = t.source_rows.max(1) as f64;
            // The bar takes what the name, count and share leave (up to 20 columns).
            let bar_width = width.saturating_sub(8 + 1 + 9 + 8).clamp(4, 20);
            for &(family, n) in t.families.iter().filter(|(_, n)| *n > 0) {
                let share = n as f64 / total;
                let bar = "█".repeat(log_bar(n, t.source_rows, bar_width));
                let style = if family == Family::Normal {
                    theme.normal()
                } else {
                    theme.attack()
                };
                lines.push(Line::from(vec![
                    Span::raw(format!("{:<8}", family.name())),
                    Span::styled(format!("{bar:<w$}", w = bar_width + 1), style),
                    Span::raw(format!(
                        "{:>9} {:>6.2}%",
                        thousands(n as u64),
                        share * 100.0
                    )),
                ]));
            }
        }
    }
    frame.render_widget(
        // Wrapped at spaces: on a narrow screen text moves down instead of being cut.
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(titled(" Data ", data)),
        data,
    );

    let block = titled(" Detectors ", detectors);
    let inner = block.inner(detectors);
    frame.render_widget(block, detectors);
    let [forest, ae_line, gauge, ae_info, fused] = Layout::vertical([
        Constraint::Length(2),
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Min(1),
        Constraint::Length(1),
    ])
    .areas(inner);
    frame.render_widget(
        Paragraph::new(vec![
            Line::from(vec![
                Span::styled("Isolation Forest ", theme.iforest()),
                Span::raw(state_text(&app.iforest, app)),
            ]),
            Line::styled(
                app.iforest
                    .result
                    .as_ref()
                    .map(|r| format!("  fitted in {:.2} s", r.fit_seconds))
                    .unwrap_or_default(),
                theme.dim(),
            ),
        ]),
        forest,
    );
    frame.render_widget(
        Paragraph::new(Line::from(vec![
            Span::styled("Fused ", theme.fused()),
            Span::raw(match app.fused.state {
                DetectorState::Waiting => "waits for both detectors".into(),
                _ => state_text(&app.fused, app),
            }),
        ])),
        fused,
    );
    frame.render_widget(
        Paragraph::new(Line::from(vec![
            Span::styled("Autoencoder ", theme.autoencoder()),
            Span::raw(state_text(&app.autoencoder, app)),
        ])),
        ae_line,
    );
    let p = &app.progress;
    frame.render_widget(
        Gauge::default()
            // A cancelled training keeps its last epoch's model: the bar shows how far
            // it got, not a full run.
            .ratio(
                if app.autoencoder.state == DetectorState::Ready
                    && !matches!(p.finished, Some((StopReason::Cancelled, _)))
                {
                    1.0
                } else {
                    p.fraction()
                },
            )
            .label(progress_label(
                p,
                app.autoencoder.state == DetectorState::Ready,
            ))
            .gauge_style(theme.autoencoder()),
        gauge,
    );
    frame.render_widget(
        // Wrapped at spaces: a figure is never cut at the panel's edge.
        Paragraph::new(autoencoder::training_lines(p, theme)).wrap(Wrap { trim: false }),
        ae_info,
    );

    draw_headline(frame, bottom, app, theme);
}

fn progress_label(p: &TrainingProgress, ready: bool) -> String {
    if ready {
        return match p.finished {
            Some((StopReason::EarlyStopped, s)) => {
                format!("stopped early at epoch {} ({s:.1} s)", p.epoch)
            }
            Some((StopReason::Cancelled, s)) => {
                format!("cancelled at epoch {} of {} ({s:.1} s)", p.epoch, p.epochs)
            }
            Some((_, s)) => format!("{} epochs ({s:.1} s)", p.epoch),
            None => "ready".into(),
        };
    }
    match p.time_left() {
        Some(left) => format!(
            "{:.0}% · {}",
            p.fraction() * 100.0,
            crate::format::time_left(left.as_secs_f64())
        ),
        None => format!("{:.0}%", p.fraction() * 100.0),
    }
}

/// A bar's length for `n` of `total` rows on a log scale, so 52 rows and 4,107 look
/// different beside 400,000 (a linear bar gives both one block); any row gets one.
fn log_bar(n: usize, total: usize, width: usize) -> usize {
    if n == 0 {
        return 0;
    }
    let t = ((n as f64 + 1.0).ln() / (total.max(n) as f64 + 1.0).ln()).clamp(0.0, 1.0);
    ((t * width as f64).round() as usize).clamp(1, width)
}

/// A figure on screen, or a dash before there is one.
fn figure(v: Option<f64>) -> String {
    four_decimals(v, "–")
}

fn draw_headline(frame: &mut Frame, area: Rect, app: &App, theme: Theme) {
    // Each column as wide as its heading or its widest figure, so 80 columns hold
    // the whole table.
    let widths = [
        Constraint::Length(11),
        Constraint::Length(7),
        Constraint::Length(6),
        Constraint::Length(9),
        Constraint::Length(6),
        Constraint::Length(6),
        Constraint::Length(9),
        Constraint::Length(10),
    ];
    let columns = Columns::new(&widths, area);
    let rows: Vec<Row> = app
        .panels()
        .into_iter()
        .map(|panel| {
            let c = panel.confusion;
            let style = theme.detector(panel.kind);
            let figures = [
                figure(panel.roc_auc()),
                figure(panel.average_precision()),
                figure(c.map(|c| c.precision())),
                figure(c.map(|c| c.recall())),
                figure(c.map(|c| c.f1())),
                if panel.result.is_some() {
                    thousands(panel.flagged as u64)
                } else {
                    "–".into()
                },
                panel
                    .threshold
                    .map_or("–".into(), |t| format!("{:.4}", t.value)),
            ];
            Row::new(
                std::iter::once(columns.cell(0, panel.kind.name(), style)).chain(
                    figures
                        .into_iter()
                        .enumerate()
                        .map(|(i, f)| columns.cell(i + 1, f, Style::new())),
                ),
            )
        })
        .collect();
    frame.render_widget(
        Table::new(rows, widths)
            .header(
                Row::new(columns.texts(METRICS_HEADER.into_iter().chain(["flagged", "threshold"])))
                    .style(theme.title()),
            )
            .block(titled(" Test metrics (live) ", area)),
        area,
    );
}

#[cfg(test)]
mod tests {
    use super::log_bar;

    #[test]
    fn family_bars_tell_small_counts_apart() {
        // The 10% file's families: 52 u2r and 4,107 probe rows of 494,021.
        let (u2r, probe, dos) = (
            log_bar(52, 494_021, 20),
            log_bar(4_107, 494_021, 20),
            log_bar(391_458, 494_021, 20),
        );
        assert!(u2r < probe && probe < dos, "{u2r} {probe} {dos}");
        assert_eq!(log_bar(494_021, 494_021, 20), 20);
        assert_eq!(log_bar(1, 494_021, 20), 1);
        assert_eq!(log_bar(0, 494_021, 20), 0);
    }
}
