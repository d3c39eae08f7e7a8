//! `--alerts PATH`: flagged records appended to a file as JSON lines.
//!
//! Readers (`tail -F alerts.jsonl | jq`) must only ever see whole lines. Each batch's
//! lines go out in one `write` on a file opened for appending, so concurrent readers see
//! them whole. A process killed in the middle of a large write can still leave a cut
//! line (Linux stops a write between pages on SIGKILL); opening the file again removes
//! such a tail, so the file only ever holds whole lines.

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

pub struct AlertLog {
    path: PathBuf,
    file: File,
    /// Bytes of a cut last line removed on opening.
    pub repaired_bytes: u64,
}

impl AlertLog {
    /// Opens (or creates) the file for appending, first dropping a cut last line.
    pub fn open(path: &Path) -> io::Result<Self> {
        let mut file = OpenOptions::new()
            .create(true)
            .read(true)
            .append(true)
            .open(path)?;
        let repaired_bytes = drop_cut_tail(&mut file)?;
        Ok(AlertLog {
            path: path.to_owned(),
            file,
            repaired_bytes,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends whole lines (each ending in `\n`) in one write.
    pub fn append(&mut self, lines: &[u8]) -> io::Result<()> {
        debug_assert!(lines.is_empty() || lines.ends_with(b"\n"));
        if lines.is_empty() {
            return Ok(());
        }
        self.file.write_all(lines)?;
        self.file.flush()
    }
}

/// Truncates the file after its last newline; returns the bytes removed.
fn drop_cut_tail(file: &mut File) -> io::Result<u64> {
    let len = file.metadata()?.len();
    if len == 0 {
        return Ok(0);
    }
    // Scan back in blocks for the last newline.
    let mut end = len;
    let mut block = vec![0u8; 64 * 1024];
    while end > 0 {
        let start = end.saturating_sub(block.len() as u64);
        let n = (end - start) as usize;
        file.seek(SeekFrom::Start(start))?;
        file.read_exact(&mut block[..n])?;
        if let Some(i) = memchr::memrchr(b'\n', &block[..n]) {
            let keep = start + i as u64 + 1;
            if keep < len {
                file.set_len(keep)?;
            }
            return Ok(len - keep);
        }
        end = start;
    }
    file.set_len(0)?;
    Ok(len)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cut_last_line_is_removed_on_opening() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("alerts.jsonl");
        std::fs::write(&path, b"{\"a\":1}\n{\"a\":2}\n{\"a\":").unwrap();
        let mut log = AlertLog::open(&path).unwrap();
        assert_eq!(log.repaired_bytes, 5);
        log.append(b"{\"a\":3}\n").unwrap();
        drop(log);
        assert_eq!(
            std::fs::read(&path).unwrap(),
            b"{\"a\":1}\n{\"a\":2}\n{\"a\":3}\n"
        );
        // Whole lines are left alone; a file with no newline at all is all cut.
        assert_eq!(AlertLog::open(&path).unwrap().repaired_bytes, 0);
        std::fs::write(&path, vec![b'x'; 100_000]).unwrap();
        assert_eq!(AlertLog::open(&path).unwrap().repaired_bytes, 100_000);
        assert_eq!(std::fs::metadata(&path).unwrap().len(), 0);
    }
}
