//! Names for the files the dashboard writes: saves and exports never overwrite.

use std::path::{Path, PathBuf};

/// A path in `dir` that does not exist yet: `stem-YYYYMMDD-HHMMSS[-n]suffix`.
pub fn unique_path(dir: &Path, stem: &str, suffix: &str) -> PathBuf {
    let stamp = timestamp();
    (0..)
        .map(|n| {
            let extra = if n == 0 {
                String::new()
            } else {
                format!("-{n}")
            };
            dir.join(format!("{stem}-{stamp}{extra}{suffix}"))
        })
        .find(|p| !p.exists())
        .unwrap_or_else(|| dir.join(format!("{stem}{suffix}")))
}

/// UTC `YYYYMMDD-HHMMSS` (civil date from days since the epoch; no time-zone database).
fn timestamp() -> String {
    crate::clock::file_stamp(crate::clock::now_nanos() / 1_000_000_000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_civil_dates() {
        let t = timestamp();
        assert_eq!(t.len(), 15, "{t}");
        assert!(t.starts_with("20"), "{t}");
    }

    #[test]
    fn an_existing_name_gets_a_number() {
        let dir = tempfile::tempdir().unwrap();
        let first = unique_path(dir.path(), "netanomaly-flagged", ".csv");
        std::fs::write(&first, "").unwrap();
        let second = unique_path(dir.path(), "netanomaly-flagged", ".csv");
        // `-1` within the same second, a new stamp after it.
        assert_ne!(first, second);
        assert!(!second.exists());
    }
}
