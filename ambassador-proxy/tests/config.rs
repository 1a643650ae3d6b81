//! The binary's configuration: files, the environment, and nutcracker's flags.

mod common;

use std::process::Command;

use common::{connection, free_port, run, wait_for_port, Process, RedisServer};
use redis::Commands;

fn proxy_command(args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_ambassador-proxy"));
    command.args(args);
    // The environment must not leak a configuration into these tests.
    command.env_remove("REDIS_SERVERS");
    command
}

/// `-D` lists twemproxy's statistics line for line as `nutcracker -D`
/// does (which writes them to stderr after two lines about itself), then
/// says what differs here.
#[test]
fn describe_stats_lists_what_nutcracker_lists() {
    let ours = run(proxy_command(&["-D"])).stdout;
    let ours = String::from_utf8_lossy(&ours);
    let mut nutcracker = Command::new("nutcracker");
    nutcracker.arg("-D");
    let theirs = run(nutcracker).stderr;
    let lists = |text: &str| -> String {
        let from = text.find("pool stats:").expect("the pool list");
        let to = text.find("out_queue_bytes").expect("the last server stat");
        let end = to + text[to..].find('\n').expect("its line's end");
        text[from..=end].to_owned()
    };
    assert_eq!(lists(&ours), lists(&theirs));
    assert!(ours.contains("Unlike nutcracker's"), "{ours}");
}

#[test]
fn test_conf_says_ok_or_names_the_mistake() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.yml");
    std::fs::write(
        &good,
        "alpha:\n  listen: 127.0.0.1:22121\n  redis: true\n  servers:\n   - 127.0.0.1:6379:1\n",
    )
    .unwrap();
    let ok = run(proxy_command(&["-t", "-c", good.to_str().unwrap()]));
    assert_eq!(ok.status.code(), Some(0), "{}", ok.stderr);
    assert!(String::from_utf8_lossy(&ok.stdout).contains("syntax is ok"));

    for (yaml, says) in [
        (
            "alpha:\n  listen: 127.0.0.1:1\n  redis: true\n  hash: sha1\n  servers: [\"a:1:1\"]\n",
            "pool 'alpha', key 'hash': unknown hash \"sha1\"",
        ),
        (
            "alpha:\n  listen: 127.0.0.1:1\n  servers: [\"a:1:1\"]\n",
            "memcache",
        ),
        (
            "alpha:\n  listen: 127.0.0.1:1\n  redis: true\n  servers: [\"a:1:0\"]\n",
            "weight 0",
        ),
        ("alpha: [unclosed\n", "not valid YAML"),
    ] {
        let bad = dir.path().join("bad.yml");
        std::fs::write(&bad, yaml).unwrap();
        let refused = run(proxy_command(&["-t", "-c", bad.to_str().unwrap()]));
        assert_eq!(refused.status.code(), Some(1), "{yaml}");
        assert!(refused.stderr.contains(says), "{yaml}: {}", refused.stderr);
        assert!(refused.stderr.contains("bad.yml"), "{}", refused.stderr);
        // Without -t the proxy refuses to start, with the same reason.
        let start = run(proxy_command(&["-c", bad.to_str().unwrap()]));
        assert_eq!(start.status.code(), Some(1));
        assert!(start.stderr.contains(says), "{}", start.stderr);
    }
    let missing = run(proxy_command(&["-c", "/nonexistent/nutcracker.yml"]));
    assert_eq!(missing.status.code(), Some(1));
    assert!(
        missing.stderr.contains("/nonexistent/nutcracker.yml"),
        "{}",
        missing.stderr
    );
}

#[test]
fn nutcracker_flags() {
    let version = run(proxy_command(&["-V"]));
    assert!(String::from_utf8_lossy(&version.stdout).starts_with("ambassador-proxy "));
    let help = run(proxy_command(&["-h"]));
    assert!(String::from_utf8_lossy(&help.stdout).contains("--stats-port"));
    let bad = run(proxy_command(&["--frobnicate"]));
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn the_seeds_environment_shards_over_a_space_separated_list() {
    let backends: Vec<RedisServer> = (0..2).map(|_| RedisServer::start()).collect();
    let port = free_port();
    let dir = tempfile::tempdir().unwrap();
    let pid_file = dir.path().join("proxy.pid");
    let mut command = proxy_command(&["-s", &free_port().to_string(), "-p", pid_file.to_str().unwrap()]);
    // As the seed's pod spec writes it: spaces, not commas.
    command.env(
        "REDIS_SERVERS",
        format!(
            "127.0.0.1:{}:1 127.0.0.1:{}:1",
            backends[0].port, backends[1].port
        ),
    );
    command.env("LISTEN_PORT", port.to_string());
    let process = Process::spawn(command);
    wait_for_port(port, &process);
    assert_eq!(
        std::fs::read_to_string(&pid_file).unwrap().trim(),
        process.pid().to_string()
    );

    let mut client = connection(port);
    for i in 0..200 {
        let _: () = client.set(format!("{i}:key"), i).unwrap();
    }
    let sizes: Vec<usize> = backends
        .iter()
        .map(|b| redis::cmd("DBSIZE").query(&mut connection(b.port)).unwrap())
        .collect();
    assert_eq!(sizes.iter().sum::<usize>(), 200);
    assert!(
        sizes.iter().all(|&n| n > 0),
        "one server got every key: {sizes:?}"
    );
    let value: i64 = client.get("7:key").unwrap();
    assert_eq!(value, 7);

    let finished = process.terminate();
    assert!(finished.status.success(), "{}", finished.stderr);
    assert!(!pid_file.exists(), "the pid file is removed at exit");
}

/// `completions bash` loads in bash, and `man` renders with `man -l`.
#[test]
fn completions_and_man_page() {
    common::check_completions_and_man_page(env!("CARGO_BIN_EXE_ambassador-proxy"), "--conf-file");
}

/// Flag values as the tester tried them: sizes with units for request
/// limits, no zero intervals (a 0s health check ejected every server), and
/// `--help` headings that cover only their own flags.
#[test]
fn flag_values_and_help_headings() {
    let accepted = run(proxy_command(&["-t", "--max-request-bytes", "512MiB"]));
    assert!(accepted.status.success(), "{}", accepted.stderr);
    for refused in [
        ["--max-request-bytes", "513MiB"],
        ["--health-interval", "0s"],
        ["--dns-refresh", "0s"],
    ] {
        let finished = run(proxy_command(&["-t", refused[0], refused[1]]));
        assert_eq!(
            finished.status.code(),
            Some(2),
            "{refused:?}: {}",
            finished.stderr
        );
    }
    let help = String::from_utf8(run(proxy_command(&["--help"])).stdout).unwrap();
    let diagnostics = help.split("Diagnostics:").nth(1).expect("a Diagnostics heading");
    let diagnostics = diagnostics.split("\n\n").next().unwrap_or_default();
    assert!(diagnostics.contains("--log-format"), "{diagnostics}");
    assert!(!diagnostics.contains("--conf-file"), "{help}");
}
