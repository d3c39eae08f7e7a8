//! Small widgets the panels share: a stacked histogram with a threshold marker, a
//! confusion matrix, a slider line, and the colour theme.

use ratatui::buffer::Buffer;
use ratatui::layout::Constraint;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::symbols::Marker;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Row, Table, Widget};

use super::histogram::Histogram;
use crate::eval::metrics::Confusion;

/// Colours, or none at all under NO_COLOR; and the chart marker.
#[derive(Debug, Clone, Copy)]
pub struct Theme {
    pub color: bool,
    pub marker: Marker,
}

impl Theme {
    /// NO_COLOR (any non-empty value) turns colours off; NETANOMALY_ASCII (or
    /// `--ascii`) replaces Braille dots with plain ones for fonts that lack them.
    pub fn from_env(ascii: bool) -> Theme {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        let ascii = ascii || std::env::var_os("NETANOMALY_ASCII").is_some_and(|v| !v.is_empty());
        Theme {
            color: !no_color,
            marker: if ascii { Marker::Dot } else { Marker::Braille },
        }
    }

    fn fg(&self, c: Color) -> Style {
        if self.color {
            Style::new().fg(c)
        } else {
            Style::new()
        }
    }

    pub fn normal(&self) -> Style {
        self.fg(Color::Green)
    }
    pub fn attack(&self) -> Style {
        self.fg(Color::Red)
    }
    pub fn unknown(&self) -> Style {
        self.fg(Color::Blue)
    }
    pub fn threshold(&self) -> Style {
        self.fg(Color::Yellow).add_modifier(Modifier::BOLD)
    }
    pub fn iforest(&self) -> Style {
        self.fg(Color::Cyan)
    }
    pub fn autoencoder(&self) -> Style {
        self.fg(Color::Magenta)
    }
    pub fn fused(&self) -> Style {
        self.fg(Color::LightBlue)
    }
    /// A detector's colour.
    pub fn detector(&self, kind: crate::detect::DetectorKind) -> Style {
        use crate::detect::DetectorKind;
        match kind {
            DetectorKind::Iforest => self.iforest(),
            DetectorKind::Autoencoder => self.autoencoder(),
            DetectorKind::Fused => self.fused(),
        }
    }
    pub fn validation(&self) -> Style {
        self.fg(Color::Yellow)
    }
    pub fn dim(&self) -> Style {
        if self.color {
            Style::new().fg(Color::DarkGray)
        } else {
            Style::new().add_modifier(Modifier::DIM)
        }
    }
    pub fn title(&self) -> Style {
        Style::new().add_modifier(Modifier::BOLD)
    }
    pub fn error(&self) -> Style {
        self.fg(Color::Red).add_modifier(Modifier::BOLD)
    }
    pub fn selected(&self) -> Style {
        Style::new().add_modifier(Modifier::REVERSED)
    }
}

/// Draws a histogram regrouped to the area's width: one column per group of bins,
/// bar height on a log₁₀(1 + count) scale (a flood of 280k rows and a handful of
/// attacks must both show), attack rows stacked on top of normal ones, and the
/// threshold as a vertical bar.
pub struct HistogramChart<'a> {
    pub histogram: &'a Histogram,
    pub threshold: Option<f64>,
    pub theme: Theme,
}

