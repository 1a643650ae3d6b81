//! The command line: flags, their defaults, and how they become a
//! [`TailConfig`]. [`FollowArgs`] are the flags of following files, which
//! adapter-fmt flattens into its own command line.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, ValueEnum};

use crate::follower::StartAt;
use crate::output::OutputFormat;
use crate::tailer::{TailConfig, WatchMode};

/// Follow log files and stream their lines to stdout/stderr, losing and
/// duplicating nothing across rotation, truncation and restarts.
#[derive(Debug, Parser)]
#[command(name = "sidecar-tail", version, after_help = EXAMPLES)]
pub struct Cli {
    /// Files or globs to follow. Quote globs ('/var/log/nginx/*.log') so that
    /// sidecar-tail, not the shell, expands them: then files that appear later
    /// are followed too. `-` alone reads stdin to its end.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<String>,

    /// Where to start in files present at start: +N starts at line N, N prints
    /// the last N lines first. A checkpoint, when present, wins.
    #[arg(short = 'n', long, value_name = "[+]N", default_value = "+1", value_parser = parse_start, allow_hyphen_values = true)]
    pub lines: StartAt,

    /// Output format. Default: prefixed when several files may be followed and
    /// stdout is a terminal, raw otherwise.
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub output: Option<OutputFormat>,

    /// Send the lines of files matching GLOB (full path or file name) to
    /// stderr instead of stdout. Repeatable.
    #[arg(long = "stderr", value_name = "GLOB", value_parser = parse_glob)]
    pub stderr: Vec<glob::Pattern>,

    /// Colour the file names of prefixed output.
    #[arg(long, value_enum, default_value = "auto", value_name = "WHEN")]
    pub color: ColorChoice,

    /// Follow (the default; accepted as tail's). By name or descriptor,
    /// sidecar-tail follows both: the open file to its end after a
    /// rotation, then the file that took its name.
    #[arg(short = 'f', long = "follow", value_name = "HOW", value_enum, num_args = 0..=1,
          require_equals = true, default_missing_value = "descriptor", help_heading = TAIL)]
    pub follow: Option<FollowHow>,

    /// tail's --follow=name --retry (the default here).
    #[arg(short = 'F', help_heading = TAIL)]
    pub follow_name_retry: bool,

    /// Keep trying to open a file that is missing or unreadable (the
    /// default here).
    #[arg(long, help_heading = TAIL)]
    pub retry: bool,

    /// Never print file-name headers (the default here).
    #[arg(short = 'q', long = "quiet", visible_alias = "silent", help_heading = TAIL)]
    pub quiet: bool,

    /// Print `==> FILE <==` before the lines of each file, as tail does.
    #[arg(short = 'v', long = "verbose", help_heading = TAIL, conflicts_with = "quiet")]
    pub verbose: bool,

    /// How often files are looked at when polling (inotify unavailable,
    /// or --poll without an interval), in seconds as tail takes it.
    #[arg(short = 's', long = "sleep-interval", value_name = "SECONDS", value_parser = parse_seconds, help_heading = TAIL)]
    pub sleep_interval: Option<Duration>,

    /// Start by bytes instead of lines: +N starts at byte N, N prints the
    /// last N bytes first (wins over -n).
    #[arg(short = 'c', long = "bytes", value_name = "[+]N", value_parser = parse_start_bytes, allow_hyphen_values = true, help_heading = TAIL)]
    pub bytes: Option<StartAt>,

    /// Lines end with NUL instead of newline.
    #[arg(short = 'z', long = "zero-terminated", help_heading = TAIL)]
    pub zero_terminated: bool,

    /// Exit after process PID has died and the files are read to their end.
    #[arg(long, value_name = "PID", help_heading = TAIL)]
    pub pid: Option<i32>,

    #[command(flatten)]
    #[allow(missing_docs)]
    pub following: FollowArgs,

    #[command(flatten)]
    #[allow(missing_docs)]
    pub diagnostics: podkit::log::LogArgs,
}

