//! What every tab shares: the header, the tab bar, the error panel, the status line,
//! the footer and the help popup (both generated from the keymap), and the screens
//! shown instead of a tab (terminal too small, no data).

use ratatui::Frame;
use ratatui::layout::{Alignment, Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span, Text};
use ratatui::widgets::{Block, Clear, Paragraph, Tabs, Wrap};

use super::text::{fit_line, titled};
use crate::tui::app::{App, MIN_HEIGHT, MIN_WIDTH};
use crate::tui::keymap::{self, Scope};
use crate::tui::tabs::{Tab, tab_titles};
use crate::tui::widgets::Theme;

pub(super) fn draw_too_small(frame: &mut Frame, area: Rect) {
    let text = format!(
        "terminal too small: {}×{}\nnetanomaly needs at least {}×{}\n\nq quits",
        area.width, area.height, MIN_WIDTH, MIN_HEIGHT
    );
    frame.render_widget(
        Paragraph::new(text)
            .alignment(Alignment::Center)
            .wrap(Wrap { trim: true }),
        area,
    );
}

pub(super) fn draw_header(frame: &mut Frame, area: Rect, app: &App, theme: Theme) {
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
    frame.render_widget(Paragraph::new(fit_line(spans, area.width)), area);
}

pub(super) fn draw_tab_bar(frame: &mut Frame, area: Rect, app: &App, theme: Theme) {
    frame.render_widget(
        Tabs::new(tab_titles(area.width))
            .select(Tab::ALL.iter().position(|&t| t == app.tab))
            .highlight_style(theme.selected())
            .divider("│"),
        area,
    );
}

/// The worker's error above the tab's body; returns what is left of the body.
pub(super) fn draw_error(frame: &mut Frame, body: Rect, message: &str, theme: Theme) -> Rect {
    let [error, rest] = Layout::vertical([Constraint::Length(4), Constraint::Min(6)]).areas(body);
    frame.render_widget(
        Paragraph::new(Text::from(vec![
            Line::styled(message.to_owned(), theme.error()),
            Line::raw("r retrains · q quits"),
        ]))
        .wrap(Wrap { trim: true })
        .block(Block::bordered().title("Error").border_style(theme.error())),
        error,
    );
    rest
}

/// A tab that evaluates `--data` when there is none (`--monitor` alone).
pub(super) fn draw_no_data(frame: &mut Frame, area: Rect, theme: Theme) {
    frame.render_widget(
        Paragraph::new(vec![
            Line::styled("No data to evaluate.", theme.title()),
            Line::raw(""),
            Line::raw(
                "This tab trains on or scores --data FILE; the dashboard was started without it.",
            ),
            Line::raw(format!(
                "Live traffic is on the {} {} tab.",
                Tab::Live.index() + 1,
                Tab::Live.title()
            )),
        ])
        .wrap(Wrap { trim: true })
        .block(Block::bordered()),
        area,
    );
}

pub(super) fn draw_status(frame: &mut Frame, area: Rect, app: &App, theme: Theme) {
    frame.render_widget(
        Paragraph::new(fit_line(
            vec![Span::styled(app.status.clone(), theme.dim())],
            area.width,
        )),
        area,
    );
}

pub(super) fn draw_footer(frame: &mut Frame, area: Rect, app: &App, theme: Theme) {
    // Whole hints only: those that do not fit are left out (? lists them all).
    let mut spans = Vec::new();
    let mut used = 0;
    for b in keymap::visible(Some(app.tab), true) {
        let gap = if spans.is_empty() { 0 } else { 2 };
        let n = gap + b.label.chars().count() + 1 + b.short.chars().count();
        if used + n > usize::from(area.width) {
            break;
        }
        used += n;
        if gap > 0 {
            spans.push(Span::raw("  "));
        }
        spans.push(Span::styled(b.label, theme.title()));
        spans.push(Span::raw(" "));
        spans.push(Span::styled(b.short, theme.dim()));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

fn help_lines(theme: Theme) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    for scope in Scope::ALL {
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
        "Mouse: click a tab; scroll flagged rows and alerts. Esc or q closes this help or a detail.",
        theme.dim(),
    ));
    debug_assert_eq!(lines.len(), keymap::help_line_count());
    lines
}

/// The key table; it scrolls (`scroll` lines down) when the terminal is too short.
pub(super) fn draw_help(frame: &mut Frame, area: Rect, scroll: u16, theme: Theme) {
    let lines = help_lines(theme);
    let height = (lines.len() as u16 + 2).min(area.height);
    let width = 92.min(area.width);
    // Lines that do not fit: ↑/↓ scroll them into view, and the title says so.
    let hidden = (lines.len() as u16).saturating_sub(height.saturating_sub(2));
    let scroll = scroll.min(hidden);
    let title = if hidden > 0 {
        format!(
            " Keys (?) · ↑/↓ scroll · lines {}–{} of {} ",
            scroll + 1,
            scroll + height.saturating_sub(2),
            lines.len()
        )
    } else {
        " Keys (?) ".to_owned()
    };
    let popup = Rect {
        x: area.x + (area.width - width) / 2,
        y: area.y + (area.height - height) / 2,
        width,
        height,
    };
    frame.render_widget(Clear, popup);
    frame.render_widget(
        Paragraph::new(lines)
            .scroll((scroll, 0))
            .block(titled(title, popup)),
        popup,
    );
}
