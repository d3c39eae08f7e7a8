//! The Isolation Forest tab: the forest's detector panel and nothing else.

use ratatui::Frame;
use ratatui::layout::Rect;

use super::detector_panel;
use crate::detect::DetectorKind;
use crate::tui::app::App;
use crate::tui::widgets::Theme;

pub(super) fn draw(frame: &mut Frame, area: Rect, app: &App, theme: Theme) {
    detector_panel::draw(frame, area, app, DetectorKind::Iforest, theme);
}
