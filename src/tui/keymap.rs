//! Every key binding, in one table: every key that does something is a row of it, and
//! the dispatcher, the footer and the help screen all read it, so they cannot disagree.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::tabs::Tab;

/// What a key does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Quit,
    Help,
    NextTab,
    PrevTab,
    GoTab(usize),
    /// Move the active slider by fine steps (negative: down).
    Slide(i32),
    /// Move the active slider by coarse steps.
    SlideCoarse(i32),
    /// Cycle the autoencoder's threshold mode.
    ThresholdMode,
    /// Toggle a log-scaled x axis on the reconstruction-error histogram.
    LogScale,
    Retrain,
    /// Switch profile / unsupervised and retrain.
    Protocol,
    /// Switch the autoencoder's preset and retrain.
    Preset,
    Cancel,
    Pause,
    Save,
    Export,
    Up,
    Down,
    PageUp,
    PageDown,
    Top,
    Bottom,
    Open,
    Filter,
    Sort,
}

/// Where a binding applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Global,
    /// Tabs with a threshold slider.
    Slider,
    Autoencoder,
    /// Tabs with a table of records: flagged rows and live alerts.
    Table,
    Flagged,
}

impl Scope {
    /// In the help screen's order.
    pub const ALL: [Scope; 5] = [
        Scope::Global,
        Scope::Slider,
        Scope::Autoencoder,
        Scope::Table,
        Scope::Flagged,
    ];

    pub fn applies(self, tab: Tab) -> bool {
        match self {
            Scope::Global => true,
            Scope::Slider => tab.detector().is_some(),
            Scope::Autoencoder => tab == Tab::Autoencoder,
            Scope::Table => tab.has_table(),
            Scope::Flagged => tab == Tab::Flagged,
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Scope::Global => "Everywhere",
            Scope::Slider => "Isolation Forest, Autoencoder and Fused tabs",
            Scope::Autoencoder => "Autoencoder tab",
            Scope::Table => "Flagged rows and Live tabs",
            Scope::Flagged => "Flagged rows tab",
        }
    }
}

/// A key as matched.
#[derive(Debug, Clone, Copy)]
enum Key {
    Char(char),
    Code(KeyCode),
    Ctrl(char),
    Shift(KeyCode),
}

impl Key {
    fn matches(self, event: &KeyEvent) -> bool {
        let shift = event.modifiers.contains(KeyModifiers::SHIFT);
        let ctrl = event.modifiers.contains(KeyModifiers::CONTROL);
        match self {
            Key::Char(c) => event.code == KeyCode::Char(c) && !ctrl,
            Key::Code(code) => event.code == code && !shift && !ctrl,
            Key::Ctrl(c) => ctrl && event.code == KeyCode::Char(c),
            Key::Shift(code) => shift && event.code == code,
        }
    }
}

/// One row of the table.
pub struct Binding {
    keys: &'static [Key],
    /// How the keys are shown.
    pub label: &'static str,
    /// The footer's word for it.
    pub short: &'static str,
    pub action: Action,
    pub help: &'static str,
    pub scope: Scope,
    /// Shown in the footer (the rest only in the help screen).
    pub footer: bool,
}

macro_rules! bind {
    ($label:expr, [$($key:expr),+], $action:expr, $help:expr, $scope:expr, $footer:expr) => {
        Binding { keys: &[$($key),+], label: $label, short: "", action: $action, help: $help, scope: $scope, footer: $footer }
    };
    ($label:expr, $short:expr, [$($key:expr),+], $action:expr, $help:expr, $scope:expr) => {
        Binding { keys: &[$($key),+], label: $label, short: $short, action: $action, help: $help, scope: $scope, footer: true }
    };
}

use Key::{Char, Code, Ctrl, Shift};

