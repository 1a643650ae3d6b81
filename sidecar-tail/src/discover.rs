//! Finding the files that the user's paths and globs name, as they are now.
//!
//! Every scan starts from the patterns again, so a file that appears later,
//! a new file under a rotated name, or a symlink pointed somewhere else is
//! seen on the next scan. Files are named by [`FileId`], so one file reached
//! through two patterns, or through a symlink and its target, is one file.

use std::collections::HashSet;
use std::ffi::OsString;
use std::fs::{self, Metadata};
use std::os::unix::fs::MetadataExt;
use std::path::{Component, Path, PathBuf};

use crate::identity::FileId;

/// A pattern the user gave that is not a valid glob.
#[derive(Debug, thiserror::Error)]
#[error("invalid path pattern {pattern:?}: {reason}")]
pub struct PatternError {
    /// The pattern as given.
    pub pattern: String,
    /// What the glob parser objected to.
    pub reason: String,
}

#[derive(Debug)]
enum PathPattern {
    Literal(PathBuf),
    Glob {
        text: String,
        /// The leading directories that hold no glob characters.
        base: PathBuf,
    },
}

/// A regular file that a pattern matched on this scan.
#[derive(Debug)]
pub struct Found {
    /// The path it was found under (a symlink stays a symlink here).
    pub path: PathBuf,
    /// Device and inode of the file (of the symlink's target).
    pub id: FileId,
    /// Its metadata at the time of the scan.
    pub meta: Metadata,
}

impl Found {
    /// Sorts files oldest first: rotated files before the file that replaced
    /// them. Modification time, then status-change time (a rename sets it),
    /// then inode number break ties between files written in the same tick.
    pub fn age_key(&self) -> (i64, i64, i64, i64, u64) {
        let m = &self.meta;
        (m.mtime(), m.mtime_nsec(), m.ctime(), m.ctime_nsec(), m.ino())
    }
}

/// What one scan found.
#[derive(Debug, Default)]
pub struct Scan {
    /// Each file once, in pattern order and, within a glob, in name order.
    pub found: Vec<Found>,
    /// For each pattern, whether it matched at least one file.
    pub matched: Vec<bool>,
}

/// The user's paths and globs.
#[derive(Debug)]
pub struct Discovery {
    patterns: Vec<PathPattern>,
    /// Files never to follow, as (directory, file name): our own checkpoint,
    /// which a glob over its directory would otherwise feed back to us.
    excluded: Vec<(PathBuf, OsString)>,
    /// The user's `--exclude` globs, against the full path or the name.
    excluded_globs: Vec<glob::Pattern>,
}

impl Discovery {
    /// Parses the user's patterns; a pattern with `*`, `?` or `[` is a glob.
    pub fn new(patterns: &[String]) -> Result<Self, PatternError> {
        let patterns = patterns
            .iter()
            .map(|text| {
                if !is_glob(text) {
                    return Ok(PathPattern::Literal(PathBuf::from(text)));
                }
                glob::Pattern::new(text).map_err(|e| PatternError {
                    pattern: text.clone(),
                    reason: e.to_string(),
                })?;
                Ok(PathPattern::Glob {
                    text: text.clone(),
                    base: literal_base(text),
                })
            })
            .collect::<Result<_, _>>()?;
        Ok(Discovery {
            patterns,
            excluded: Vec::new(),
            excluded_globs: Vec::new(),
        })
    }

    /// Never reports the file at `path`, whatever pattern matches it.
    pub fn exclude(&mut self, path: &Path) {
        if let Some(name) = path.file_name() {
            let dir = parent_dir(path);
            self.excluded
                .push((dir.canonicalize().unwrap_or(dir), name.to_owned()));
        }
    }

    /// Never reports files whose path or name matches one of `globs`.
    pub fn exclude_globs(&mut self, globs: Vec<glob::Pattern>) {
        self.excluded_globs = globs;
    }

    fn is_excluded(&self, path: &Path) -> bool {
        let Some(name) = path.file_name() else {
            return false;
        };
        let name_text = name.to_string_lossy();
        if self
            .excluded_globs
            .iter()
            .any(|glob| glob.matches_path(path) || glob.matches(&name_text))
        {
            return true;
        }
        self.excluded.iter().any(|(dir, excluded)| {
            excluded == name && parent_dir(path).canonicalize().is_ok_and(|parent| &parent == dir)
        })
    }

