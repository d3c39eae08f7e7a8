//! The Compare tab: the detectors' ROC and precision–recall curves, where they agree,
//! and their detection rate by family (the last two also on the Overview tab).

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Line;
use ratatui::widgets::{
    Axis, Block, Cell, Chart, Dataset as Series, GraphType, Paragraph, Row, Table,
};

use super::text::titled;
use crate::detect::DetectorKind;
use crate::format::thousands;
use crate::tui::app::App;
use crate::tui::detector_panel::DetectorPanel;
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
    let panels = app.panels();
    let roc_points: Vec<Vec<(f64, f64)>> = panels
        .iter()
        .map(|p| p.roc().iter().map(|r| (log_fpr(r.fpr), r.tpr)).collect())
        .collect();
    // Where each threshold on screen operates.
    let at_points: Vec<Vec<(f64, f64)>> = panels
        .iter()
        .map(|p| {
            p.confusion
                .map(|c| vec![(log_fpr(c.fpr()), c.recall())])
                .unwrap_or_default()
        })
        .collect();
    let pr_points: Vec<Vec<(f64, f64)>> = panels
        .iter()
        .map(|p| p.pr().iter().map(|r| (r.recall, r.precision)).collect())
        .collect();
    let name = |k: DetectorKind| match k {
        DetectorKind::Iforest => "forest",
        other => other.name(),
    };
    let mut roc_series = curve_series(
        &panels,
        &roc_points,
        |p| format!("{} AUC {}", name(p.kind), auc(p.roc_auc())),
        theme,
    );
    roc_series.extend(panels.iter().zip(&at_points).map(|(p, data)| {
        Series::default()
            .marker(ratatui::symbols::Marker::Block)
            .graph_type(GraphType::Scatter)
            .style(theme.detector(p.kind))
            .data(data)
    }));
    let roc_chart = Chart::new(roc_series)
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
    let pr_chart = Chart::new(curve_series(
        &panels,
        &pr_points,
        |p| format!("{} AP {}", name(p.kind), auc(p.average_precision())),
        theme,
    ))
    .block(Block::bordered().title(" Precision–recall · x recall, y precision "))
    .x_axis(unit_axis(theme))
    .y_axis(unit_axis(theme))
    // The legend carries the APs: keep it unless the chart is tiny.
    .legend_position(Some(ratatui::widgets::LegendPosition::BottomRight))
    .hidden_legend_constraints((Constraint::Percentage(90), Constraint::Percentage(60)));
    frame.render_widget(pr_chart, pr);

    let [agreement, families] =
        Layout::horizontal([Constraint::Percentage(45), Constraint::Percentage(55)]).areas(tables);
    draw_agreement(frame, agreement, app, theme);
    draw_families(frame, families, app, theme);
}

/// The smallest false-positive rate the ROC's log axis shows (1 in 10,000).
const MIN_FPR: f64 = 1e-4;

/// Each detector's curve, in its colour, named in the legend.
fn curve_series<'a>(
    panels: &[&DetectorPanel],
    points: &'a [Vec<(f64, f64)>],
    legend: impl Fn(&DetectorPanel) -> String,
    theme: Theme,
) -> Vec<Series<'a>> {
    panels
        .iter()
        .zip(points)
        .map(|(p, data)| {
            Series::default()
                .name(legend(p))
                .marker(theme.marker)
                .graph_type(GraphType::Line)
                .style(theme.detector(p.kind))
                .data(data)
        })
        .collect()
}

fn unit_axis(theme: Theme) -> Axis<'static> {
    Axis::default()
        .bounds([0.0, 1.0])
        .labels(vec![Line::raw("0"), Line::raw("0.5"), Line::raw("1")])
        .style(theme.dim())
}

pub(super) fn draw_agreement(frame: &mut Frame, area: Rect, app: &App, theme: Theme) {
    let block = titled(" Agreement (forest, autoencoder) ", area);
    let Some(counts) = app.counts.agreement else {
        frame.render_widget(
            Paragraph::new("waiting for the detectors …").block(block),
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
        .map(|&(family, rows, [forest, autoencoder, fused])| {
            Row::new(vec![
                Cell::from(family.name()),
                Cell::from(thousands(rows as u64)),
                Cell::from(rate(forest, rows)).style(theme.iforest()),
                Cell::from(rate(autoencoder, rows)).style(theme.autoencoder()),
                Cell::from(rate(fused, rows)).style(theme.fused()),
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
                Constraint::Length(7),
            ],
        )
        .header(
            Row::new(vec!["family", "rows", "forest", "autoencoder", "fused"]).style(theme.title()),
        )
        .block(block),
        area,
    );
}