/// How files are followed: the flags sidecar-tail and adapter-fmt share,
/// flattened into each one's command line.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Following files")]
pub struct FollowArgs {
    /// Read what the files hold now and exit, instead of following them.
    #[arg(long)]
    pub no_follow: bool,

    /// Never follow files matching GLOB (full path or file name), e.g.
    /// '*.gz'. Repeatable.
    #[arg(long, value_name = "GLOB", value_parser = parse_glob)]
    pub exclude: Vec<glob::Pattern>,

    /// Follow compressed files too; by default a file whose first bytes say
    /// gzip, zstd, xz or bzip2 is skipped with one warning.
    #[arg(long)]
    pub compressed: bool,

    /// Keep each file's delivered offset in FILE, so a restart resumes
    /// exactly where the last run stopped (on the shared volume, beside the
    /// logs).
    #[arg(long, value_name = "FILE")]
    pub checkpoint: Option<PathBuf>,

    /// How often the checkpoint is written while lines flow: after a kill
    /// -9, at most this much is printed again (250ms: about 0.2 % of a
    /// core more than 1s at 100 000 lines/s).
    #[arg(long, default_value = "250ms", value_name = "INTERVAL", value_parser = podkit::values::parse_interval)]
    pub checkpoint_interval: Duration,

    /// Look at every path and file every INTERVAL instead of using inotify
    /// (for NFS and overlay volumes where inotify sees nothing). Without it,
    /// polling every 250ms starts by itself when inotify is unavailable.
    #[arg(long, value_name = "INTERVAL", value_parser = podkit::values::parse_interval)]
    pub poll: Option<Duration>,

    /// How often globs are evaluated again, besides directory events.
    #[arg(long, default_value = "1s", value_name = "INTERVAL", value_parser = podkit::values::parse_interval)]
    pub glob_interval: Duration,

    /// Lines longer than this are cut into pieces of this size (with a
    /// warning), never dropped. Accepts K, M, KiB, MiB suffixes.
    #[arg(long, default_value = "1MiB", value_name = "BYTES", value_parser = podkit::values::parse_size)]
    pub max_line_bytes: usize,

    /// On SIGTERM or SIGINT, how long reading files to their end may take.
    #[arg(long, default_value = "5s", value_name = "DURATION", value_parser = humantime::parse_duration)]
    pub drain_timeout: Duration,

    /// How long a rotated-away or deleted file stays open after it last grew,
    /// for writers that finish writing before they reopen.
    #[arg(long, default_value = "5s", value_name = "DURATION", value_parser = humantime::parse_duration)]
    pub rotate_wait: Duration,
}

impl FollowArgs {
    /// Refuses the flags that cannot apply when the input is stdin: a
    /// checkpoint, since a pipe cannot be read again after a restart.
    pub fn check_for_stdin(&self) -> anyhow::Result<()> {
        if self.checkpoint.is_some() {
            anyhow::bail!(
                "--checkpoint does not apply to `-` (stdin), which cannot be read again after a restart"
            );
        }
        Ok(())
    }

    /// The tailer's configuration for `paths`, from the first line of each
    /// file (tail's `-n +1`), lines ending with newlines.
    pub fn tail_config(&self, paths: &[String]) -> TailConfig {
        TailConfig {
            paths: paths.to_vec(),
            start: StartAt::Line(1),
            follow: !self.no_follow,
            watch: self.poll.map_or(WatchMode::Events, WatchMode::Poll),
            glob_interval: self.glob_interval,
            max_line_bytes: self.max_line_bytes,
            checkpoint: self.checkpoint.clone(),
            checkpoint_interval: self.checkpoint_interval,
            drain_timeout: self.drain_timeout,
            rotate_wait: self.rotate_wait,
            exclude: self.exclude.clone(),
            compressed: self.compressed,
            ..TailConfig::default()
        }
    }
}

const EXAMPLES: &str = "\
Examples:
  sidecar-tail /var/log/nginx/access.log
  sidecar-tail --stderr error.log '/var/log/nginx/*.log'
  sidecar-tail --checkpoint /var/log/nginx/.sidecar-tail.json '/var/log/nginx/*.log'
  sidecar-tail -n 20 --no-follow app.log\n  source <(sidecar-tail completions bash)   # also zsh, fish; `sidecar-tail man` for the man page";

