//! The Live tab: a status line, records/s and flagged/s over the last minute, the
//! latest alerts, and counts by service and flag.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Row, Sparkline, Table, TableState, Wrap};

use super::text::{Columns, detail_popup, titled, why_reading};
use crate::detect::DetectorKind;
use crate::format::{significant, thousands};
use crate::monitor::Format;
use crate::tui::app::App;
use crate::tui::live_monitor::{LiveMonitor, LiveStatus};
use crate::tui::widgets::Theme;
use crate::worker::monitor_job::{Alert, AlertVerdict, CategoryCount, Origin};

/// Seconds of history the sparklines show at most.
const SPARK_SECONDS: usize = 60;

pub fn draw(frame: &mut Frame, area: Rect, app: &App, theme: Theme) {
    let live = &app.live;
    if live.status == LiveStatus::Off {
        draw_hint(frame, area, theme);
        return;
    }
    let roomy = area.height >= 30;
    let series = 1 + live.detectors.len() as u16;
    let per_series = if roomy { 2 } else { 1 };
    let counted = if roomy { 6 } else { 3 };
    let [status, traffic, alerts, counts] = Layout::vertical([
        Constraint::Length(2),
        Constraint::Length(2 + series * per_series),
        Constraint::Min(6),
        Constraint::Length(3 + counted),
    ])
    .areas(area);
    frame.render_widget(
        Paragraph::new(status_line(live, theme)).wrap(Wrap { trim: true }),
        status,
    );
    draw_traffic(frame, traffic, live, per_series, theme);
    draw_alerts(frame, alerts, live, theme);
    let [services, flags] =
        Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(counts);
    draw_counts(
        frame,
        services,
        " By service ",
        "service",
        &live.top_services,
        counted,
        theme,
    );
    draw_counts(
        frame,
        flags,
        " By connection flag ",
        "flag",
        &live.top_flags,
        counted,
        theme,
    );
    if live.detail
        && let Some(alert) = live.alerts.get(live.selected)
    {
        draw_detail(frame, area, alert, theme);
    }
}

fn draw_hint(frame: &mut Frame, area: Rect, theme: Theme) {
    let lines = vec![
        Line::styled("Not monitoring.", theme.title()),
        Line::raw(""),
        Line::raw("Score traffic as it arrives with a saved model:"),
        Line::styled(
            "  netanomaly dashboard --model BUNDLE --monitor PATH|- [--format auto|kdd|pcap|zeek] [--follow]",
            theme.threshold(),
        ),
        Line::raw(""),
        Line::styled(
            "e.g. tcpdump -i eth0 -U -w - | netanomaly dashboard --model m --monitor - --format pcap",
            theme.dim(),
        ),
    ];
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(Block::bordered().title(" Live ")),
        area,
    );
}

fn status_line(live: &LiveMonitor, theme: Theme) -> Line<'static> {
    let mut spans = match &live.status {
        LiveStatus::Off => Vec::new(),
        LiveStatus::Starting => vec![Span::styled("○ starting", theme.validation())],
        LiveStatus::Running => vec![Span::styled("● running", theme.normal())],
        LiveStatus::Ended { reason, seconds } => vec![Span::styled(
            format!(
                "■ ended ({reason}) after {}",
                crate::format::duration(*seconds)
            ),
            theme.threshold(),
        )],
        LiveStatus::Failed(message) => {
            vec![Span::styled(format!("✗ failed: {message}"), theme.error())]
        }
    };
    let t = &live.totals;
    let mut parts = vec![
        format!(
            "{}{}",
            live.source,
            if live.follow { " (followed)" } else { "" }
        ),
        match live.format {
            Format::Kdd => "kdd".to_owned(),
            Format::Pcap => "pcap".to_owned(),
            Format::Zeek => "zeek conn.log".to_owned(),
        },
        format!("{} records", thousands(t.records)),
        format!("{} skipped", thousands(t.skipped)),
    ];
    if live.format == Format::Pcap {
        // The exact figures come with the end of the run; until then, what the
        // records carry.
        match &live.capture {
            Some(c) => {
                parts.push(format!("{} packets", thousands(c.packets)));
                parts.push(format!("{} connections", thousands(c.connections)));
                parts.push(format!(
                    "evicted {} half-open, {} other",
                    thousands(c.evicted_half_open),
                    thousands(c.evicted_other)
                ));
                if let Some(tail) = &c.truncated_tail {
                    parts.push(format!("cut short: {tail}"));
                }
            }
            None => {
                parts.push(format!("{} packets", thousands(t.packets)));
                parts.push(format!("{} evicted (table full)", thousands(t.evicted)));
            }
        }
    }
    if t.unseen > 0 {
        parts.push(format!("{} with unseen categories", thousands(t.unseen)));
    }
    for part in parts {
        spans.push(Span::raw(" · "));
        spans.push(Span::raw(part));
    }
    if let Some(skipped) = &t.last_skipped {
        let reason = skipped
            .strip_prefix("skipped a record: ")
            .unwrap_or(skipped);
        spans.push(Span::styled(
            format!(" · last skipped: {reason}"),
            theme.dim(),
        ));
    }
    Line::from(spans)
}

