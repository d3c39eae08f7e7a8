//! The Flagged rows tab: the table of flagged test rows with every score and the
//! why-features, and the selected row's details.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Paragraph, Row, Table, TableState};

use super::text::{Columns, detail_popup, titled, truncate, why_reading};
use crate::data::schema::FEATURES;
use crate::detect::DetectorKind;
use crate::format::thousands;
use crate::tui::app::App;
use crate::tui::detector_panel::DetectorPanel;
use crate::tui::widgets::Theme;

/// A detector's name in tight places.
fn short_name(kind: DetectorKind) -> &'static str {
    match kind {
        DetectorKind::Iforest => "forest",
        DetectorKind::Autoencoder => "autoencoder",
        DetectorKind::Fused => "fused",
    }
}

/// Decimals a detector's score is shown with: surprises run to the hundreds, so two
/// keep the flag mark in the column.
fn score_decimals(kind: DetectorKind) -> usize {
    if kind == DetectorKind::Fused { 2 } else { 4 }
}

/// The part of the fused detector that weighs most in a test row's fused score, and
/// its surprise, from the parts' test scores on their panels (nothing is scored again
/// while drawing).
fn strongest_part(
    app: &App,
    fused: &crate::detect::Detector,
    position: usize,
) -> Option<(&'static str, f64)> {
    let crate::detect::Detector::Fused(fused) = fused else {
        return None;
    };
    let scores: Vec<f64> = fused
        .parts()
        .iter()
        .map(|p| {
            let result = app.panel(p.detector.kind()).result.as_ref()?;
            result.test_scores.get(position).copied()
        })
        .collect::<Option<_>>()?;
    let (i, surprise) = fused.strongest(&scores);
    Some((short_name(fused.parts()[i].detector.kind()), surprise))
}

fn why_text(app: &App, kind: DetectorKind, position: usize, k: usize) -> String {
    app.flagged
        .why
        .get(kind, position)
        .map(|c| crate::detect::explain::summary(c, k))
        .unwrap_or_default()
}

