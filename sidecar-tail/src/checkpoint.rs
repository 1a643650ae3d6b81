//! Remembering how far each file was delivered, across restarts.
//!
//! The checkpoint file is JSON, replaced atomically: written to a temporary
//! file beside it, fsynced, renamed over the old one, and the directory
//! fsynced, so a crash at any moment leaves either the old or the new
//! checkpoint, never a torn one.

use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::identity::{FileId, Fingerprint};

/// The largest checkpoint read: a checkpoint holds a few hundred bytes per
/// followed file, and a bigger file is not one (it would be read whole).
const MAX_BYTES: u64 = 16 * 1024 * 1024;

/// Format version written into every checkpoint, so a future layout can
/// refuse or convert an old one instead of misreading it.
const VERSION: u32 = 1;

/// Why a checkpoint could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum CheckpointError {
    /// Reading, writing or renaming the file failed.
    #[error("checkpoint {path}: {source}")]
    Io {
        /// The checkpoint file.
        path: PathBuf,
        /// What the system said.
        source: io::Error,
    },
    /// Checkpoints cannot be written where asked.
    #[error("checkpoint {path} cannot be written ({cause}): its directory must exist and be writable by this user")]
    NotWritable {
        /// The checkpoint file.
        path: PathBuf,
        /// What the system said.
        cause: io::Error,
    },
    /// The file exists but is not a checkpoint this version can read.
    #[error(
        "checkpoint {path} is not a valid sidecar-tail checkpoint ({reason}); move it away to start afresh"
    )]
    Invalid {
        /// The checkpoint file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
}

/// One followed file: which file, and the offset just past its last delivered line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// Device and inode of the file.
    pub id: FileId,
    /// Fingerprint of its first bytes, to tell a reused inode from the same file.
    pub fingerprint: Fingerprint,
    /// Offset just past the last line delivered.
    pub offset: u64,
    /// The name the file was last seen under; informational.
    pub path: PathBuf,
}

#[derive(Serialize, Deserialize)]
struct OnDisk {
    version: u32,
    files: Vec<Entry>,
}

/// The checkpoint file and the last state written to it.
#[derive(Debug)]
pub struct Checkpointer {
    path: PathBuf,
    last_written: Option<Vec<Entry>>,
}

impl Checkpointer {
    /// A checkpointer writing to `path`.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Checkpointer {
            path: path.into(),
            last_written: None,
        }
    }

    /// The checkpoint file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The entries of the checkpoint on disk, or `None` when there is none yet.
    pub fn load(&mut self) -> Result<Option<Vec<Entry>>, CheckpointError> {
        if let Ok(meta) = fs::metadata(&self.path) {
            if meta.len() > MAX_BYTES {
                return Err(CheckpointError::Invalid {
                    path: self.path.clone(),
                    reason: format!("{} bytes, more than a checkpoint can hold", meta.len()),
                });
            }
        }
        let text = match fs::read(&self.path) {
            Ok(text) => text,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(source) => {
                return Err(CheckpointError::Io {
                    path: self.path.clone(),
                    source,
                })
            }
        };
        let on_disk: OnDisk = serde_json::from_slice(&text).map_err(|e| CheckpointError::Invalid {
            path: self.path.clone(),
            reason: e.to_string(),
        })?;
        if on_disk.version != VERSION {
            return Err(CheckpointError::Invalid {
                path: self.path.clone(),
                reason: format!("version {} where {VERSION} was expected", on_disk.version),
            });
        }
        self.last_written = Some(on_disk.files.clone());
        Ok(Some(on_disk.files))
    }

    /// Checks at start that checkpoints can be written where asked (the
    /// directory exists and takes a file), so that a wrong path is refused
    /// before any line is printed, not at the first save.
    pub fn check_writable(&self) -> Result<(), CheckpointError> {
        let temp = self.temp_path();
        let written = File::create(&temp).and_then(|mut file| file.write_all(b"{}"));
        let _ = fs::remove_file(&temp);
        written.map_err(|cause| CheckpointError::NotWritable {
            path: self.path.clone(),
            cause,
        })
    }

    /// Writes `entries` atomically, unless they equal what was written last.
    pub fn save(&mut self, entries: Vec<Entry>) -> Result<(), CheckpointError> {
        if self.last_written.as_ref() == Some(&entries) {
            return Ok(());
        }
        let on_disk = OnDisk {
            version: VERSION,
            files: entries,
        };
        self.write_atomically(&on_disk)
            .inspect_err(|_| {
                // A full disk leaves a partial temporary file: not kept.
                let _ = fs::remove_file(self.temp_path());
            })
            .map_err(|source| CheckpointError::Io {
                path: self.path.clone(),
                source,
            })?;
        self.last_written = Some(on_disk.files);
        Ok(())
    }

    /// The temporary file each write goes through before its rename.
    pub fn temp_path(&self) -> PathBuf {
        let mut name = self.path.file_name().unwrap_or_default().to_os_string();
        name.push(".tmp");
        self.path.with_file_name(name)
    }

    fn write_atomically(&self, on_disk: &OnDisk) -> io::Result<()> {
        let dir = match self.path.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir,
            _ => Path::new("."),
        };
        let temp = self.temp_path();
        {
            let mut file = File::create(&temp)?;
            serde_json::to_writer_pretty(&mut file, on_disk)?;
            file.write_all(b"\n")?;
            file.sync_all()?;
        }
        fs::rename(&temp, &self.path)?;
        File::open(dir)?.sync_all()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(ino: u64, offset: u64) -> Entry {
        Entry {
            id: FileId { dev: 1, ino },
            fingerprint: Fingerprint { len: 3, hash: 42 },
            offset,
            path: PathBuf::from("/var/log/app.log"),
        }
    }

    #[test]
    fn round_trips_and_skips_unchanged_writes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cp.json");
        let mut cp = Checkpointer::new(&path);
        assert_eq!(cp.load().unwrap(), None);
        cp.save(vec![entry(7, 100)]).unwrap();
        let first = fs::metadata(&path).unwrap().modified().unwrap();
        cp.save(vec![entry(7, 100)]).unwrap();
        assert_eq!(fs::metadata(&path).unwrap().modified().unwrap(), first);

        let mut again = Checkpointer::new(&path);
        assert_eq!(again.load().unwrap(), Some(vec![entry(7, 100)]));
        assert!(!dir.path().join("cp.json.tmp").exists());
    }

    #[test]
    fn garbage_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cp.json");
        fs::write(&path, b"\x00\x01 not json").unwrap();
        let err = Checkpointer::new(&path).load().unwrap_err();
        assert!(
            err.to_string().contains("not a valid sidecar-tail checkpoint"),
            "{err}"
        );
    }
}