/// `1,234/s`, or `2.4/s` below 10.
fn rate_text(rate: f64) -> String {
    if rate < 10.0 {
        format!("{rate:.1}/s")
    } else {
        format!("{}/s", thousands(rate.round() as u64))
    }
}

fn share(n: u64, of: u64) -> String {
    if of == 0 {
        "–".into()
    } else {
        format!("{:.2}%", 100.0 * n as f64 / of as f64)
    }
}

fn detector_label(name: &str) -> &str {
    match name {
        "iforest" => "forest",
        other => other,
    }
}

/// Names that fit the sparklines' labels.
fn short_name(name: &str) -> &str {
    match name {
        "iforest" => "forest",
        "autoencoder" => "autoenc.",
        other => other,
    }
}

fn detector_style(name: &str, theme: Theme) -> Style {
    DetectorKind::from_name(name).map_or(theme.autoencoder(), |k| theme.detector(k))
}

fn draw_traffic(frame: &mut Frame, area: Rect, live: &LiveMonitor, per_series: u16, theme: Theme) {
    let t = &live.totals;
    let inner_width = area.width.saturating_sub(2) as usize;
    const LABEL: u16 = 17;
    const FIGURES: u16 = 28;
    let seconds = inner_width
        .saturating_sub((LABEL + FIGURES) as usize)
        .clamp(1, SPARK_SECONDS);
    let block = titled(
        format!(
            " Traffic · last {seconds} s · flagged by any detector: {} ({}) ",
            thousands(t.flagged_any),
            share(t.flagged_any, t.records)
        ),
        area,
    );
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let mut rows: Vec<(String, Style, Option<usize>, String)> = vec![(
        "records/s".into(),
        Style::new(),
        None,
        format!(
            "{:>9}  total {}",
            rate_text(live.rate(None)),
            thousands(t.records)
        ),
    )];
    for (d, name) in live.detectors.iter().enumerate() {
        let flagged = t.flagged.get(d).copied().unwrap_or(0);
        rows.push((
            format!("{} flagged", short_name(name)),
            detector_style(name, theme),
            Some(d),
            format!(
                "{:>9}  {} ({})",
                rate_text(live.rate(Some(d))),
                thousands(flagged),
                share(flagged, t.records)
            ),
        ));
    }
    let areas = Layout::vertical(rows.iter().map(|_| Constraint::Length(per_series))).split(inner);
    for ((label, style, which, figures), row) in rows.into_iter().zip(areas.iter()) {
        let [label_area, spark_area, _, figures_area] = Layout::horizontal([
            Constraint::Length(LABEL),
            Constraint::Length(seconds as u16),
            Constraint::Length(1),
            Constraint::Min(0),
        ])
        .areas(*row);
        frame.render_widget(Paragraph::new(Span::styled(label, style)), label_area);
        let values = live.series(which, seconds);
        let max = values.iter().copied().max().unwrap_or(0).max(1);
        frame.render_widget(
            Sparkline::default()
                .data(&values)
                .max(max)
                .style(if which.is_none() {
                    theme.normal()
                } else {
                    style
                }),
            spark_area,
        );
        frame.render_widget(Paragraph::new(figures), figures_area);
    }
}

/// `14:03:05` (UTC).
fn clock_time(nanos: u64) -> String {
    let (_, _, _, h, m, s) = crate::clock::civil(nanos / 1_000_000_000);
    format!("{h:02}:{m:02}:{s:02}")
}