pub const BINDINGS: &[Binding] = &[
    bind!(
        "q",
        "quit",
        [Char('q'), Code(KeyCode::Esc), Ctrl('c')],
        Action::Quit,
        "quit (Esc and Ctrl-C too; cancels training)",
        Scope::Global
    ),
    bind!(
        "?",
        "help",
        [Char('?')],
        Action::Help,
        "show or hide this help",
        Scope::Global
    ),
    bind!(
        "1-7",
        [Char('1')],
        Action::GoTab(0),
        "go to a tab by number (7: Live)",
        Scope::Global,
        false
    ),
    bind!("", [Char('2')], Action::GoTab(1), "", Scope::Global, false),
    bind!("", [Char('3')], Action::GoTab(2), "", Scope::Global, false),
    bind!("", [Char('4')], Action::GoTab(3), "", Scope::Global, false),
    bind!("", [Char('5')], Action::GoTab(4), "", Scope::Global, false),
    bind!("", [Char('6')], Action::GoTab(5), "", Scope::Global, false),
    bind!("", [Char('7')], Action::GoTab(6), "", Scope::Global, false),
    bind!(
        "Tab",
        "next tab",
        [Code(KeyCode::Tab)],
        Action::NextTab,
        "next tab",
        Scope::Global
    ),
    bind!(
        "S-Tab",
        [Code(KeyCode::BackTab), Shift(KeyCode::BackTab)],
        Action::PrevTab,
        "previous tab",
        Scope::Global,
        false
    ),
    bind!(
        "r",
        "retrain",
        [Char('r')],
        Action::Retrain,
        "retrain the detectors with the current settings",
        Scope::Global
    ),
    bind!(
        "t",
        [Char('t')],
        Action::Protocol,
        "switch protocol (profile / unsupervised) and retrain",
        Scope::Global,
        false
    ),
    bind!(
        "a",
        [Char('a')],
        Action::Preset,
        "switch the autoencoder preset (default / the notebook's reference) and retrain",
        Scope::Global,
        false
    ),
    bind!(
        "c",
        [Char('c')],
        Action::Cancel,
        "cancel training (keeps the last finished epoch)",
        Scope::Global,
        false
    ),
    bind!(
        "p",
        [Char('p')],
        Action::Pause,
        "pause / resume the live curves",
        Scope::Global,
        false
    ),
    bind!(
        "s",
        "save",
        [Char('s')],
        Action::Save,
        "save the model bundle (thresholds as on screen)",
        Scope::Global
    ),
    bind!(
        "e",
        "export",
        [Char('e')],
        Action::Export,
        "export the flagged rows to CSV (on Live: the alerts)",
        Scope::Global
    ),
    bind!(
        "←/→ h/l",
        "threshold",
        [Code(KeyCode::Left), Char('h')],
        Action::Slide(-1),
        "move the threshold slider (fine)",
        Scope::Slider
    ),
    bind!(
        "",
        [Code(KeyCode::Right), Char('l')],
        Action::Slide(1),
        "",
        Scope::Slider,
        false
    ),
    bind!(
        "S-←/→ PgUp/PgDn H/L",
        [Shift(KeyCode::Left), Code(KeyCode::PageDown), Char('H')],
        Action::SlideCoarse(-1),
        "move the threshold slider (coarse)",
        Scope::Slider,
        false
    ),
    bind!(
        "",
        [Shift(KeyCode::Right), Code(KeyCode::PageUp), Char('L')],
        Action::SlideCoarse(1),
        "",
        Scope::Slider,
        false
    ),
    bind!(
        "m",
        "mode",
        [Char('m')],
        Action::ThresholdMode,
        "threshold mode: mean+kσ / percentile / contamination / manual",
        Scope::Autoencoder
    ),
    bind!(
        "g",
        [Char('g')],
        Action::LogScale,
        "log-scaled x axis for the error histogram",
        Scope::Autoencoder,
        false
    ),
    bind!(
        "↑/↓ j/k",
        "move",
        [Code(KeyCode::Up), Char('k')],
        Action::Up,
        "move the selection",
        Scope::Table
    ),
    bind!(
        "",
        [Code(KeyCode::Down), Char('j')],
        Action::Down,
        "",
        Scope::Table,
        false
    ),
    bind!(
        "PgUp/PgDn",
        [Code(KeyCode::PageUp)],
        Action::PageUp,
        "a page up / down",
        Scope::Table,
        false
    ),
    bind!(
        "",
        [Code(KeyCode::PageDown)],
        Action::PageDown,
        "",
        Scope::Table,
        false
    ),
    bind!(
        "Home/End",
        [Code(KeyCode::Home)],
        Action::Top,
        "first / last row",
        Scope::Table,
        false
    ),
    bind!(
        "",
        [Code(KeyCode::End)],
        Action::Bottom,
        "",
        Scope::Table,
        false
    ),
    bind!(
        "Enter",
        "details",
        [Code(KeyCode::Enter)],
        Action::Open,
        "open / close the record's details (flagged row or alert)",
        Scope::Table
    ),
    bind!(
        "f",
        "filter",
        [Char('f')],
        Action::Filter,
        "filter: either / both / forest only / autoencoder only",
        Scope::Flagged
    ),
    bind!(
        "o",
        "sort",
        [Char('o')],
        Action::Sort,
        "sort by forest score / autoencoder score",
        Scope::Flagged
    ),
];

/// The action of a key on `tab`; tab-specific bindings win over global ones.
pub fn action_for(event: &KeyEvent, tab: Tab) -> Option<Action> {
    let find = |specific: bool| {
        BINDINGS
            .iter()
            .filter(|b| (b.scope != Scope::Global) == specific && b.scope.applies(tab))
            .find(|b| b.keys.iter().any(|k| k.matches(event)))
            .map(|b| b.action)
    };
    find(true).or_else(|| find(false))
}

