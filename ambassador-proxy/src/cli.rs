//! nutcracker's command line, so scripts and images work with the binary
//! swapped.

use std::path::PathBuf;

use clap::Parser;

use crate::config::{from_env, Config, VARIABLES};

/// A consistent-hash Redis proxy: twemproxy's configuration, flags and key
/// placement.
///
/// Configuration comes from -c FILE (twemproxy's YAML); without it from the
/// environment of the malexer/twemproxy image (REDIS_SERVERS, LISTEN_PORT,
/// HASH, ...); without that, it listens on port 6380 in front of
/// 127.0.0.1:6379.
#[derive(Debug, Parser)]
#[command(name = "ambassador-proxy", version, after_help = EXAMPLES)]
pub struct Cli {
    /// Test the configuration for errors and exit (0 when valid, 1 when not).
    #[arg(short = 't', long = "test-conf")]
    pub test_conf: bool,

    /// Run in the background, detached from the terminal.
    #[arg(short = 'd', long)]
    pub daemonize: bool,

    /// Describe the statistics the stats port reports, and exit.
    #[arg(short = 'D', long = "describe-stats")]
    pub describe_stats: bool,

    /// Logging level, 0 to 11 as nutcracker's (4 warnings, 5 notices, 6
    /// info, 7 debug, 8 and up everything); RUST_LOG overrides it. SIGTTIN
    /// raises it and SIGTTOU lowers it while running.
    #[arg(short = 'v', long = "verbose", default_value_t = 5, value_name = "N", value_parser = clap::value_parser!(u8).range(0..=11))]
    pub verbosity: u8,

    /// Log to this file instead of stderr; SIGHUP reopens it (for
    /// logrotate).
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// twemproxy's YAML configuration file.
    #[arg(short = 'c', long = "conf-file", value_name = "FILE")]
    pub conf_file: Option<PathBuf>,

    /// Port of the stats server.
    #[arg(
        short = 's',
        long = "stats-port",
        default_value_t = 22222,
        value_name = "PORT"
    )]
    pub stats_port: u16,

    /// Address of the stats server.
    #[arg(
        short = 'a',
        long = "stats-addr",
        default_value = "0.0.0.0",
        value_name = "ADDR"
    )]
    pub stats_addr: String,

    /// Stats aggregation interval in milliseconds; accepted, no effect:
    /// the stats port reports live counters (nutcracker's lag by up to
    /// this interval).
    #[arg(
        short = 'i',
        long = "stats-interval",
        default_value_t = 30_000,
        value_name = "MS"
    )]
    pub stats_interval: u64,

    /// Write the process id to this file.
    #[arg(short = 'p', long = "pid-file", value_name = "FILE")]
    pub pid_file: Option<PathBuf>,

    /// Serve /metrics (Prometheus), /healthz and /readyz over HTTP here.
    #[arg(long, value_name = "ADDR", help_heading = OWN)]
    pub metrics_addr: Option<std::net::SocketAddr>,

    /// How often every server is checked with a PING (for /readyz and server_up).
    #[arg(long, default_value = "2s", value_name = "INTERVAL", value_parser = podkit::values::parse_interval, help_heading = OWN)]
    pub health_interval: std::time::Duration,

    /// Most arguments in one client request; more closes that client.
    #[arg(long, default_value_t = 1024 * 1024, value_name = "N", help_heading = OWN)]
    pub max_request_args: usize,

    /// Most bytes in one client request (at most Redis's 512MiB; K, M, G,
    /// KiB, MiB, GiB suffixes); more closes that client.
    #[arg(long, default_value = "512MiB", value_name = "BYTES", value_parser = parse_request_bytes, help_heading = OWN)]
    pub max_request_bytes: u64,

    /// How many bytes of replies a client may leave unread before the proxy
    /// stops reading its requests (it is held back; its server connections
    /// keep flowing for the other clients).
    #[arg(long, default_value = "4MiB", value_name = "SIZE", value_parser = podkit::values::parse_size, help_heading = OWN)]
    pub client_reply_buffer: usize,

    /// On SIGTERM or SIGINT, how long answering the requests in flight may take.
    #[arg(long, default_value = "10s", value_name = "DURATION", value_parser = humantime::parse_duration, help_heading = OWN)]
    pub shutdown_timeout: std::time::Duration,

    /// How often server names are looked up again (a StatefulSet pod that
    /// comes back with a new IP is found within this time); also the
    /// longest a DNS answer is kept.
    #[arg(long, default_value = "5s", value_name = "INTERVAL", value_parser = podkit::values::parse_interval, help_heading = OWN)]
    pub dns_refresh: std::time::Duration,

    /// The hosts file that server names are looked up in first.
    #[arg(long, default_value = "/etc/hosts", value_name = "FILE", help_heading = OWN)]
    pub hosts_file: PathBuf,

    /// The DNS configuration (name servers, search domains, ndots).
    #[arg(long, default_value = "/etc/resolv.conf", value_name = "FILE", help_heading = OWN)]
    pub resolv_conf: PathBuf,

    /// Worker threads of the runtime; default: half the CPUs, at least one.
    /// The proxy shares its pod (and node) with the app and Redis: on two
    /// CPUs one worker answers unpipelined clients faster than two that
    /// keep waking each other (see docs/benchmarks.md).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..), help_heading = OWN)]
    pub threads: Option<u16>,

    /// nutcracker's buffer chunk size; accepted for compatibility, no effect.
    #[arg(short = 'm', long = "mbuf-size", value_name = "N")]
    pub mbuf_size: Option<u32>,

    // Last: its heading would otherwise cover the flags after it.
    #[command(flatten)]
    #[allow(missing_docs)]
    pub diagnostics: podkit::log::LogArgs,
}

