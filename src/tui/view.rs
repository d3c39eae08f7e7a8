//! Drawing: a pure function of the state, one function per panel.

mod live;

use ratatui::Frame;
use ratatui::layout::{Alignment, Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span, Text};
use ratatui::widgets::{
    Axis, Block, Cell, Chart, Clear, Dataset as Series, Gauge, GraphType, Paragraph, Row, Table,
    TableState, Tabs, Wrap,
};

use super::app::{App, DetectorPanel, DetectorState, Tab, TrainingProgress, tab_titles};
use super::keymap::{self, Scope};
use super::widgets::{HistogramChart, Theme, confusion_table, metrics_line, slider_line};
use crate::data::Family;
use crate::data::schema::FEATURES;
use crate::detect::autoencoder::StopReason;
use crate::eval::protocol::DetectorKind;
use crate::format::{significant, thousands};

/// Draws the whole screen.
pub fn draw(frame: &mut Frame, app: &App, theme: Theme) {
    let area = frame.area();
    if area.width < super::app::MIN_WIDTH || area.height < super::app::MIN_HEIGHT {
        let text = format!(
            "terminal too small: {}×{}\nnetanomaly needs at least {}×{}\n\nq quits",
            area.width,
            area.height,
            super::app::MIN_WIDTH,
            super::app::MIN_HEIGHT
        );
        frame.render_widget(
            Paragraph::new(text)
                .alignment(Alignment::Center)
                .wrap(Wrap { trim: true }),
            area,
        );
        return;
    }
    let [header, tabs, body, status, footer] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Min(10),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(area);
    draw_header(frame, header, app, theme);
    frame.render_widget(
        Tabs::new(tab_titles(area.width))
            .select(Tab::ALL.iter().position(|&t| t == app.tab))
            .highlight_style(theme.selected())
            .divider("│"),
        tabs,
    );
    let body = match &app.error {
        Some(message) => {
            let [error, rest] =
                Layout::vertical([Constraint::Length(4), Constraint::Min(6)]).areas(body);
            frame.render_widget(
                Paragraph::new(Text::from(vec![
                    Line::styled(message.clone(), theme.error()),
                    Line::raw("r retrains · q quits"),
                ]))
                .wrap(Wrap { trim: true })
                .block(Block::bordered().title("Error").border_style(theme.error())),
                error,
            );
            rest
        }
        None => body,
    };
    match app.tab {
        Tab::Live => live::draw(frame, body, app, theme),
        _ if !app.has_data => draw_no_data(frame, body, theme),
        Tab::Overview => draw_overview(frame, body, app, theme),
        Tab::Iforest => draw_detector(frame, body, app, DetectorKind::Iforest, theme),
        Tab::Autoencoder => draw_autoencoder(frame, body, app, theme),
        Tab::Compare => draw_compare(frame, body, app, theme),
        Tab::Flagged => draw_flagged(frame, body, app, theme),
    }
    frame.render_widget(
        Paragraph::new(Line::from(Span::styled(app.status.clone(), theme.dim()))),
        status,
    );
    draw_footer(frame, footer, app, theme);
    if app.help {
        draw_help(frame, area, theme);
    }
}

/// A tab that evaluates `--data` when there is none (`--monitor` alone).
fn draw_no_data(frame: &mut Frame, area: Rect, theme: Theme) {
    frame.render_widget(
        Paragraph::new(vec![
            Line::styled("No data to evaluate.", theme.title()),
            Line::raw(""),
            Line::raw(
                "This tab trains on or scores --data FILE; the dashboard was started without it.",
            ),
            Line::raw("Live traffic is on the 6 Live tab."),
        ])
        .wrap(Wrap { trim: true })
        .block(Block::bordered()),
        area,
    );
}

