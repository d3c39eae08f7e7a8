//! Output files appear whole or not at all: written to a temporary file in the target's
//! folder, flushed and synced, then renamed over the target.

use std::fs;
use std::io::{self, BufWriter, Write};
use std::path::Path;

/// Why an output file was not written.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("{path} already exists; pass --force to replace it")]
    Exists { path: String },
    #[error("cannot write {path}: {source}")]
    Io { path: String, source: io::Error },
    #[error("{path} is a directory; give the name of a file to write")]
    IsDirectory { path: String },
    #[error("cannot write {path}: the folder {folder} does not exist")]
    NoFolder { path: String, folder: String },
}

/// Checks, before any work, that `path` could be written: not an existing file
/// (without `overwrite`), not a directory (unless `directory`, for bundles and
/// reports), and in a folder that exists. `-` (standard output) always can.
pub fn check_output(path: &Path, overwrite: bool, directory: bool) -> Result<(), WriteError> {
    let shown = || path.display().to_string();
    if path.as_os_str() == "-" {
        return Ok(());
    }
    if path.is_dir() && !directory {
        return Err(WriteError::IsDirectory { path: shown() });
    }
    if path.exists() && !overwrite {
        return Err(WriteError::Exists { path: shown() });
    }
    let folder = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    if !folder.is_dir() {
        return Err(WriteError::NoFolder {
            path: shown(),
            folder: folder.display().to_string(),
        });
    }
    Ok(())
}

/// Writes `path` through `fill`. Without `overwrite`, an existing file is refused (and
/// the refusal is race-free: the final step is a no-clobber link).
pub fn write_atomically(
    path: &Path,
    overwrite: bool,
    fill: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> Result<(), WriteError> {
    let shown = path.display().to_string();
    let io_err = |source: io::Error| WriteError::Io {
        path: shown.clone(),
        source,
    };
    if !overwrite && path.exists() {
        return Err(WriteError::Exists { path: shown });
    }
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    remove_stale_partials(dir);
    let prefix = format!("{PARTIAL_PREFIX}{}-", std::process::id());
    let mut builder = tempfile::Builder::new();
    builder.prefix(&prefix).suffix(PARTIAL_SUFFIX);
    // A temporary file is private (0600); the result is an ordinary output file, so
    // create it with the mode any new file gets (0666 less the umask).
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666));
    let temp = builder.tempfile_in(dir).map_err(&io_err)?;
    {
        let mut out = BufWriter::new(temp.as_file());
        fill(&mut out).map_err(&io_err)?;
        out.flush().map_err(&io_err)?;
    }
    temp.as_file().sync_all().map_err(&io_err)?;
    if overwrite {
        temp.persist(path).map_err(|e| io_err(e.error))?;
    } else {
        temp.persist_noclobber(path).map_err(|e| {
            if e.error.kind() == io::ErrorKind::AlreadyExists {
                WriteError::Exists {
                    path: shown.clone(),
                }
            } else {
                io_err(e.error)
            }
        })?;
    }
    // Make the rename itself durable.
    if let Ok(d) = fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// Temporary files (and the staging directories of bundles) are
/// `.netanomaly-<pid>-<random>.partial`, beside their target.
const PARTIAL_PREFIX: &str = ".netanomaly-";
const PARTIAL_SUFFIX: &str = ".partial";

/// Removes the temporary files and staging directories that killed writers (SIGKILL,
/// power loss) left in `dir`: those whose process is gone. Where processes cannot be
/// checked (no /proc), nothing.
fn remove_stale_partials(dir: &Path) {
    if !Path::new("/proc/self").exists() {
        return;
    }
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .and_then(|n| n.strip_prefix(PARTIAL_PREFIX))
            .filter(|n| n.ends_with(PARTIAL_SUFFIX))
            .and_then(|n| n.split_once('-'))
            .and_then(|(pid, _)| pid.parse::<u32>().ok())
        else {
            continue;
        };
        if pid != std::process::id() && !Path::new(&format!("/proc/{pid}")).exists() {
            let path = entry.path();
            let _ = if path.is_dir() {
                fs::remove_dir_all(&path)
            } else {
                fs::remove_file(&path)
            };
        }
    }
}

