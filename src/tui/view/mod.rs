//! Drawing: a pure function of the state. [`draw`] lays out the chrome (header, tab
//! bar, status line, footer, help; `chrome.rs`) and hands the body to the file of the
//! tab shown, one file per tab.

mod autoencoder;
mod chrome;
mod compare;
mod detector_panel;
mod flagged;
mod iforest;
mod live;
mod overview;
mod text;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout};

use super::app::App;
use super::tabs::Tab;
use super::widgets::Theme;
use crate::detect::DetectorKind;

/// Draws the whole screen.
pub fn draw(frame: &mut Frame, app: &App, theme: Theme) {
    let area = frame.area();
    if app_too_small(area.width, area.height) {
        chrome::draw_too_small(frame, area);
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
    chrome::draw_header(frame, header, app, theme);
    chrome::draw_tab_bar(frame, tabs, app, theme);
    let body = match &app.error {
        Some(message) => chrome::draw_error(frame, body, message, theme),
        None => body,
    };
    match app.tab {
        Tab::Live => live::draw(frame, body, app, theme),
        _ if !app.has_data => chrome::draw_no_data(frame, body, theme),
        Tab::Overview => overview::draw(frame, body, app, theme),
        Tab::Iforest => iforest::draw(frame, body, app, theme),
        Tab::Autoencoder => autoencoder::draw(frame, body, app, theme),
        Tab::Fused => detector_panel::draw(frame, body, app, DetectorKind::Fused, theme),
        Tab::Compare => compare::draw(frame, body, app, theme),
        Tab::Flagged => flagged::draw(frame, body, app, theme),
    }
    chrome::draw_status(frame, status, app, theme);
    chrome::draw_footer(frame, footer, app, theme);
    if app.help {
        chrome::draw_help(frame, area, app.help_scroll, theme);
    }
}

fn app_too_small(width: u16, height: u16) -> bool {
    width < super::app::MIN_WIDTH || height < super::app::MIN_HEIGHT
}