impl Widget for HistogramChart<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let h = self.histogram;
        let bins = h.normal.len();
        if area.width < 4 || area.height < 2 || bins == 0 {
            return;
        }
        let width = area.width as usize;
        let height = area.height as usize;
        let group = |counts: &[u64], col: usize| -> u64 {
            let (a, b) = (
                col * bins / width,
                ((col + 1) * bins / width).max(col * bins / width + 1),
            );
            counts[a.min(bins)..b.min(bins)].iter().sum()
        };
        let columns: Vec<(u64, u64, u64)> = (0..width)
            .map(|c| {
                (
                    group(&h.normal, c),
                    group(&h.attack, c),
                    group(&h.unknown, c),
                )
            })
            .collect();
        let scale = |n: u64| (1.0 + n as f64).log10();
        let top = columns
            .iter()
            .map(|&(n, a, u)| scale(n + a + u))
            .fold(0.0f64, f64::max)
            .max(1e-9);
        for (x, &(normal, attack, unknown)) in columns.iter().enumerate() {
            let total = normal + attack + unknown;
            if total == 0 {
                continue;
            }
            // Height in eighths of a cell, split between the classes in proportion
            // (a class present gets at least one eighth, so a few attacks show).
            let eighths = ((scale(total) / top) * (height * 8) as f64)
                .round()
                .max(1.0) as usize;
            let share = |n: u64| {
                let e = eighths * n as usize / total as usize;
                if n > 0 { e.max(1) } else { e }
            };
            let (attack_e, unknown_e) = (share(attack), share(unknown));
            let normal_e = eighths.saturating_sub(attack_e + unknown_e);
            for row in 0..height {
                let filled = eighths.saturating_sub(row * 8).min(8);
                if filled == 0 {
                    break;
                }
                // Normal at the bottom, unlabelled next, attacks on top; a cell takes
                // the colour of the layer at its middle.
                let middle = row * 8 + filled / 2;
                let style = if middle < normal_e {
                    self.theme.normal()
                } else if middle < normal_e + unknown_e {
                    self.theme.unknown()
                } else {
                    self.theme.attack()
                };
                let symbol = [" ", "▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"][filled];
                let y = area.bottom() - 1 - row as u16;
                if let Some(cell) = buf.cell_mut((area.x + x as u16, y)) {
                    cell.set_symbol(symbol).set_style(style);
                }
            }
        }
        if let Some(t) = self.threshold {
            let x = area.x + ((h.position(t) * (width - 1) as f64).round() as u16);
            for y in area.top()..area.bottom() {
                if let Some(cell) = buf.cell_mut((x, y)) {
                    cell.set_symbol("│").set_style(self.theme.threshold());
                }
            }
        }
    }
}

/// Parts joined by `sep` into as few lines as fit `width`, breaking only between
/// parts, so a number is never cut (a part wider than the line has one of its own).
pub fn pack(parts: &[String], sep: &str, width: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    for part in parts {
        match lines.last_mut() {
            Some(line)
                if line.chars().count() + sep.chars().count() + part.chars().count() <= width =>
            {
                line.push_str(sep);
                line.push_str(part);
            }
            _ => lines.push(part.clone()),
        }
    }
    lines
}

/// A 2×2 confusion matrix with row and column headings.
pub fn confusion_table(c: &Confusion, theme: Theme) -> Table<'static> {
    let n = |v: u64| crate::format::thousands(v);
    Table::new(
        vec![
            Row::new(vec![
                Cell::from("actual attack"),
                Cell::from(n(c.tp)).style(theme.normal()),
                Cell::from(n(c.fn_)).style(theme.attack()),
            ]),
            Row::new(vec![
                Cell::from("actual normal"),
                Cell::from(n(c.fp)).style(theme.attack()),
                Cell::from(n(c.tn)).style(theme.normal()),
            ]),
        ],
        // 13 = "actual normal"; counts up to 9,999,999 and more fit 10.
        [
            Constraint::Length(13),
            Constraint::Length(10),
            Constraint::Length(10),
        ],
    )
    .header(Row::new(vec!["", "flagged", "passed"]).style(theme.title()))
}

/// `P 0.9985 · R 0.9980 · F1 0.9983`.
/// Precision, recall and F1 on one line when `width` allows, else F1 on a second.
pub fn metrics_lines(c: &Confusion, width: usize) -> Vec<Line<'static>> {
    let pr = format!("precision {:.4} · recall {:.4}", c.precision(), c.recall());
    let f1 = Span::styled(
        format!("F1 {:.4}", c.f1()),
        Style::new().add_modifier(Modifier::BOLD),
    );
    if pr.chars().count() + 3 + f1.content.chars().count() <= width {
        vec![Line::from(vec![Span::raw(pr), Span::raw(" · "), f1])]
    } else {
        vec![Line::raw(pr), Line::from(f1)]
    }
}

/// A slider as text: `├────────●──────┤` with `position` in [0, 1].
pub fn slider_line(position: f64, width: usize, theme: Theme) -> Line<'static> {
    let width = width.max(3);
    let inner = width - 2;
    let at = ((position.clamp(0.0, 1.0)) * (inner - 1) as f64).round() as usize;
    Line::from(vec![
        Span::styled("├", theme.dim()),
        Span::styled("─".repeat(at), theme.dim()),
        Span::styled("●", theme.threshold()),
        Span::styled("─".repeat(inner - 1 - at), theme.dim()),
        Span::styled("┤", theme.dim()),
    ])
}