/// Writes a directory of files atomically: staged in a temporary sibling, then renamed
/// into place (an existing directory is only replaced with `overwrite`).
pub fn write_directory(
    path: &Path,
    overwrite: bool,
    files: &[(String, Vec<u8>)],
) -> Result<(), WriteError> {
    let shown = path.display().to_string();
    let io_err = |source: io::Error| WriteError::Io {
        path: shown.clone(),
        source,
    };
    if path.exists() && !overwrite {
        return Err(WriteError::Exists { path: shown });
    }
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => Path::new(".").to_path_buf(),
    };
    fs::create_dir_all(&parent).map_err(&io_err)?;
    remove_stale_partials(&parent);
    let mut builder = tempfile::Builder::new();
    let prefix = format!("{PARTIAL_PREFIX}{}-", std::process::id());
    builder.prefix(&prefix).suffix(PARTIAL_SUFFIX);
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o777));
    let staging = builder.tempdir_in(&parent).map_err(&io_err)?;
    for (name, bytes) in files {
        let file = staging.path().join(name);
        fs::write(&file, bytes).map_err(&io_err)?;
        fs::File::open(&file)
            .and_then(|f| f.sync_all())
            .map_err(&io_err)?;
    }
    let staged = staging.keep();
    let result = if path.exists() {
        // The old directory is moved aside first so the target is never partial.
        let aside = parent.join(format!(".netanomaly-replaced-{}", std::process::id()));
        fs::rename(path, &aside)
            .and_then(|()| fs::rename(&staged, path))
            .and_then(|()| fs::remove_dir_all(&aside))
    } else {
        fs::rename(&staged, path)
    };
    if result.is_err() {
        let _ = fs::remove_dir_all(&staged);
    }
    result.map_err(io_err)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_to_overwrite_and_leaves_no_partial_file() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("out.csv");
        write_atomically(&target, false, |w| w.write_all(b"first\n")).unwrap();
        let err = write_atomically(&target, false, |w| w.write_all(b"second\n")).unwrap_err();
        assert!(err.to_string().contains("--force"), "{err}");
        assert_eq!(fs::read_to_string(&target).unwrap(), "first\n");
        // A failing writer leaves the old file intact and no temporary behind.
        let err = write_atomically(&target, true, |w| {
            w.write_all(b"half")?;
            Err(io::Error::other("disk on fire"))
        })
        .unwrap_err();
        assert!(err.to_string().contains("disk on fire"));
        assert_eq!(fs::read_to_string(&target).unwrap(), "first\n");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
        write_atomically(&target, true, |w| w.write_all(b"second\n")).unwrap();
        assert_eq!(fs::read_to_string(&target).unwrap(), "second\n");
    }

    #[test]
    fn temporaries_of_dead_writers_are_removed_and_live_ones_kept() {
        if !Path::new("/proc/self").exists() {
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        // A pid above the kernel's maximum (4194304) never runs.
        let dead = dir.path().join(".netanomaly-4999999-abc123.partial");
        let alive = dir
            .path()
            .join(format!(".netanomaly-{}-def456.partial", std::process::id()));
        let other = dir.path().join(".netanomaly-notes.partial");
        for p in [&dead, &alive, &other] {
            fs::write(p, b"half").unwrap();
        }
        write_atomically(&dir.path().join("out.csv"), false, |w| w.write_all(b"x\n")).unwrap();
        assert!(!dead.exists());
        assert!(alive.exists() && other.exists());
    }

    #[test]
    fn staging_directories_of_dead_writers_are_removed() {
        if !Path::new("/proc/self").exists() {
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let dead = dir.path().join(".netanomaly-4999999-xyz789.partial");
        fs::create_dir(&dead).unwrap();
        fs::write(dead.join("manifest.json"), b"{").unwrap();
        let files = [("a.json".to_owned(), b"{}".to_vec())];
        write_directory(&dir.path().join("model"), false, &files).unwrap();
        assert!(!dead.exists());
        let left: Vec<_> = fs::read_dir(dir.path()).unwrap().flatten().collect();
        assert_eq!(left.len(), 1, "{left:?}");
    }

    /// The dashboard's export (`e`) goes through `export::write_flagged_csv` into
    /// `write_atomically`: a failure half-way leaves no file at the target and no
    /// temporary beside it.
    #[test]
    fn a_failing_export_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("netanomaly-flagged-x.csv");
        let err = write_atomically(&target, false, |w| {
            w.write_all(&[b'x'; 1 << 20])?;
            Err(io::Error::other("killed"))
        })
        .unwrap_err();
        assert!(err.to_string().contains("killed"));
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[cfg(unix)]
    #[test]
    fn output_files_get_the_usual_mode_not_a_temporary_files() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("out.csv");
        write_atomically(&target, false, |w| w.write_all(b"x\n")).unwrap();
        let mode = fs::metadata(&target).unwrap().permissions().mode() & 0o777;
        // The same mode as a file created the ordinary way under this umask.
        let probe = dir.path().join("probe");
        fs::write(&probe, b"").unwrap();
        let usual = fs::metadata(&probe).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, usual, "{mode:o} vs {usual:o}");
    }
}