/// Lines of the help screen: per scope its title, its keys and a blank line, then the
/// mouse line.
pub fn help_line_count() -> usize {
    Scope::ALL
        .iter()
        .map(|&scope| 2 + visible(None, false).filter(|b| b.scope == scope).count())
        .sum::<usize>()
        + 1
}

/// How far the help can scroll on a terminal `height` rows high (the popup's borders
/// take two rows).
pub fn help_scroll_max(height: u16) -> u16 {
    (help_line_count() as u16).saturating_sub(height.saturating_sub(2))
}

/// Bindings with a label, for the footer (`footer_only`) or the help screen.
pub fn visible(tab: Option<Tab>, footer_only: bool) -> impl Iterator<Item = &'static Binding> {
    BINDINGS.iter().filter(move |b| {
        !b.label.is_empty() && (!footer_only || b.footer) && tab.is_none_or(|t| b.scope.applies(t))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: KeyCode, modifiers: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, modifiers)
    }

    #[test]
    fn keys_map_to_actions_by_tab() {
        let none = KeyModifiers::NONE;
        assert_eq!(
            action_for(&key(KeyCode::Char('q'), none), Tab::Overview),
            Some(Action::Quit)
        );
        assert_eq!(
            action_for(
                &key(KeyCode::Char('c'), KeyModifiers::CONTROL),
                Tab::Flagged
            ),
            Some(Action::Quit)
        );
        assert_eq!(
            action_for(&key(KeyCode::Char('c'), none), Tab::Flagged),
            Some(Action::Cancel)
        );
        assert_eq!(
            action_for(&key(KeyCode::Char('3'), none), Tab::Overview),
            Some(Action::GoTab(2))
        );
        assert_eq!(
            action_for(&key(KeyCode::Left, none), Tab::Iforest),
            Some(Action::Slide(-1))
        );
        assert_eq!(
            action_for(&key(KeyCode::Char('l'), none), Tab::Autoencoder),
            Some(Action::Slide(1))
        );
        assert_eq!(
            action_for(&key(KeyCode::Right, KeyModifiers::SHIFT), Tab::Iforest),
            Some(Action::SlideCoarse(1))
        );
        // PgUp scrolls the table but moves the slider coarsely on slider tabs.
        assert_eq!(
            action_for(&key(KeyCode::PageUp, none), Tab::Flagged),
            Some(Action::PageUp)
        );
        assert_eq!(
            action_for(&key(KeyCode::PageUp, none), Tab::Iforest),
            Some(Action::SlideCoarse(1))
        );
        assert_eq!(
            action_for(&key(KeyCode::Char('j'), none), Tab::Flagged),
            Some(Action::Down)
        );
        assert_eq!(
            action_for(&key(KeyCode::Char('j'), none), Tab::Overview),
            None
        );
        assert_eq!(
            action_for(&key(KeyCode::Char('m'), none), Tab::Iforest),
            None
        );
        // The live alerts scroll like the flagged rows; filter and sort are not theirs.
        assert_eq!(
            action_for(&key(KeyCode::Down, none), Tab::Live),
            Some(Action::Down)
        );
        assert_eq!(
            action_for(&key(KeyCode::Enter, none), Tab::Live),
            Some(Action::Open)
        );
        assert_eq!(action_for(&key(KeyCode::Char('f'), none), Tab::Live), None);
    }

    #[test]
    fn every_tab_has_its_number_key_and_nothing_else_is_special() {
        for (i, &tab) in Tab::ALL.iter().enumerate() {
            let digit = char::from(b'1' + i as u8);
            for on in Tab::ALL {
                assert_eq!(
                    action_for(&key(KeyCode::Char(digit), KeyModifiers::NONE), on),
                    Some(Action::GoTab(i)),
                    "{digit} on {on:?}"
                );
            }
            // Each number is a row of the table, going to the tab it names.
            let rows: Vec<_> = BINDINGS
                .iter()
                .filter(|b| {
                    b.keys
                        .iter()
                        .any(|k| matches!(k, Key::Char(c) if *c == digit))
                })
                .collect();
            assert_eq!(rows.len(), 1, "{digit}");
            assert_eq!(rows[0].action, Action::GoTab(tab.index()));
        }
        assert_eq!(
            action_for(&key(KeyCode::Char('8'), KeyModifiers::NONE), Tab::Overview),
            None
        );
        assert_eq!(
            action_for(
                &key(KeyCode::Char('2'), KeyModifiers::CONTROL),
                Tab::Overview
            ),
            None
        );
    }

    #[test]
    fn every_action_with_a_label_has_help_text() {
        for b in BINDINGS.iter().filter(|b| !b.label.is_empty()) {
            assert!(!b.help.is_empty(), "{}", b.label);
        }
    }
}