fn origin_text(origin: &Origin) -> String {
    origin.text()
}

/// The why-features shown in the table: the autoencoder's when it flags, else the
/// forest's (as on the flagged-rows tab).
fn why_of(alert: &Alert) -> String {
    let by = |name: &str| {
        alert
            .verdicts
            .iter()
            .find(|v| v.detector == name && v.flagged && !v.why.is_empty())
    };
    by("autoencoder")
        .or_else(|| by("iforest"))
        .or_else(|| alert.verdicts.iter().find(|v| v.flagged))
        .map(|v| crate::detect::explain::summary(&v.why, 3))
        .unwrap_or_default()
}

fn score_cell(verdict: Option<&AlertVerdict>, theme: Theme) -> (String, Style) {
    match verdict {
        Some(v) => (
            format!(
                "{}{}",
                // Forest scores lie in [0, 1]: four decimals always, so a column reads
                // evenly (0.5000, not 0.5); reconstruction errors span decades.
                if v.detector == "iforest" {
                    format!("{:.4}", v.score)
                } else {
                    significant(v.score, 4)
                },
                if v.flagged { " ●" } else { "" }
            ),
            if v.flagged {
                theme.attack()
            } else {
                Style::new()
            },
        ),
        None => ("–".into(), Style::new()),
    }
}

fn draw_alerts(frame: &mut Frame, area: Rect, live: &LiveMonitor, theme: Theme) {
    let kept = live.alerts.len();
    let block = titled(
        format!(
            " Latest alerts, newest first ({} kept of {} flagged) · ↑/↓ select · Enter details ",
            thousands(kept as u64),
            thousands(live.totals.flagged_any)
        ),
        area,
    );
    if kept == 0 {
        frame.render_widget(
            Paragraph::new(Span::styled("no alerts yet", theme.dim())).block(block),
            area,
        );
        return;
    }
    let height = area.height.saturating_sub(3) as usize;
    let offset = live.selected.saturating_sub(height.saturating_sub(1));
    let visible: Vec<&Alert> = live
        .alerts
        .iter()
        .skip(offset)
        .take(height.max(1))
        .collect();
    let labelled = visible.iter().any(|a| a.label.is_some());
    let width = |f: &dyn Fn(&Alert) -> usize, min: usize, max: usize| {
        visible
            .iter()
            .map(|a| f(a))
            .max()
            .unwrap_or(0)
            .clamp(min, max) as u16
    };
    let origin_width = width(&|a| origin_text(&a.origin).chars().count(), 6, 47);
    let kind = |a: &Alert| format!("{}/{}/{}", a.protocol, a.service, a.flag);
    let kind_width = width(&|a| kind(a).chars().count(), 14, 24);
    let label_width = width(&|a| a.label.as_deref().map_or(0, str::len), 5, 16);
    // Zeek's uid, to pivot to the connection's other Zeek logs.
    let uids = visible.iter().any(|a| a.uid.is_some());
    let uid_width = width(&|a| a.uid.as_deref().map_or(0, str::len), 3, 22);
    let mut header = vec!["time".to_owned()];
    let mut widths = vec![Constraint::Length(8)];
    if uids {
        header.push("uid".to_owned());
        widths.push(Constraint::Length(uid_width));
    }
    header.push(match live.format {
        Format::Kdd => "record".to_owned(),
        Format::Pcap | Format::Zeek => "connection".to_owned(),
    });
    header.push("proto/svc/flag".to_owned());
    widths.push(Constraint::Length(origin_width));
    widths.push(Constraint::Length(kind_width));
    for name in &live.detectors {
        header.push(detector_label(name).to_owned());
        widths.push(Constraint::Length(if *name == "iforest" { 9 } else { 12 }));
    }
    if labelled {
        header.push("label".to_owned());
        widths.push(Constraint::Length(label_width));
    }
    // The why-features take what is left, if that is enough to read.
    let fixed: u16 = widths
        .iter()
        .map(|w| match w {
            Constraint::Length(n) => n + 1,
            _ => 0,
        })
        .sum();
    let why = area.width.saturating_sub(2 + fixed) >= 16;
    if why {
        header.push("why".to_owned());
        widths.push(Constraint::Min(16));
    }
    let columns = Columns::new(&widths, area);
    let plain = Style::new();
    let rows: Vec<Row> = visible
        .iter()
        .map(|a| {
            let mut cells = vec![(clock_time(a.time), plain)];
            if uids {
                cells.push((a.uid.as_deref().unwrap_or("-").to_owned(), plain));
            }
            cells.push((origin_text(&a.origin), plain));
            cells.push((kind(a), plain));
            for name in &live.detectors {
                cells.push(score_cell(
                    a.verdicts.iter().find(|v| v.detector == *name),
                    theme,
                ));
            }
            if labelled {
                cells.push((a.label.clone().unwrap_or_default(), plain));
            }
            if why {
                cells.push((why_of(a), plain));
            }
            Row::new(
                cells
                    .into_iter()
                    .enumerate()
                    .map(|(i, (text, style))| columns.cell(i, text, style)),
            )
        })
        .collect();
    let table = Table::new(rows, widths)
        .header(Row::new(columns.texts(header)).style(theme.title()))
        .row_highlight_style(theme.selected())
        .block(block);
    let mut state = TableState::default().with_selected(Some(live.selected - offset));
    frame.render_stateful_widget(table, area, &mut state);
}