/// When to colour output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// When stdout is a terminal.
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

impl Cli {
    /// The tailer's configuration.
    pub fn tail_config(&self) -> TailConfig {
        TailConfig {
            start: self.bytes.unwrap_or(self.lines),
            delimiter: if self.zero_terminated { 0 } else { b'\n' },
            poll_interval: self
                .sleep_interval
                .unwrap_or(crate::tailer::FALLBACK_POLL_INTERVAL),
            until_process_dies: self.pid,
            ..self.following.tail_config(&self.paths)
        }
    }

    /// The output format: the one asked for, or the default for where
    /// stdout goes.
    pub fn output_format(&self, stdout_is_terminal: bool) -> OutputFormat {
        self.output.unwrap_or_else(|| {
            let several = self.paths.len() > 1 || self.paths.iter().any(|p| p.contains(['*', '?', '[']));
            if several && stdout_is_terminal {
                OutputFormat::Prefixed
            } else {
                OutputFormat::Raw
            }
        })
    }
}

/// tail's `--follow=name|descriptor`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FollowHow {
    /// Follow the name: reopen the file that takes it after a rotation.
    Name,
    /// Follow the open file.
    Descriptor,
}

/// The heading of tail's own flags in `--help`.
const TAIL: &str = "Tail compatibility";

/// `1`, `0.5`: seconds, as tail's `-s` takes them.
fn parse_seconds(text: &str) -> Result<Duration, String> {
    let seconds: f64 = text
        .parse()
        .map_err(|_| format!("expected a number of seconds like 1 or 0.5, got {text:?}"))?;
    if !(seconds > 0.0 && seconds <= 86_400.0) {
        return Err(format!("{text} seconds: give more than 0 and at most a day"));
    }
    Ok(Duration::from_secs_f64(seconds))
}

fn parse_start(text: &str) -> Result<StartAt, String> {
    Ok(match parse_count(text)? {
        (true, n) => StartAt::Line(n.max(1)),
        (false, n) => StartAt::LastLines(n),
    })
}

fn parse_start_bytes(text: &str) -> Result<StartAt, String> {
    Ok(match parse_count(text)? {
        (true, n) => StartAt::Byte(n.max(1)),
        (false, n) => StartAt::LastBytes(n),
    })
}

/// `+N` (from the start) or `N` (from the end); tail takes `-N` as `N`.
fn parse_count(text: &str) -> Result<(bool, u64), String> {
    let text = text.strip_prefix('-').unwrap_or(text);
    let (from_start, digits) = match text.strip_prefix('+') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let n: u64 = digits
        .parse()
        .map_err(|_| format!("expected N or +N with N a whole number, got {text:?}"))?;
    Ok((from_start, n))
}

fn parse_glob(text: &str) -> Result<glob::Pattern, String> {
    glob::Pattern::new(text).map_err(|e| format!("invalid glob {text:?}: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn start_follows_tail() {
        assert_eq!(parse_start("+1"), Ok(StartAt::Line(1)));
        assert_eq!(parse_start("+0"), Ok(StartAt::Line(1)));
        assert_eq!(parse_start("10"), Ok(StartAt::LastLines(10)));
        assert_eq!(
            parse_start("-3"),
            Ok(StartAt::LastLines(3)),
            "tail takes -n -3 as -n 3"
        );
        assert!(parse_start("ten").is_err());
    }

    #[test]
    fn default_output_depends_on_terminal_and_paths() {
        let cli = Cli::parse_from(["sidecar-tail", "a.log", "b.log"]);
        assert_eq!(cli.output_format(true), OutputFormat::Prefixed);
        assert_eq!(cli.output_format(false), OutputFormat::Raw);
        let one = Cli::parse_from(["sidecar-tail", "a.log"]);
        assert_eq!(one.output_format(true), OutputFormat::Raw);
    }

    #[test]
    fn clap_definition_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