    /// The patterns as the user gave them, in order.
    pub fn pattern_texts(&self) -> impl Iterator<Item = String> + '_ {
        self.patterns.iter().map(|p| match p {
            PathPattern::Literal(path) => path.display().to_string(),
            PathPattern::Glob { text, .. } => text.clone(),
        })
    }

    /// Directories whose changes can make a pattern match something new:
    /// the parent of a literal path, the fixed leading part of a glob.
    pub fn base_dirs(&self) -> impl Iterator<Item = PathBuf> + '_ {
        self.patterns.iter().map(|p| match p {
            PathPattern::Literal(path) => parent_dir(path),
            PathPattern::Glob { base, .. } => base.clone(),
        })
    }

    /// The literal paths that exist but are not regular files (a
    /// directory, a FIFO, a device), with what each is.
    pub fn not_files(&self) -> Vec<(PathBuf, &'static str)> {
        use std::os::unix::fs::FileTypeExt;
        self.patterns
            .iter()
            .filter_map(|pattern| match pattern {
                PathPattern::Literal(path) => Some(path),
                PathPattern::Glob { .. } => None,
            })
            .filter_map(|path| {
                let kind = fs::metadata(path).ok()?.file_type();
                let what = if kind.is_file() {
                    return None;
                } else if kind.is_dir() {
                    "a directory"
                } else if kind.is_fifo() {
                    "a FIFO (named pipe)"
                } else if kind.is_socket() {
                    "a socket"
                } else {
                    "a device"
                };
                Some((path.clone(), what))
            })
            .collect()
    }

    /// Lists the regular files the patterns match right now.
    pub fn scan(&self) -> Scan {
        let mut scan = Scan::default();
        let mut seen = HashSet::new();
        for pattern in &self.patterns {
            let mut matched = false;
            let mut newly_found = 0;
            let mut consider = |path: PathBuf| {
                if self.is_excluded(&path) {
                    return;
                }
                // fs::metadata follows symlinks: a link counts as its target.
                let Ok(meta) = fs::metadata(&path) else { return };
                if !meta.is_file() {
                    return;
                }
                matched = true;
                let id = FileId::of(&meta);
                if seen.insert(id) {
                    scan.found.push(Found { path, id, meta });
                    newly_found += 1;
                }
            };
            match pattern {
                PathPattern::Literal(path) => consider(path.clone()),
                PathPattern::Glob { text, .. } => {
                    // The pattern was validated in `new`; entries that cannot
                    // be read (permissions, a race with deletion) are skipped.
                    if let Ok(paths) = glob::glob(text) {
                        paths.flatten().for_each(&mut consider);
                    }
                    // A glob's files come oldest first, so that after a
                    // restart a rotated file is read before its successor.
                    let from = scan.found.len() - newly_found;
                    scan.found[from..].sort_by_key(Found::age_key);
                }
            }
            scan.matched.push(matched);
        }
        scan
    }
}

fn is_glob(text: &str) -> bool {
    text.contains(['*', '?', '['])
}

fn parent_dir(path: &Path) -> PathBuf {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// The leading components of a glob before the first one with a glob character.
fn literal_base(glob: &str) -> PathBuf {
    let mut base = PathBuf::new();
    for component in Path::new(glob).components() {
        if let Component::Normal(part) = component {
            if is_glob(&part.to_string_lossy()) {
                break;
            }
        }
        base.push(component);
    }
    if base.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        base
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literal_base_stops_at_first_glob_component() {
        assert_eq!(
            literal_base("/var/log/nginx/*.log"),
            PathBuf::from("/var/log/nginx")
        );
        assert_eq!(literal_base("/var/log/*/x.log"), PathBuf::from("/var/log"));
        assert_eq!(literal_base("*.log"), PathBuf::from("."));
    }

    #[test]
    fn scan_dedups_links_and_reports_unmatched() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("a.log");
        fs::write(&real, b"x\n").unwrap();
        std::os::unix::fs::symlink(&real, dir.path().join("link.log")).unwrap();
        fs::create_dir(dir.path().join("sub.log")).unwrap();
        let patterns = vec![
            format!("{}/*.log", dir.path().display()),
            format!("{}/missing.log", dir.path().display()),
        ];
        let scan = Discovery::new(&patterns).unwrap().scan();
        assert_eq!(
            scan.found.len(),
            1,
            "the link and its target are one file; dirs are skipped"
        );
        assert_eq!(scan.found[0].path, real);
        assert_eq!(scan.matched, vec![true, false]);
    }

    #[test]
    fn invalid_glob_is_an_error() {
        let err = Discovery::new(&["/var/log/[.log".to_string()]).unwrap_err();
        assert!(err.to_string().contains("/var/log/[.log"));
    }
}
