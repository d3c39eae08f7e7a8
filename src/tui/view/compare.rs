//! The Compare tab: both detectors' ROC and precision–recall curves, where they agree,
//! and their detection rate by family (the last two also on the Overview tab).

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Line;
use ratatui::widgets::{
    Axis, Block, Cell, Chart, Dataset as Series, GraphType, Paragraph, Row, Table,
};

use super::text::titled;
use crate::format::thousands;
use crate::tui::app::App;
use crate::tui::widgets::Theme;

pub(super) fn draw(frame: &mut Frame, area: Rect, app: &App, theme: Theme) {
    let [curves, tables] =
        Layout::vertical([Constraint::Percentage(60), Constraint::Percentage(40)]).areas(area);
    let [roc, pr] =
        Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(curves);
    let auc = |v: Option<f64>| v.map_or("–".into(), |v| format!("{v:.4}"));
    // ROC on a log false-positive axis: near AUC 1 the detectors differ below 1% false
    // alarms, which a linear axis squeezes into its first column.
    let log_fpr = |fpr: f64| fpr.max(MIN_FPR).log10();
    let roc_if: Vec<(f64, f64)> = app
        .iforest
        .roc()
        .iter()
        .map(|p| (log_fpr(p.fpr), p.tpr))
        .collect();
    let roc_ae: Vec<(f64, f64)> = app
        .autoencoder
        .roc()
        .iter()
        .map(|p| (log_fpr(p.fpr), p.tpr))
        .collect();
    // Where each threshold on screen operates.
    let at = |c: Option<crate::eval::metrics::Confusion>| {
        c.map(|c| vec![(log_fpr(c.fpr()), c.recall())])
            .unwrap_or_default()
    };
    let (at_if, at_ae) = (at(app.iforest.confusion), at(app.autoencoder.confusion));
    let pr_if: Vec<(f64, f64)> = app
        .iforest
        .pr()
        .iter()
        .map(|p| (p.recall, p.precision))
        .collect();
    let pr_ae: Vec<(f64, f64)> = app
        .autoencoder
        .pr()
        .iter()
        .map(|p| (p.recall, p.precision))
        .collect();
    let [first, second] = curve_series(
        &roc_if,
        &roc_ae,
        [
            format!("forest AUC {}", auc(app.iforest.roc_auc())),
            format!("autoencoder AUC {}", auc(app.autoencoder.roc_auc())),
        ],
        theme,
    );
    let points = |data, style| {
        Series::default()
            .marker(ratatui::symbols::Marker::Block)
            .graph_type(GraphType::Scatter)
            .style(style)
            .data(data)
    };
    let roc_chart = Chart::new(vec![
        first,
        second,
        points(&at_if, theme.iforest()),
        points(&at_ae, theme.autoencoder()),
    ])
    .block(titled(" ROC · x FPR (log), y TPR · █ each threshold ", roc))
    .x_axis(
        Axis::default()
            .bounds([MIN_FPR.log10(), 0.0])
            .labels(vec![
                Line::raw("1e-4"),
                Line::raw("1e-3"),
                Line::raw("1e-2"),
                Line::raw("0.1"),
                Line::raw("1"),
            ])
            .style(theme.dim()),
    )
    .y_axis(unit_axis(theme))
    .legend_position(Some(ratatui::widgets::LegendPosition::BottomRight))
    .hidden_legend_constraints((Constraint::Percentage(90), Constraint::Percentage(60)));
    frame.render_widget(roc_chart, roc);
    frame.render_widget(
        two_curves(
            "Precision–recall".into(),
            "recall",
            "precision",
            &pr_if,
            &pr_ae,
            [
                format!("forest AP {}", auc(app.iforest.average_precision())),
                format!(
                    "autoencoder AP {}",
                    auc(app.autoencoder.average_precision())
                ),
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

/// The smallest false-positive rate the ROC's log axis shows (1 in 10,000).
const MIN_FPR: f64 = 1e-4;

/// Both detectors' curves, in their colours, named by their legends.
fn curve_series<'a>(
    a: &'a [(f64, f64)],
    b: &'a [(f64, f64)],
    names: [String; 2],
    theme: Theme,
) -> [Series<'a>; 2] {
    let [first, second] = names;
    [
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
    ]
}

fn unit_axis(theme: Theme) -> Axis<'static> {
    Axis::default()
        .bounds([0.0, 1.0])
        .labels(vec![Line::raw("0"), Line::raw("0.5"), Line::raw("1")])
        .style(theme.dim())
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
    Chart::new(curve_series(a, b, names, theme).to_vec())
        .block(Block::bordered().title(format!(" {title} · x {x}, y {y} ")))
        .x_axis(unit_axis(theme))
        .y_axis(unit_axis(theme))
        // The legend carries the AUCs: keep it unless the chart is tiny.
        .legend_position(Some(ratatui::widgets::LegendPosition::BottomRight))
        .hidden_legend_constraints((Constraint::Percentage(90), Constraint::Percentage(60)))
}

pub(super) fn draw_agreement(frame: &mut Frame, area: Rect, app: &App, theme: Theme) {
    let block = titled(" Agreement (test rows) ", area);
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

pub(super) fn draw_families(frame: &mut Frame, area: Rect, app: &App, theme: Theme) {
    let block = titled(" Detection rate by family (test rows) ", area);
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