fn draw_header(frame: &mut Frame, area: Rect, app: &App, theme: Theme) {
    let mut spans = vec![
        Span::styled("netanomaly", theme.title()),
        Span::raw(" · "),
        Span::styled(
            app.source.clone(),
            if app.synthetic {
                theme.threshold()
            } else {
                Style::new()
            },
        ),
        match &app.settings.bundle {
            Some(path) => Span::raw(format!(" · saved model {}", path.display())),
            None => Span::raw(format!(
                " · protocol {} · seed {} · autoencoder {}",
                app.settings.protocol.name(),
                app.settings.seed,
                match app.preset {
                    crate::detect::autoencoder::Preset::Default => "default",
                    crate::detect::autoencoder::Preset::Reference => "reference",
                }
            )),
        },
    ];
    if app.training {
        spans.push(Span::styled(" · training", theme.validation()));
    }
    if app.paused {
        spans.push(Span::styled(" · curves paused", theme.validation()));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

fn draw_footer(frame: &mut Frame, area: Rect, app: &App, theme: Theme) {
    let mut spans = Vec::new();
    for b in keymap::visible(Some(app.tab), true) {
        if !spans.is_empty() {
            spans.push(Span::raw("  "));
        }
        spans.push(Span::styled(b.label, theme.title()));
        spans.push(Span::raw(" "));
        spans.push(Span::styled(b.short, theme.dim()));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

fn draw_help(frame: &mut Frame, area: Rect, theme: Theme) {
    let mut lines = Vec::new();
    for scope in [
        Scope::Global,
        Scope::Slider,
        Scope::Autoencoder,
        Scope::Table,
        Scope::Flagged,
    ] {
        lines.push(Line::styled(scope.title(), theme.title()));
        for b in keymap::visible(None, false).filter(|b| b.scope == scope) {
            lines.push(Line::from(vec![
                Span::styled(format!("  {:<22}", b.label), theme.threshold()),
                Span::raw(b.help),
            ]));
        }
        lines.push(Line::raw(""));
    }
    lines.push(Line::styled(
        "Mouse: click a tab; scroll the flagged rows and live alerts. Any key closes this help.",
        theme.dim(),
    ));
    let height = (lines.len() as u16 + 2).min(area.height);
    let width = 92.min(area.width);
    let popup = Rect {
        x: area.x + (area.width - width) / 2,
        y: area.y + (area.height - height) / 2,
        width,
        height,
    };
    frame.render_widget(Clear, popup);
    frame.render_widget(
        Paragraph::new(lines).block(Block::bordered().title(" Keys (?) ")),
        popup,
    );
}

fn state_text(panel: &DetectorPanel, app: &App) -> String {
    match &panel.state {
        DetectorState::Waiting => "waiting".into(),
        DetectorState::Training if panel.kind == DetectorKind::Autoencoder => {
            let p = &app.progress;
            if p.epochs == 0 {
                "starting …".into()
            } else {
                format!(
                    "training: epoch {}/{}",
                    (p.epoch + 1).min(p.epochs),
                    p.epochs
                )
            }
        }
        DetectorState::Training => "training …".into(),
        DetectorState::Ready => "ready".into(),
        DetectorState::Failed(m) => format!("failed: {m}"),
    }
}

fn draw_overview(frame: &mut Frame, area: Rect, app: &App, theme: Theme) {
    let [top, middle, bottom] = Layout::vertical([
        Constraint::Length(11),
        Constraint::Min(0),
        Constraint::Length(5),
    ])
    .areas(area);
    let [data, detectors] =
        Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(top);
    // What the detectors catch, by family, and where they agree.
    if middle.height >= 4 {
        let [families, agreement] =
            Layout::horizontal([Constraint::Percentage(55), Constraint::Percentage(45)])
                .areas(middle);
        draw_families(frame, families, app, theme);
        draw_agreement(frame, agreement, app, theme);
    }

    let mut lines = Vec::new();
    match &app.test {
        None => lines.push(Line::styled(app.status.clone(), theme.dim())),
        Some(t) => {
            lines.push(Line::raw(format!(
                "{} rows · trained on {} · tested on {}",
                thousands(t.source_rows as u64),
                thousands(t.train_rows as u64),
                thousands(t.rows.len() as u64)
            )));
            lines.push(Line::raw(format!(
                "{} encoded columns · protocol {}",
                t.encoder.n_columns(),
                t.protocol.name()
            )));
            if t.synthetic {
                lines.push(Line::styled(
                    "synthetic traffic from the built-in generator (pass --data FILE for real data)",
                    theme.threshold(),
                ));
            }
            lines.push(Line::raw(""));
            if t.families.is_empty() {
                lines.push(Line::raw("no labels: metrics need labelled data"));
            }
            let total = t.source_rows.max(1) as f64;
            for &(family, n) in t.families.iter().filter(|(_, n)| *n > 0) {
                let share = n as f64 / total;
                let bar = "█".repeat(((share * 20.0).round() as usize).max(usize::from(n > 0)));
                let style = if family == Family::Normal {
                    theme.normal()
                } else {
                    theme.attack()
                };
                lines.push(Line::from(vec![
                    Span::raw(format!("{:<8}", family.name())),
                    Span::styled(format!("{bar:<21}"), style),
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
        Paragraph::new(lines).block(Block::bordered().title(" Data ")),
        data,
    );

    let block = Block::bordered().title(" Detectors ");
    let inner = block.inner(detectors);
    frame.render_widget(block, detectors);
    let [forest, ae_line, gauge, ae_info] = Layout::vertical([
        Constraint::Length(2),
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Min(1),
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
            Span::styled("Autoencoder ", theme.autoencoder()),
            Span::raw(state_text(&app.autoencoder, app)),
        ])),
        ae_line,
    );
    let p = &app.progress;
    frame.render_widget(
        Gauge::default()
            .ratio(if app.autoencoder.state == DetectorState::Ready {
                1.0
            } else {
                p.fraction()
            })
            .label(progress_label(
                p,
                app.autoencoder.state == DetectorState::Ready,
            ))
            .gauge_style(theme.autoencoder()),
        gauge,
    );
    frame.render_widget(Paragraph::new(training_lines(p, theme)), ae_info);

    draw_headline(frame, bottom, app, theme);
}

fn progress_label(p: &TrainingProgress, ready: bool) -> String {
    if ready {
        return match p.finished {
            Some((StopReason::EarlyStopped, s)) => {
                format!("stopped early at epoch {} ({s:.1} s)", p.epoch)
            }
            Some((_, s)) => format!("{} epochs ({s:.1} s)", p.epoch),
            None => "ready".into(),
        };
    }
    match p.time_left() {
        Some(left) => format!(
            "{:.0}% · ≤ {} left",
            p.fraction() * 100.0,
            crate::format::duration(left.as_secs_f64())
        ),
        None => format!("{:.0}%", p.fraction() * 100.0),
    }
}

fn training_lines(p: &TrainingProgress, theme: Theme) -> Vec<Line<'static>> {
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

fn opt4(v: Option<f64>) -> String {
    v.map_or("–".into(), |v| format!("{v:.4}"))
}

fn draw_headline(frame: &mut Frame, area: Rect, app: &App, theme: Theme) {
    let rows: Vec<Row> = [&app.iforest, &app.autoencoder]
        .into_iter()
        .map(|panel| {
            let c = panel.confusion;
            let style = match panel.kind {
                DetectorKind::Iforest => theme.iforest(),
                DetectorKind::Autoencoder => theme.autoencoder(),
            };
            Row::new(vec![
                Cell::from(panel.kind.name()).style(style),
                Cell::from(opt4(panel.roc_auc)),
                Cell::from(opt4(panel.average_precision)),
                Cell::from(opt4(c.map(|c| c.precision()))),
                Cell::from(opt4(c.map(|c| c.recall()))),
                Cell::from(opt4(c.map(|c| c.f1()))),
                Cell::from(if panel.result.is_some() {
                    thousands(panel.flagged as u64)
                } else {
                    "–".into()
                }),
                Cell::from(
                    panel
                        .threshold
                        .map_or("–".into(), |t| format!("{:.4}", t.value)),
                ),
            ])
        })
        .collect();
    let widths = [
        Constraint::Length(12),
        Constraint::Length(8),
        Constraint::Length(8),
        Constraint::Length(9),
        Constraint::Length(8),
        Constraint::Length(8),
        Constraint::Length(10),
        Constraint::Length(10),
    ];
    frame.render_widget(
        Table::new(rows, widths)
            .header(
                Row::new(vec![
                    "detector",
                    "ROC AUC",
                    "PR AUC",
                    "precision",
                    "recall",
                    "F1",
                    "flagged",
                    "threshold",
                ])
                .style(theme.title()),
            )
            .block(Block::bordered().title(" Test metrics (live) ")),
        area,
    );
}

/// Histogram, slider and confusion matrix of one detector.
fn draw_detector(frame: &mut Frame, area: Rect, app: &App, kind: DetectorKind, theme: Theme) {
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
    };
    let block = Block::bordered().title(title);
    let inner = block.inner(slider);
    frame.render_widget(block, slider);
    let mut lines = vec![slider_line(panel.knob(), inner.width as usize, theme)];
    if let Some(t) = panel.threshold {
        lines.push(Line::raw(format!("rule: {}", rule_text(t.rule))));
        lines.push(Line::from(vec![
            Span::raw("threshold "),
            Span::styled(format!("{:.6}", t.value), theme.threshold()),
            Span::raw(format!(
                " · flags {:.3}% of training rows",
                t.training_contamination * 100.0
            )),
        ]));
        if let Some(test) = &app.test {
            lines.push(Line::raw(format!(
                "flags {} of {} test rows",
                thousands(panel.flagged as u64),
                thousands(test.rows.len() as u64)
            )));
        }
    } else {
        lines.push(Line::styled(state_text_simple(panel), theme.dim()));
    }
    frame.render_widget(Paragraph::new(lines), inner);

    let block = Block::bordered().title(" Confusion matrix (test rows) ");
    let inner = block.inner(confusion);
    frame.render_widget(block, confusion);
    match panel.confusion {
        Some(c) => {
            let [table, metrics] =
                Layout::vertical([Constraint::Length(3), Constraint::Length(2)]).areas(inner);
            frame.render_widget(confusion_table(&c, theme), table);
            frame.render_widget(Paragraph::new(metrics_line(&c)), metrics);
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

fn draw_autoencoder(frame: &mut Frame, area: Rect, app: &App, theme: Theme) {
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
            "  ≤ {} left (early stopping may end sooner)",
            crate::format::duration(left.as_secs_f64())
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
            .block(Block::bordered().title(" Training ")),
        info,
    );
    draw_detector(frame, bottom, app, DetectorKind::Autoencoder, theme);
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
        .block(Block::bordered().title(" Loss (MSE, log scale) per epoch "))
        .x_axis(
            Axis::default()
                .bounds([0.0, x_max])
                .labels(vec![
                    Line::raw("0"),
                    Line::raw(format!("{x_max:.0} epochs")),
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

fn draw_compare(frame: &mut Frame, area: Rect, app: &App, theme: Theme) {
    let [curves, tables] =
        Layout::vertical([Constraint::Percentage(60), Constraint::Percentage(40)]).areas(area);
    let [roc, pr] =
        Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(curves);
    let auc = |v: Option<f64>| v.map_or("–".into(), |v| format!("{v:.4}"));
    let roc_if: Vec<(f64, f64)> = app.iforest.roc.iter().map(|p| (p.fpr, p.tpr)).collect();
    let roc_ae: Vec<(f64, f64)> = app.autoencoder.roc.iter().map(|p| (p.fpr, p.tpr)).collect();
    let pr_if: Vec<(f64, f64)> = app
        .iforest
        .pr
        .iter()
        .map(|p| (p.recall, p.precision))
        .collect();
    let pr_ae: Vec<(f64, f64)> = app
        .autoencoder
        .pr
        .iter()
        .map(|p| (p.recall, p.precision))
        .collect();
    frame.render_widget(
        two_curves(
            "ROC".into(),
            "false positive rate",
            "true positive rate",
            &roc_if,
            &roc_ae,
            [
                format!("forest AUC {}", auc(app.iforest.roc_auc)),
                format!("autoencoder AUC {}", auc(app.autoencoder.roc_auc)),
            ],
            theme,
        ),
        roc,
    );
    frame.render_widget(
        two_curves(
            "Precision–recall".into(),
            "recall",
            "precision",
            &pr_if,
            &pr_ae,
            [
                format!("forest AP {}", auc(app.iforest.average_precision)),
                format!("autoencoder AP {}", auc(app.autoencoder.average_precision)),
            ],
            theme,
        ),
        pr,
    );

    let [agreement, families] =
        Layout::horizontal([Constraint::Percentage(45), Constraint::Percentage(55)]).areas(tables);
    draw_agreement(frame, agreement, app, theme);
    draw_families(frame, families, app, theme);
}

/// Both detectors' curves on one unit-square chart.
fn two_curves<'a>(
    title: String,
    x: &str,
    y: &str,
    a: &'a [(f64, f64)],
    b: &'a [(f64, f64)],
    names: [String; 2],
    theme: Theme,
) -> Chart<'a> {
    let [first, second] = names;
    let series = vec![
        Series::default()
            .name(first)
            .marker(theme.marker)
            .graph_type(GraphType::Line)
            .style(theme.iforest())
            .data(a),
        Series::default()
            .name(second)
            .marker(theme.marker)
            .graph_type(GraphType::Line)
            .style(theme.autoencoder())
            .data(b),
    ];
    let unit = || {
        Axis::default()
            .bounds([0.0, 1.0])
            .labels(vec![Line::raw("0"), Line::raw("0.5"), Line::raw("1")])
            .style(theme.dim())
    };
    Chart::new(series)
        .block(Block::bordered().title(format!(" {title} · x {x}, y {y} ")))
        .x_axis(unit())
        .y_axis(unit())
        // The legend carries the AUCs: keep it unless the chart is tiny.
        .legend_position(Some(ratatui::widgets::LegendPosition::BottomRight))
        .hidden_legend_constraints((Constraint::Percentage(90), Constraint::Percentage(60)))
}

fn draw_agreement(frame: &mut Frame, area: Rect, app: &App, theme: Theme) {
    let block = Block::bordered().title(" Agreement (test rows) ");
    let Some(counts) = app.counts.agreement else {
        frame.render_widget(
            Paragraph::new("waiting for both detectors …").block(block),
            area,
        );
        return;
    };
    let labelled = app.test.as_ref().is_some_and(|t| t.truth.is_some());
    let rows: Vec<Row> = ["both flag", "only forest", "only autoencoder", "neither"]
        .iter()
        .zip(counts)
        .map(|(name, (n, attacks))| {
            Row::new(vec![
                Cell::from(*name),
                Cell::from(thousands(n as u64)),
                Cell::from(if labelled {
                    format!("{:.1}%", 100.0 * attacks as f64 / n.max(1) as f64)
                } else {
                    "–".into()
                }),
            ])
        })
        .collect();
    frame.render_widget(
        Table::new(
            rows,
            [
                Constraint::Length(18),
                Constraint::Length(10),
                Constraint::Length(10),
            ],
        )
        .header(Row::new(vec!["", "rows", "attacks"]).style(theme.title()))
        .block(block),
        area,
    );
}

fn draw_families(frame: &mut Frame, area: Rect, app: &App, theme: Theme) {
    let block = Block::bordered().title(" Detection rate by family (test rows) ");
    if app.test.is_none() {
        frame.render_widget(block, area);
        return;
    }
    let rate = |flagged: Option<usize>, rows: usize| {
        flagged.map_or("–".into(), |n| {
            format!("{:.1}%", 100.0 * n as f64 / rows.max(1) as f64)
        })
    };
    let rows: Vec<Row> = app
        .counts
        .families
        .iter()
        .map(|&(family, rows, [forest, autoencoder])| {
            Row::new(vec![
                Cell::from(family.name()),
                Cell::from(thousands(rows as u64)),
                Cell::from(rate(forest, rows)).style(theme.iforest()),
                Cell::from(rate(autoencoder, rows)).style(theme.autoencoder()),
            ])
        })
        .collect();
    frame.render_widget(
        Table::new(
            rows,
            [
                Constraint::Length(8),
                Constraint::Length(10),
                Constraint::Length(8),
                Constraint::Length(12),
            ],
        )
        .header(Row::new(vec!["family", "rows", "forest", "autoencoder"]).style(theme.title()))
        .block(block),
        area,
    );
}

fn why_text(app: &App, kind: DetectorKind, position: usize, k: usize) -> String {
    app.flagged
        .why
        .get(&(kind, position))
        .map(|c| crate::detect::explain::summary(c, k))
        .unwrap_or_default()
}

fn draw_flagged(frame: &mut Frame, area: Rect, app: &App, theme: Theme) {
    let Some(test) = &app.test else {
        frame.render_widget(
            Paragraph::new("waiting for the data …").block(Block::bordered()),
            area,
        );
        return;
    };
    let t = &app.flagged;
    let title = format!(
        " {} flagged rows ({}; sorted by {} score) · f filter · o sort · Enter details ",
        thousands(t.rows.len() as u64),
        t.filter.name(),
        match t.sort_by {
            DetectorKind::Iforest => "forest",
            DetectorKind::Autoencoder => "autoencoder",
        }
    );
    let block = Block::bordered().title(title);
    let score = |panel: &DetectorPanel, i: usize| -> Cell<'static> {
        match (&panel.result, panel.is_flagged(i)) {
            (Some(r), Some(flag)) => {
                let text = format!("{:.4}{}", r.test_scores[i], if flag { " ●" } else { "" });
                Cell::from(text).style(if flag { theme.attack() } else { Style::new() })
            }
            _ => Cell::from("–"),
        }
    };
    let height = area.height.saturating_sub(3) as usize;
    let offset = t.selected.saturating_sub(height.saturating_sub(1));
    let rows: Vec<Row> = t
        .rows
        .iter()
        .enumerate()
        .skip(offset)
        .take(height.max(1))
        .map(|(_, &i)| {
            let r = test.rows[i];
            let why_kind = if app.autoencoder.is_flagged(i).unwrap_or(false)
                && (t.sort_by == DetectorKind::Autoencoder
                    || !app.iforest.is_flagged(i).unwrap_or(false))
            {
                DetectorKind::Autoencoder
            } else {
                DetectorKind::Iforest
            };
            Row::new(vec![
                Cell::from(thousands(r as u64 + 1)),
                Cell::from(test.data.label(r).unwrap_or("").to_owned()),
                Cell::from(test.data.family(r).map_or("", |f| f.name())),
                score(&app.iforest, i),
                score(&app.autoencoder, i),
                Cell::from(why_text(app, why_kind, i, 3)),
            ])
        })
        .collect();
    let widths = [
        Constraint::Length(9),
        Constraint::Length(16),
        Constraint::Length(7),
        Constraint::Length(10),
        Constraint::Length(12),
        Constraint::Min(20),
    ];
    let table = Table::new(rows, widths)
        .header(
            Row::new(vec![
                "row",
                "label",
                "family",
                "forest",
                "autoencoder",
                "why",
            ])
            .style(theme.title()),
        )
        .row_highlight_style(theme.selected())
        .block(block);
    let mut state = TableState::default().with_selected(Some(t.selected - offset));
    frame.render_stateful_widget(table, area, &mut state);
    if t.detail
        && let Some(&i) = t.rows.get(t.selected)
    {
        draw_detail(frame, area, app, i, theme);
    }
}

fn draw_detail(frame: &mut Frame, area: Rect, app: &App, position: usize, theme: Theme) {
    let Some(test) = &app.test else {
        return;
    };
    let r = test.rows[position];
    let popup = Rect {
        x: area.x + 2,
        y: area.y + 1,
        width: area.width.saturating_sub(4),
        height: area.height.saturating_sub(2),
    };
    frame.render_widget(Clear, popup);
    let block = Block::bordered().title(format!(
        " row {} · {} ({}) · Enter closes ",
        thousands(r as u64 + 1),
        test.data.label(r).unwrap_or("unlabelled"),
        test.data.family(r).map_or("–", |f| f.name())
    ));
    let inner = block.inner(popup);
    frame.render_widget(block, popup);
    let [fields, why] =
        Layout::horizontal([Constraint::Percentage(55), Constraint::Percentage(45)]).areas(inner);
    // The 41 fields in two columns.
    let values = test.data.fields(r);
    let half = FEATURES.len().div_ceil(2);
    let lines: Vec<Line> = (0..half)
        .map(|k| {
            let cell = |j: usize| {
                FEATURES.get(j).map_or(String::new(), |f| {
                    format!(
                        "{:<19} {:<10}",
                        truncate(f.name, 19),
                        truncate(&values[j], 10)
                    )
                })
            };
            Line::raw(format!("{} {}", cell(k), cell(k + half)))
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), fields);
    let mut lines = Vec::new();
    for panel in [&app.iforest, &app.autoencoder] {
        let (name, style) = match panel.kind {
            DetectorKind::Iforest => ("Isolation Forest", theme.iforest()),
            DetectorKind::Autoencoder => ("Autoencoder", theme.autoencoder()),
        };
        let Some(result) = &panel.result else {
            continue;
        };
        lines.push(Line::from(vec![
            Span::styled(name, style.add_modifier(Modifier::BOLD)),
            Span::raw(format!(
                " score {:.4}{}",
                result.test_scores[position],
                if panel.is_flagged(position) == Some(true) {
                    " · flagged"
                } else {
                    ""
                }
            )),
        ]));
        if let Some(list) = app.flagged.why.get(&(panel.kind, position)) {
            for c in list.iter().take(8) {
                let bar = "▇".repeat(((c.share * 12.0).round() as usize).max(1));
                lines.push(Line::from(vec![
                    Span::raw(format!("  {:<24} ", truncate(&c.feature, 24))),
                    Span::styled(format!("{bar:<12}"), style),
                    Span::raw(format!(" {:>4.0}%", c.share * 100.0)),
                ]));
            }
        }
        lines.push(Line::raw(""));
    }
    frame.render_widget(Paragraph::new(lines), why);
}

/// A rule at the slider's precision: `contamination 1%`, `99th percentile`,
/// `mean + 2.0σ`, `manual 0.0257`.
fn rule_text(rule: crate::eval::threshold::ThresholdRule) -> String {
    use crate::eval::threshold::ThresholdRule as R;
    match rule {
        R::Contamination { contamination } => {
            format!("contamination {} of training rows", percent(contamination))
        }
        R::Percentile { percentile } => {
            format!(
                "{} percentile of training errors",
                significant(percentile, 5)
            )
        }
        R::MeanStd { k } => format!("mean + {k:.2}σ of training errors"),
        R::Manual { value } => format!("manual {}", significant(value, 4)),
    }
}

fn percent(fraction: f64) -> String {
    format!("{}%", significant(fraction * 100.0, 3))
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_owned()
    } else {
        let mut t: String = s.chars().take(n.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}