pub(super) fn draw(frame: &mut Frame, area: Rect, app: &App, theme: Theme) {
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
        short_name(t.sort_by)
    );
    let block = titled(title, area);
    if t.rows.is_empty() {
        // Say why the table is empty, and what would fill it.
        frame.render_widget(
            Paragraph::new(format!(
                "No row is flagged under this filter ({}). f changes the filter; the sliders on the detector tabs move the thresholds.",
                t.filter.name()
            ))
            .wrap(ratatui::widgets::Wrap { trim: true })
            .block(block),
            area,
        );
        return;
    }
    let widths = [
        Constraint::Length(9),
        Constraint::Length(14),
        Constraint::Length(7),
        Constraint::Length(8),
        Constraint::Length(11),
        Constraint::Length(9),
        Constraint::Min(16),
    ];
    let columns = Columns::new(&widths, area);
    let score = |column: usize, panel: &DetectorPanel, i: usize| -> Cell<'static> {
        match (&panel.result, panel.is_flagged(i)) {
            (Some(r), Some(flag)) => {
                let text = format!(
                    "{:.decimals$}{}",
                    r.test_scores[i],
                    if flag { " ●" } else { "" },
                    decimals = score_decimals(panel.kind),
                );
                columns.cell(
                    column,
                    text,
                    if flag { theme.attack() } else { Style::new() },
                )
            }
            _ => Cell::from("–"),
        }
    };
    let height = area.height.saturating_sub(3) as usize;
    let offset = t.selected.saturating_sub(height.saturating_sub(1));
    let plain = Style::new();
    let rows: Vec<Row> = t
        .rows
        .iter()
        .enumerate()
        .skip(offset)
        .take(height.max(1))
        .map(|(_, &i)| {
            let r = test.rows[i];
            let why_kind = t.why_detector(i, app.panels());
            Row::new(vec![
                columns.cell(0, thousands(r as u64 + 1), plain),
                columns.cell(1, test.data.label(r).unwrap_or(""), plain),
                columns.cell(2, test.data.family(r).map_or("", |f| f.name()), plain),
                score(3, &app.iforest, i),
                score(4, &app.autoencoder, i),
                score(5, &app.fused, i),
                columns.cell(6, why_text(app, why_kind, i, 3), plain),
            ])
        })
        .collect();
    let table = Table::new(rows, widths)
        .header(
            Row::new(columns.texts([
                "row",
                "label",
                "family",
                "forest",
                "autoencoder",
                "fused",
                // Whose reasons: the sorting detector's where it flags the row.
                match (t.sort_by, columns.width(6) >= 34) {
                    (DetectorKind::Iforest, true) => "why (forest's where it flags)",
                    (DetectorKind::Iforest, false) => "why (forest's)",
                    (DetectorKind::Autoencoder, true) => "why (autoencoder's where it flags)",
                    (DetectorKind::Autoencoder, false) => "why (autoencoder's)",
                    (DetectorKind::Fused, true) => "why (fused's where it flags)",
                    (DetectorKind::Fused, false) => "why (fused's)",
                },
            ]))
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
    let popup = detail_popup(frame, area);
    let block = titled(
        format!(
            " row {} · {} ({}) · Enter or Esc closes ",
            thousands(r as u64 + 1),
            test.data.label(r).unwrap_or("unlabelled"),
            test.data.family(r).map_or("–", |f| f.name())
        ),
        popup,
    );
    let inner = block.inner(popup);
    frame.render_widget(block, popup);
    let [fields, why] =
        Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(inner);
    // The 41 fields in two columns, laid out by the width there is: values are whole
    // (a number is never cut), names take what is left and are shortened with "…".
    let values = test.data.fields(r);
    let half = FEATURES.len().div_ceil(2);
    let value_width = values
        .iter()
        .map(|v| v.chars().count())
        .max()
        .unwrap_or(1)
        .min(12);
    // Each column's names as wide as its longest, shortened (right column first, where
    // the long dst_host_* names are) only when the panel is too narrow.
    let longest = |names: &[crate::data::schema::Feature]| {
        names.iter().map(|f| f.name.len()).max().unwrap_or(1)
    };
    let (mut left, mut right) = (longest(&FEATURES[..half]), longest(&FEATURES[half..]));
    let need = left + right + 2 * (value_width + 2) + 1;
    let mut excess = need.saturating_sub(fields.width as usize);
    let cut = excess.min(right.saturating_sub(6));
    right -= cut;
    excess -= cut;
    left -= excess.min(left.saturating_sub(6));
    let lines: Vec<Line> = (0..half)
        .map(|k| {
            let cell = |j: usize, name_width: usize| {
                FEATURES.get(j).map_or(String::new(), |f| {
                    format!(
                        "{:<name_width$} {:>value_width$} ",
                        truncate(f.name, name_width),
                        values[j]
                    )
                })
            };
            Line::raw(format!("{} {}", cell(k, left), cell(k + half, right)))
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), fields);
    let mut lines = Vec::new();
    // Records from connection logs: the uid leads to the connection's other Zeek logs.
    if let Some(conn) = test.data.conn(r) {
        lines.push(Line::raw(conn.to_string()));
        lines.push(Line::raw(format!("ts {}", conn.zeek_ts())));
        lines.push(Line::raw(""));
    }
    for panel in app.panels() {
        let style = theme.detector(panel.kind);
        let Some(result) = &panel.result else {
            continue;
        };
        lines.push(Line::from(vec![
            Span::styled(panel.kind.title(), style.add_modifier(Modifier::BOLD)),
            Span::raw(format!(
                " score {:.decimals$}{}",
                result.test_scores[position],
                if panel.is_flagged(position) == Some(true) {
                    " · flagged"
                } else {
                    ""
                },
                decimals = score_decimals(panel.kind),
            )),
        ]));
        if panel.kind == DetectorKind::Fused {
            // Its evidence is a part's, listed above: say whose.
            if let Some((name, surprise)) = strongest_part(app, &result.detector, position) {
                lines.push(Line::raw(format!(
                    "{surprise:.1} of it from the {name}, whose why is above"
                )));
            }
            continue;
        }
        if let Some(list) = app.flagged.why.get(panel.kind, position) {
            // The share is always shown; the feature, its value and the normal range
            // take what is left. Unusual values are listed first, in bold.
            let bar_width = if why.width >= 70 { 12 } else { 6 };
            let name_width = (why.width as usize)
                .saturating_sub(2 + 1 + bar_width + 5)
                .clamp(8, 56);
            for c in list.iter().take(8) {
                let bar = "▇".repeat(((c.share * bar_width as f64).round() as usize).max(1));
                lines.push(Line::from(vec![
                    why_reading(c, name_width),
                    Span::styled(format!("{bar:<bar_width$}"), style),
                    Span::raw(format!("{:>4.0}%", c.share * 100.0)),
                ]));
            }
        }
        lines.push(Line::raw(""));
    }
    frame.render_widget(Paragraph::new(lines), why);
}
