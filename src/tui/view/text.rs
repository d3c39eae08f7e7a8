//! What the tabs share: a detector's state in words, cutting names to a column, and
//! the detail popups' area.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::widgets::Clear;

use crate::detect::DetectorKind;
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

pub(super) fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_owned()
    } else {
        let mut t: String = s.chars().take(n.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

/// The area of a record's detail popup over `area` (a small margin all round), cleared
/// so nothing behind shows through.
pub(super) fn detail_popup(frame: &mut Frame, area: Rect) -> Rect {
    let popup = Rect {
        x: area.x + 2,
        y: area.y + 1,
        width: area.width.saturating_sub(4),
        height: area.height.saturating_sub(2),
    };
    frame.render_widget(Clear, popup);
    popup
}