fn draw_counts(
    frame: &mut Frame,
    area: Rect,
    title: &str,
    what: &str,
    counts: &[CategoryCount],
    n: u16,
    theme: Theme,
) {
    let widths = [
        Constraint::Min(8),
        Constraint::Length(10),
        Constraint::Length(9),
        Constraint::Length(7),
    ];
    let columns = Columns::new(&widths, area);
    let rows: Vec<Row> = counts
        .iter()
        .take(n as usize)
        .map(|c| {
            Row::new(vec![
                columns.cell(0, &c.name, Style::new()),
                columns.cell(1, format!("{:>10}", thousands(c.records)), Style::new()),
                columns.cell(
                    2,
                    format!("{:>9}", thousands(c.flagged)),
                    if c.flagged > 0 {
                        theme.attack()
                    } else {
                        Style::new()
                    },
                ),
                columns.cell(
                    3,
                    format!("{:>7}", share(c.flagged, c.records)),
                    Style::new(),
                ),
            ])
        })
        .collect();
    frame.render_widget(
        Table::new(rows, widths)
            .header(
                Row::new(columns.texts([
                    what.to_owned(),
                    format!("{:>10}", "records"),
                    format!("{:>9}", "flagged"),
                    format!("{:>7}", "share"),
                ]))
                .style(theme.title()),
            )
            .block(titled(format!("{title}(most flagged first) "), area)),
        area,
    );
}

fn draw_detail(frame: &mut Frame, area: Rect, alert: &Alert, theme: Theme) {
    let popup = detail_popup(frame, area);
    let block = titled(
        format!(
            " {} · {}/{}/{} · Enter or Esc closes ",
            origin_text(&alert.origin),
            alert.protocol,
            alert.service,
            alert.flag
        ),
        popup,
    );
    let mut lines = vec![Line::raw(format!(
        "time   {}",
        crate::clock::rfc3339(alert.time)
    ))];
    if let Some(uid) = &alert.uid {
        lines.push(Line::raw(format!("uid    {uid}")));
    }
    lines.extend([
        Line::raw(format!(
            "label  {}",
            alert.label.as_deref().unwrap_or("(none)")
        )),
        Line::raw(""),
    ]);
    for v in &alert.verdicts {
        let style = detector_style(v.detector, theme);
        lines.push(Line::from(vec![
            Span::styled(
                DetectorKind::from_name(v.detector).map_or(v.detector, DetectorKind::title),
                style.add_modifier(Modifier::BOLD),
            ),
            Span::raw(format!(
                " score {} · threshold {}{}",
                significant(v.score, 4),
                significant(v.threshold, 4),
                if v.flagged { " · flagged" } else { "" }
            )),
        ]));
        for c in v.why.iter().take(8) {
            let bar = "▇".repeat(((c.share * 12.0).round() as usize).max(1));
            lines.push(Line::from(vec![
                why_reading(c, 44),
                Span::styled(format!("{bar:<12}"), style),
                Span::raw(format!(" {:>4.0}%", c.share * 100.0)),
            ]));
        }
        lines.push(Line::raw(""));
    }
    frame.render_widget(Paragraph::new(lines).block(block), popup);
}
