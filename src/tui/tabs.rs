//! The tabs, their titles on a wide or narrow tab bar, and which tab a click lands on.

/// The screens, in tab order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tab {
    Overview,
    Iforest,
    Autoencoder,
    Fused,
    Compare,
    Flagged,
    Live,
}

impl Tab {
    pub const ALL: [Tab; 7] = [
        Tab::Overview,
        Tab::Iforest,
        Tab::Autoencoder,
        Tab::Fused,
        Tab::Compare,
        Tab::Flagged,
        Tab::Live,
    ];

    pub fn title(self) -> &'static str {
        match self {
            Tab::Overview => "Overview",
            Tab::Iforest | Tab::Autoencoder | Tab::Fused => self
                .detector()
                .map_or("", crate::detect::DetectorKind::title),
            Tab::Compare => "Compare",
            Tab::Flagged => "Flagged rows",
            Tab::Live => "Live",
        }
    }

    /// The title on a narrow tab bar (below [`WIDE_TABS`] columns).
    pub fn short_title(self) -> &'static str {
        match self {
            Tab::Iforest => "Forest",
            Tab::Autoencoder => "Autoenc",
            Tab::Flagged => "Flagged",
            other => other.title(),
        }
    }

    pub fn index(self) -> usize {
        Tab::ALL.iter().position(|&t| t == self).unwrap_or(0)
    }

    pub fn next(self) -> Tab {
        Tab::ALL[(self.index() + 1) % Tab::ALL.len()]
    }

    pub fn previous(self) -> Tab {
        Tab::ALL[(self.index() + Tab::ALL.len() - 1) % Tab::ALL.len()]
    }

    /// The detector a tab shows, for the detectors' own tabs.
    pub fn detector(self) -> Option<crate::detect::DetectorKind> {
        use crate::detect::DetectorKind;
        match self {
            Tab::Iforest => Some(DetectorKind::Iforest),
            Tab::Autoencoder => Some(DetectorKind::Autoencoder),
            Tab::Fused => Some(DetectorKind::Fused),
            _ => None,
        }
    }

    /// Tabs with a table of records to scroll: flagged rows and live alerts.
    pub fn has_table(self) -> bool {
        matches!(self, Tab::Flagged | Tab::Live)
    }
}

/// A tab bar this wide shows the full titles; a narrower one the short ones, so that
/// every tab fits 80 columns.
pub const WIDE_TABS: u16 = 100;

/// The tab bar's line on screen (under the header).
pub const TAB_BAR_ROW: u16 = 1;

/// Tab titles as drawn on a tab bar `width` columns wide: ` 1 Overview │ 2 Isolation
/// Forest │ …`.
pub fn tab_titles(width: u16) -> Vec<String> {
    Tab::ALL
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let title = if width >= WIDE_TABS {
                t.title()
            } else {
                t.short_title()
            };
            format!("{} {title}", i + 1)
        })
        .collect()
}

/// The tab under column `x` of the tab bar (ratatui's Tabs: one space of padding on
/// each side of a title and a one-character divider).
pub fn tab_at(x: u16, width: u16) -> Option<Tab> {
    let mut start = 0u16;
    for (title, tab) in tab_titles(width).iter().zip(Tab::ALL) {
        let width = title.chars().count() as u16 + 2;
        if x >= start && x < start + width {
            return Some(tab);
        }
        start += width + 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tab_positions_follow_the_titles() {
        assert_eq!(tab_at(0, 120), Some(Tab::Overview));
        assert_eq!(tab_at(11, 120), Some(Tab::Overview));
        assert_eq!(tab_at(13, 120), Some(Tab::Iforest));
        assert_eq!(tab_at(50, 120), Some(Tab::Fused));
        assert_eq!(tab_at(90, 120), Some(Tab::Live));
        assert_eq!(tab_at(500, 120), None);
        // Short titles on 80 columns: the Live tab still fits.
        assert_eq!(tab_at(24, 80), Some(Tab::Autoencoder));
        assert_eq!(tab_at(37, 80), Some(Tab::Fused));
        assert_eq!(tab_at(72, 80), Some(Tab::Live));
        assert!(
            tab_titles(80)
                .iter()
                .map(|t| t.chars().count() + 3)
                .sum::<usize>()
                <= 81
        );
    }

    #[test]
    fn next_and_previous_wrap_around() {
        assert_eq!(Tab::Live.next(), Tab::Overview);
        assert_eq!(Tab::Overview.previous(), Tab::Live);
        assert_eq!(Tab::Compare.next().previous(), Tab::Compare);
    }
}
