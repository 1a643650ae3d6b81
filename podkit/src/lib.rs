//! The process code the three pod helpers share, so that none of them
//! borrows it from another's crate (ripgrep's `grep-cli` is the model):
//!
//! - [`log`]: diagnostics on stderr or in a file, text or JSON, at the
//!   level `RUST_LOG` sets; the file can be reopened and the level changed
//!   while running.
//! - [`exit_code`]: the exit status of a run, with the broken-pipe rule.
//! - [`docs`]: shell completions and man pages from the clap definitions.
//! - [`values`]: flag values every binary takes: sizes and intervals.
//! - [`http`]: the accept loop every listener runs, and plain responses.
//! - [`prometheus`]: the Prometheus text format, written one family at a time.

pub mod docs;
mod exit;
pub mod http;
pub mod log;
pub mod prometheus;
pub mod values;

pub use exit::exit_code;
