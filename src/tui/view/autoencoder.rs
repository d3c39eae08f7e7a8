//! The Autoencoder tab: the loss curves while it trains, the training figures, and its
//! detector panel.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Axis, Chart, Dataset as Series, GraphType, Paragraph, Wrap};

use super::detector_panel;
use super::text::{state_text, titled};
use crate::detect::DetectorKind;
use crate::detect::autoencoder::StopReason;
use crate::format::thousands;
use crate::tui::app::App;
use crate::tui::detector_panel::DetectorState;
use crate::tui::progress::TrainingProgress;
use crate::tui::widgets::Theme;

pub(super) fn draw(frame: &mut Frame, area: Rect, app: &App, theme: Theme) {
    let [top, bottom] =
        Layout::vertical([Constraint::Percentage(45), Constraint::Min(13)]).areas(area);
    let [loss, info] =
        Layout::horizontal([Constraint::Percentage(70), Constraint::Percentage(30)]).areas(top);
    draw_loss(frame, loss, app.shown_progress(), theme);
    let p = &app.progress;
    let mut lines = vec![Line::raw(state_text(&app.autoencoder, app))];
    lines.extend(training_lines(p, theme));
    if let Some(left) = p.time_left()
        && app.autoencoder.state == DetectorState::Training
    {
        lines.push(Line::raw(format!(
            "  {} (all epochs; early stopping may end sooner)",
            crate::format::time_left(left.as_secs_f64())
        )));
    }
    if let Some((stop, seconds)) = p.finished {
        lines.push(Line::raw(format!(
            "  {} after {} epochs, {seconds:.1} s",
            match stop {
                StopReason::Completed => "completed",
                StopReason::EarlyStopped => "stopped early",
                StopReason::Cancelled => "cancelled",
            },
            p.epoch
        )));
    }
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(titled(" Training ", info)),
        info,
    );
    detector_panel::draw(frame, bottom, app, DetectorKind::Autoencoder, theme);
}

pub(super) fn training_lines(p: &TrainingProgress, theme: Theme) -> Vec<Line<'static>> {
    if p.epochs == 0 {
        return Vec::new();
    }
    let mut lines = vec![Line::styled(
        format!(
            "  {} rows · {} parameters · {} backend",
            thousands(p.rows as u64),
            thousands(p.parameters as u64),
            p.backend
        ),
        theme.dim(),
    )];
    if let Some(&(epoch, train, validation)) = p.epoch_losses.last() {
        lines.push(Line::raw(format!(
            "  epoch {epoch}: loss {train:.5}{} · best epoch {}",
            validation.map_or(String::new(), |v| format!(", validation {v:.5}")),
            p.best_epoch
        )));
    }
    lines.push(Line::styled(
        format!("  {} rows/s", thousands(p.rows_per_second as u64)),
        theme.dim(),
    ));
    lines
}

fn draw_loss(frame: &mut Frame, area: Rect, p: &TrainingProgress, theme: Theme) {
    // log₁₀ of the loss: it falls over orders of magnitude.
    let log = |v: f64| v.max(1e-12).log10();
    let train: Vec<(f64, f64)> = p
        .epoch_losses
        .iter()
        .map(|&(e, t, _)| (e as f64, log(t)))
        .collect();
    let validation: Vec<(f64, f64)> = p
        .epoch_losses
        .iter()
        .filter_map(|&(e, _, v)| v.map(|v| (e as f64, log(v))))
        .collect();
    let batches: Vec<(f64, f64)> = p.batch_losses.iter().map(|&(x, l)| (x, log(l))).collect();
    let all = train.iter().chain(&validation).chain(&batches);
    let (lo, hi) = all.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &(_, y)| {
        (lo.min(y), hi.max(y))
    });
    let (lo, hi) = if lo.is_finite() && hi > lo {
        (lo.floor(), hi.ceil())
    } else {
        (-3.0, 0.0)
    };
    let x_max = (p.epoch as f64 + 1.0).max(2.0);
    let series = vec![
        Series::default()
            .name("batch (running)")
            .marker(theme.marker)
            .graph_type(GraphType::Scatter)
            .style(theme.dim())
            .data(&batches),
        Series::default()
            .name("train")
            .marker(theme.marker)
            .graph_type(GraphType::Line)
            .style(theme.autoencoder())
            .data(&train),
        Series::default()
            .name("validation")
            .marker(theme.marker)
            .graph_type(GraphType::Line)
            .style(theme.validation())
            .data(&validation),
    ];
    let y_labels: Vec<Line> = [lo, (lo + hi) / 2.0, hi]
        .iter()
        .map(|&v| Line::raw(format!("{:.0e}", 10f64.powf(v))))
        .collect();
    let chart = Chart::new(series)
        .block(titled(" Loss (MSE, log scale) per epoch ", area))
        .x_axis(
            Axis::default()
                .bounds([0.0, x_max])
                .labels(vec![
                    Line::raw("0"),
                    // The axis runs one epoch past the last, for the running batches.
                    Line::raw(format!("{} epochs", p.epoch.max(1))),
                ])
                .style(theme.dim()),
        )
        .y_axis(
            Axis::default()
                .bounds([lo, hi])
                .labels(y_labels)
                .style(theme.dim()),
        )
        .legend_position(Some(ratatui::widgets::LegendPosition::TopRight))
        .hidden_legend_constraints((Constraint::Percentage(60), Constraint::Percentage(70)));
    frame.render_widget(chart, area);
}
