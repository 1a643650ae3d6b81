//! Telling files apart: where a file lives on disk, and what it starts with.
//!
//! A path is not an identity: rotation moves a file to another name and puts a
//! new file under the old one. Device and inode name the file itself, but a
//! filesystem hands a freed inode number to the next file it creates, so a
//! fingerprint of the first bytes is kept beside them to catch that reuse (and
//! a copytruncate that rewrote the file past our offset between two looks).

use std::fs::{File, Metadata};
use std::io;
use std::os::unix::fs::{FileExt, MetadataExt};

use serde::{Deserialize, Serialize};

/// How many leading bytes the fingerprint covers once the file is that long.
pub const FINGERPRINT_BYTES: usize = 256;

/// Where a file lives: its device and inode number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct FileId {
    /// Device number of the filesystem holding the file.
    pub dev: u64,
    /// Inode number within that filesystem.
    pub ino: u64,
}

impl FileId {
    /// The identity of the file that `meta` describes.
    pub fn of(meta: &Metadata) -> Self {
        FileId {
            dev: meta.dev(),
            ino: meta.ino(),
        }
    }
}

/// A hash of a file's first `len` bytes (at most [`FINGERPRINT_BYTES`]).
///
/// A file shorter than [`FINGERPRINT_BYTES`] gets a shorter fingerprint, which
/// [`Fingerprint::grow`] extends as the file grows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fingerprint {
    /// How many leading bytes were hashed.
    pub len: u32,
    /// FNV-1a 64 of those bytes: stable across builds, unlike std's hasher.
    pub hash: u64,
}

impl Fingerprint {
    /// The fingerprint of an empty prefix, which every file matches.
    pub const EMPTY: Fingerprint = Fingerprint {
        len: 0,
        hash: FNV_OFFSET,
    };

    /// Hashes the first `min(len, FINGERPRINT_BYTES)` bytes of `file`.
    ///
    /// Returns `None` when the file is now shorter than `len`: it was truncated.
    pub fn read(file: &File, len: u64) -> io::Result<Option<Fingerprint>> {
        let want = len.min(FINGERPRINT_BYTES as u64) as usize;
        let mut buf = [0u8; FINGERPRINT_BYTES];
        let mut got = 0;
        while got < want {
            match file.read_at(&mut buf[got..want], got as u64) {
                Ok(0) => return Ok(None),
                Ok(n) => got += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(Some(Fingerprint {
            len: want as u32,
            hash: fnv1a64(&buf[..want]),
        }))
    }

    /// Whether `file` still starts with the bytes this fingerprint was taken of.
    pub fn matches(&self, file: &File) -> io::Result<bool> {
        Ok(Fingerprint::read(file, u64::from(self.len))? == Some(*self))
    }

    /// Extends a short fingerprint over the first `readable` bytes of `file`.
    ///
    /// Cheap when the fingerprint is already full: no I/O at all.
    pub fn grow(&mut self, file: &File, readable: u64) -> io::Result<()> {
        if (self.len as usize) < FINGERPRINT_BYTES && readable > u64::from(self.len) {
            if let Some(longer) = Fingerprint::read(file, readable)? {
                *self = longer;
            }
        }
        Ok(())
    }
}

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

fn fnv1a64(bytes: &[u8]) -> u64 {
    bytes.iter().fold(FNV_OFFSET, |hash, &byte| {
        (hash ^ u64::from(byte)).wrapping_mul(FNV_PRIME)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn fingerprint_tracks_growth_and_catches_rewrite() {
        let mut file = tempfile::tempfile().unwrap();
        file.write_all(b"first line\n").unwrap();
        let mut fp = Fingerprint::read(&file, 11).unwrap().unwrap();
        assert_eq!(fp.len, 11);
        assert!(fp.matches(&file).unwrap());

        file.write_all(&[b'x'; 400]).unwrap();
        fp.grow(&file, 411).unwrap();
        assert_eq!(fp.len as usize, FINGERPRINT_BYTES);
        assert!(fp.matches(&file).unwrap());

        file.set_len(0).unwrap();
        assert!(!fp.matches(&file).unwrap(), "a truncated file no longer matches");
        file.write_all_at(b"other line\n", 0).unwrap();
        file.write_all_at(&[b'x'; 400], 11).unwrap();
        assert!(!fp.matches(&file).unwrap(), "a rewritten file no longer matches");
    }

    #[test]
    fn fnv1a64_known_vector() {
        // The published FNV-1a 64 value for "a".
        assert_eq!(fnv1a64(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(Fingerprint::EMPTY.hash, fnv1a64(b""));
    }
}