/// The configuring environment variables that are set.
fn set_variables() -> Vec<&'static str> {
    VARIABLES
        .iter()
        .copied()
        .filter(|name| std::env::var_os(name).is_some())
        .collect()
}

/// A request size limit: a size as the other flags take it, at most
/// Redis's own 512 MiB.
fn parse_request_bytes(text: &str) -> Result<u64, String> {
    let bytes = podkit::values::parse_size(text)?;
    if bytes > 512 << 20 {
        return Err(format!("{text} is more than Redis's own limit, 512MiB"));
    }
    Ok(bytes as u64)
}

/// The heading of the flags nutcracker does not have.
const OWN: &str = "Beyond nutcracker";

const EXAMPLES: &str = "\
Examples:
  ambassador-proxy -c /etc/nutcracker/nutcracker.yml
  ambassador-proxy -t -c nutcracker.yml            # check a configuration
  REDIS_SERVERS=redis-0:6379:1,redis-1:6379:1 ambassador-proxy
  ambassador-proxy -c nutcracker.yml --metrics-addr 0.0.0.0:9121
  source <(ambassador-proxy completions bash)      # also zsh, fish; `man` for the man page";

impl Cli {
    /// The configuration: from `-c FILE`, else from the malexer image's
    /// environment, else one pool on port 6380 in front of 127.0.0.1:6379.
    /// With `-c`, environment variables that would have configured the
    /// proxy are named in a warning: they are ignored.
    pub fn load_config(&self) -> anyhow::Result<Config> {
        let Some(path) = &self.conf_file else {
            if let Some(config) = from_env(|name| std::env::var(name).ok())? {
                return Ok(config);
            }
            let ignored = set_variables();
            if !ignored.is_empty() {
                tracing::warn!(
                    variables = ?ignored,
                    "REDIS_SERVERS is not set, so these are ignored: serving the default pool, port 6380 in front of 127.0.0.1:6379"
                );
            }
            return Ok(Config::default_single());
        };
        let ignored = set_variables();
        if !ignored.is_empty() {
            tracing::warn!(
                variables = ?ignored,
                "the configuration comes from -c; these environment variables are ignored"
            );
        }
        Ok(Config::from_file(path)?)
    }

    /// The server's options, with the stats port at `stats_addr` (from
    /// [`Cli::stats_listen`]).
    pub fn server_options(&self, stats_addr: String) -> crate::server::ServerOptions {
        let resolver = std::sync::Arc::new(crate::resolve::Resolver::new(
            &self.resolver_files(),
            self.dns_refresh,
        ));
        crate::server::ServerOptions {
            settings: crate::pool::Settings {
                limits: self.limits(),
                client_reply_buffer: self.client_reply_buffer,
                health_interval: self.health_interval,
                resolver,
            },
            stats_addr,
            metrics_addr: self.metrics_addr,
            conf_file: self.conf_file.clone(),
            shutdown_timeout: self.shutdown_timeout,
        }
    }

    /// The request limits for clients.
    pub fn limits(&self) -> crate::protocol::Limits {
        crate::protocol::Limits {
            max_args: self.max_request_args,
            max_bytes: self.max_request_bytes as usize,
        }
    }

    /// Where the resolver reads its configuration.
    pub fn resolver_files(&self) -> crate::resolve::ResolverFiles {
        crate::resolve::ResolverFiles {
            hosts: self.hosts_file.clone(),
            resolv_conf: self.resolv_conf.clone(),
        }
    }

    /// How many worker threads the runtime gets.
    pub fn worker_threads(&self) -> usize {
        self.threads.map(usize::from).unwrap_or_else(|| {
            let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
            (cpus / 2).max(1)
        })
    }

    /// The stats address (`-a`), checked: an IP address or a host name.
    pub fn stats_listen(&self) -> Result<String, String> {
        let host = self.stats_addr.trim_start_matches('[').trim_end_matches(']');
        let name_like = !host.is_empty()
            && host.len() <= 253
            && host.split('.').all(|label| {
                !label.is_empty() && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            });
        match host.parse::<std::net::IpAddr>() {
            Ok(ip) => Ok(std::net::SocketAddr::new(ip, self.stats_port).to_string()),
            Err(_) if name_like => Ok(format!("{host}:{}", self.stats_port)),
            Err(_) => Err(format!(
                "-a '{}' is not an IP address or a host name (like 127.0.0.1 or 0.0.0.0)",
                self.stats_addr
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nutcracker_flags_parse() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
        let cli = Cli::parse_from([
            "ambassador-proxy",
            "-c",
            "/etc/nutcracker.yml",
            "-s",
            "22223",
            "-a",
            "127.0.0.1",
            "-i",
            "1000",
            "-v",
            "7",
            "-o",
            "/tmp/log",
            "-p",
            "/tmp/pid",
            "-m",
            "512",
            "-t",
        ]);
        assert!(cli.test_conf);
        assert_eq!((cli.stats_port, cli.verbosity), (22223, 7));
        assert_eq!(cli.stats_listen(), Ok("127.0.0.1:22223".into()));
        let bad = Cli::parse_from(["ambassador-proxy", "-a", "not an address!"]);
        assert!(bad.stats_listen().unwrap_err().contains("-a 'not an address!'"));
        assert!(Cli::try_parse_from(["ambassador-proxy", "-v", "12"]).is_err());
    }
}
