//! `--follow`: keep reading a file as it grows, like `tail -F`.
//!
//! At the end of the data the reader polls the path. If the path now names another file
//! (log rotation: the old file was renamed and a new one created), the rest of the old
//! file is read first, then the new file from its start. If the file shrank (rotation by
//! `copytruncate`), reading restarts at its start. A path that disappears is waited for.
//! Polling (every 100 ms by default) is what `tail -F` falls back to as well, and needs
//! no platform-specific watcher.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// A reader that never reaches the end of its file until `stop` is set.
pub struct Follow {
    path: PathBuf,
    file: File,
    identity: Option<(u64, u64)>,
    position: u64,
    poll: Duration,
    stop: Arc<AtomicBool>,
    /// The file was replaced since the last [`Follow::take_switched`].
    switched: bool,
    /// Report a switch to a new file as the end of a stream (see [`Follow::take_switched`]).
    end_at_switch: bool,
}

impl Follow {
    pub fn open(path: &Path, stop: Arc<AtomicBool>) -> io::Result<Self> {
        let file = File::open(path)?;
        let identity = identity(&file);
        Ok(Follow {
            path: path.to_owned(),
            file,
            identity,
            position: 0,
            poll: Duration::from_millis(100),
            stop,
            switched: false,
            end_at_switch: false,
        })
    }

    /// Polling interval at the end of the data (tests shorten it).
    pub fn with_poll(mut self, poll: Duration) -> Self {
        self.poll = poll;
        self
    }

    /// Make a switch to a new file (rotation or truncation) read as the end of the data
    /// once: byte streams with a header of their own (pcap) must start a new parser.
    /// Reading goes on with the new file afterwards.
    pub fn end_at_switch(mut self) -> Self {
        self.end_at_switch = true;
        self
    }

    /// Whether the reader moved to a new file since the last call.
    pub fn take_switched(&mut self) -> bool {
        std::mem::take(&mut self.switched)
    }

    /// At the end of the current file: has the path moved on?
    fn check_rotation(&mut self) -> io::Result<bool> {
        let Ok(meta) = std::fs::metadata(&self.path) else {
            // Renamed away and not yet recreated: keep waiting.
            return Ok(false);
        };
        let now = meta_identity(&meta);
        if now.is_some() && now != self.identity {
            match File::open(&self.path) {
                Ok(file) => {
                    self.identity = identity(&file);
                    self.file = file;
                    self.position = 0;
                    self.switched = true;
                    return Ok(true);
                }
                Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(false),
                Err(e) => return Err(e),
            }
        }
        if meta.len() < self.position {
            self.file.seek(SeekFrom::Start(0))?;
            self.position = 0;
            self.switched = true;
            return Ok(true);
        }
        Ok(false)
    }
}

impl Read for Follow {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            let n = self.file.read(buf)?;
            if n > 0 || buf.is_empty() {
                self.position += n as u64;
                return Ok(n);
            }
            if self.stop.load(Ordering::Relaxed) {
                return Ok(0);
            }
            if self.check_rotation()? {
                if self.end_at_switch {
                    return Ok(0);
                }
                continue;
            }
            std::thread::sleep(self.poll);
        }
    }
}

#[cfg(unix)]
fn meta_identity(meta: &std::fs::Metadata) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    Some((meta.dev(), meta.ino()))
}

#[cfg(not(unix))]
fn meta_identity(_meta: &std::fs::Metadata) -> Option<(u64, u64)> {
    None
}

fn identity(file: &File) -> Option<(u64, u64)> {
    file.metadata().ok().as_ref().and_then(meta_identity)
}

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::sync::mpsc;

    use super::*;

    /// Reads everything the follower yields on a thread, across switches, until stopped.
    fn spawn_reader(mut follow: Follow) -> mpsc::Receiver<Vec<u8>> {
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut buf = [0u8; 64];
            loop {
                match follow.read(&mut buf) {
                    Ok(0) if follow.take_switched() => continue,
                    Ok(0) | Err(_) => break,
                    Ok(n) => {
                        if tx.send(buf[..n].to_vec()).is_err() {
                            break;
                        }
                    }
                }
            }
        });
        rx
    }

    fn collect_until(rx: &mpsc::Receiver<Vec<u8>>, want: &[u8]) -> Vec<u8> {
        let mut got = Vec::new();
        while !got.ends_with(want) {
            let piece = rx
                .recv_timeout(Duration::from_secs(5))
                .unwrap_or_else(|_| panic!("waited for {:?}", String::from_utf8_lossy(want)));
            got.extend_from_slice(&piece);
        }
        got
    }

    #[test]
    fn follows_growth_rotation_and_truncation() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("records.log");
        std::fs::write(&path, b"one\n").unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let follow = Follow::open(&path, stop.clone())
            .unwrap()
            .with_poll(Duration::from_millis(5))
            .end_at_switch();
        let rx = spawn_reader(follow);
        assert_eq!(collect_until(&rx, b"one\n"), b"one\n");

        let mut file = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap();
        file.write_all(b"two\n").unwrap();
        assert_eq!(collect_until(&rx, b"two\n"), b"two\n");

        // Rotation: the old file is renamed (and still written to a last time), a new
        // one takes its name.
        std::fs::rename(&path, dir.path().join("records.log.1")).unwrap();
        file.write_all(b"three\n").unwrap();
        std::fs::write(&path, b"four\n").unwrap();
        assert_eq!(collect_until(&rx, b"four\n"), b"three\nfour\n");

        // copytruncate: the file shrinks and is written from the start again.
        let mut file = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
        file.set_len(0).unwrap();
        file.write_all(b"5\n").unwrap();
        assert_eq!(collect_until(&rx, b"5\n"), b"5\n");

        stop.store(true, Ordering::Relaxed);
    }
}
