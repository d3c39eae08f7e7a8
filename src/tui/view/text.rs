//! What the tabs share: a detector's state in words, cutting names to a column, and
//! the detail popups' area.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Clear};

use crate::detect::DetectorKind;
use crate::detect::explain::Contribution;
use crate::tui::app::App;
use crate::tui::detector_panel::{DetectorPanel, DetectorState};

/// A detector's state in a few words (the autoencoder's with its epoch).
pub(super) fn state_text(panel: &DetectorPanel, app: &App) -> String {
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

/// `s` in at most `n` characters, ending in "…" when cut, so a cut word or number
/// never reads as a whole one.
pub(super) fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_owned()
    } else if n == 0 {
        String::new()
    } else {
        let mut t: String = s.chars().take(n - 1).collect();
        t.push('…');
        t
    }
}

/// A why-feature's reading in `width` columns (padded): the full one when it fits, the
/// short one (`count 511 (≤ 12)`) else, cut with "…" if even that is too long; bold
/// when the value is unusual, as those lead the list.
pub(super) fn why_reading(c: &Contribution, width: usize) -> Span<'static> {
    let reading = c.reading();
    let reading = if reading.chars().count() <= width {
        reading
    } else {
        c.short_reading()
    };
    let text = Span::raw(format!("  {:<width$} ", truncate(&reading, width)));
    if c.unusual {
        text.style(Style::new().add_modifier(Modifier::BOLD))
    } else {
        text
    }
}

/// A bordered block whose title is cut with "…" to the width of `area` (ratatui
/// would cut it at the corner, mid-word).
pub(super) fn titled(title: impl AsRef<str>, area: Rect) -> Block<'static> {
    let title = title.as_ref();
    let room = usize::from(area.width.saturating_sub(2));
    let title = if title.chars().count() <= room {
        title.to_owned()
    } else {
        // Keep the closing space that separates the title from the border.
        format!("{} ", truncate(title.trim_end(), room.saturating_sub(1)))
    };
    Block::bordered().title(title)
}

/// `spans` cut to `width` columns, the last one ending in "…" when anything was cut.
pub(super) fn fit_line(spans: Vec<Span<'static>>, width: u16) -> Line<'static> {
    let width = usize::from(width);
    let total: usize = spans.iter().map(|s| s.content.chars().count()).sum();
    if total <= width {
        return Line::from(spans);
    }
    let mut left = width;
    let mut out = Vec::new();
    for span in spans {
        let n = span.content.chars().count();
        if n < left {
            left -= n;
            out.push(span);
        } else {
            out.push(Span::styled(truncate(&span.content, left), span.style));
            break;
        }
    }
    Line::from(out)
}

/// A table's column widths as ratatui lays them out (`Flex::Start`, one space
/// between columns, no highlight symbol) inside a bordered block over `area`, so
/// cells can be cut with "…" to the width they will get.
pub(super) struct Columns(Vec<usize>);

impl Columns {
    pub(super) fn new(widths: &[Constraint], area: Rect) -> Self {
        let inner = Rect::new(0, 0, area.width.saturating_sub(2), 1);
        let rects = Layout::horizontal(widths.iter().copied())
            .spacing(1)
            .split(inner);
        Self(rects.iter().map(|r| usize::from(r.width)).collect())
    }

    /// Column `i`'s width.
    pub(super) fn width(&self, i: usize) -> usize {
        self.0.get(i).copied().unwrap_or(0)
    }

    /// `text` cut to column `i`.
    pub(super) fn fit(&self, i: usize, text: impl AsRef<str>) -> String {
        truncate(text.as_ref(), self.width(i))
    }

    /// A cell of column `i`, cut to fit.
    pub(super) fn cell(&self, i: usize, text: impl AsRef<str>, style: Style) -> Cell<'static> {
        Cell::from(self.fit(i, text)).style(style)
    }

    /// A row of plain cells (a header), each cut to its column.
    pub(super) fn texts<S: AsRef<str>>(&self, texts: impl IntoIterator<Item = S>) -> Vec<String> {
        texts
            .into_iter()
            .enumerate()
            .map(|(i, t)| self.fit(i, t))
            .collect()
    }
}

/// The area of a record's detail popup over `area` (a small margin all round). The
/// margin is cleared too, so no cut cell of the table behind shows at its edges.
pub(super) fn detail_popup(frame: &mut Frame, area: Rect) -> Rect {
    let popup = Rect {
        x: area.x + 2,
        y: area.y + 1,
        width: area.width.saturating_sub(4),
        height: area.height.saturating_sub(2),
    };
    frame.render_widget(Clear, area);
    popup
}

#[cfg(test)]
mod tests {
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;
    use ratatui::widgets::{Row, Table};

    use super::*;

    /// Cells cut by `Columns` end in "…" exactly where ratatui's table ends them.
    #[test]
    fn columns_cut_cells_where_the_table_does() {
        let widths = [
            Constraint::Length(6),
            Constraint::Min(5),
            Constraint::Length(4),
        ];
        for width in [14u16, 20, 31, 60] {
            let area = Rect::new(0, 0, width, 3);
            let columns = Columns::new(&widths, area);
            let texts = ["123456789", "dst_host_srv_serror_rate", "12345"];
            let row = Row::new(
                texts
                    .iter()
                    .enumerate()
                    .map(|(i, t)| columns.cell(i, t, Style::new())),
            );
            let mut terminal = Terminal::new(TestBackend::new(width, 3)).unwrap();
            terminal
                .draw(|f| {
                    f.render_widget(Table::new([row], widths).block(Block::bordered()), f.area())
                })
                .unwrap();
            let line: String = (0..width)
                .map(|x| terminal.backend().buffer()[(x, 1)].symbol().to_owned())
                .collect();
            // Each text is either whole on screen or cut with "…": never a bare prefix.
            for (i, text) in texts
                .iter()
                .enumerate()
                .filter(|(i, _)| columns.width(*i) > 0)
            {
                let shown = columns.fit(i, text);
                assert!(shown == *text || shown.ends_with('…'), "{width}: {shown}");
                assert!(
                    line.contains(shown.as_str()),
                    "{width}: {line:?} lacks {shown:?}"
                );
            }
        }
    }

    #[test]
    fn titles_and_lines_end_in_an_ellipsis_when_cut() {
        let block = titled(" Latest alerts · Enter details ", Rect::new(0, 0, 20, 3));
        let mut terminal = Terminal::new(TestBackend::new(20, 3)).unwrap();
        terminal.draw(|f| f.render_widget(block, f.area())).unwrap();
        let top: String = (0..20)
            .map(|x| terminal.backend().buffer()[(x, 0)].symbol().to_owned())
            .collect();
        assert_eq!(top, "┌ Latest alerts ·… ┐");
        let line = fit_line(vec![Span::raw("tested on "), Span::raw("445,382")], 14);
        assert_eq!(line.to_string(), "tested on 445…");
        assert_eq!(truncate("0.33", 0), "");
    }
}
