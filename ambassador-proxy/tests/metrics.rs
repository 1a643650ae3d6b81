//! /metrics, /healthz and /readyz, read with curl.

mod common;

use std::process::Command;

use common::{free_port, run, wait_for_port, Proxy, RedisServer, DEADLINE};
use redis::Commands;

/// GET `path` on 127.0.0.1:`port`: status code and body.
fn get(port: u16, path: &str) -> (u16, String) {
    request("GET", port, path)
}

fn request(method: &str, port: u16, path: &str) -> (u16, String) {
    let mut curl = Command::new("curl");
    curl.args([
        "-X",
        method,
        "-sS",
        "--max-time",
        "10",
        "-w",
        "\n%{http_code}",
        &format!("http://127.0.0.1:{port}{path}"),
    ]);
    let finished = run(curl);
    let text = String::from_utf8_lossy(&finished.stdout).into_owned();
    let (body, code) = text.rsplit_once('\n').expect("curl wrote a status code");
    (code.parse().unwrap_or(0), body.to_owned())
}

fn wait_for_status(port: u16, path: &str, status: u16) {
    let deadline = std::time::Instant::now() + DEADLINE;
    loop {
        let (got, body) = get(port, path);
        if got == status {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{path} stayed {got}: {body}"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

#[test]
fn metrics_health_and_readiness() {
    let backend = RedisServer::start();
    let metrics_port = free_port();
    let addr = format!("127.0.0.1:{metrics_port}");
    let proxy = Proxy::start_with(
        &[&backend],
        "",
        &["--metrics-addr", &addr, "--health-interval", "50ms"],
    );
    wait_for_port(metrics_port, &proxy.process);

    assert_eq!(get(metrics_port, "/healthz"), (200, "ok\n".to_owned()));
    assert_eq!(
        request("POST", metrics_port, "/metrics").0,
        405,
        "only GET and HEAD"
    );
    wait_for_status(metrics_port, "/readyz", 200);
    let mut client = proxy.client();
    for i in 0..3 {
        let _: () = client.set(format!("k{i}"), i).unwrap();
    }
    let _: Option<i64> = client.get("k1").unwrap();
    // A server's error reply (wrong type) and one of the proxy's (arity).
    assert!(redis::cmd("LPUSH")
        .arg("k1")
        .arg("x")
        .query::<i64>(&mut client)
        .is_err());
    assert!(redis::cmd("GET").query::<Option<i64>>(&mut client).is_err());
    let (status, metrics) = get(metrics_port, "/metrics");
    assert_eq!(status, 200);
    let server = format!("pool=\"pool\",server=\"127.0.0.1:{}\"", backend.port);
    for line in [
        "ambassador_commands_total{pool=\"pool\",command=\"set\"} 3".to_owned(),
        "ambassador_commands_total{pool=\"pool\",command=\"get\"} 2".to_owned(),
        "ambassador_command_errors_total{pool=\"pool\",command=\"get\"} 1".to_owned(),
        "ambassador_command_errors_total{pool=\"pool\",command=\"lpush\"} 1".to_owned(),
        "ambassador_command_errors_total{pool=\"pool\",command=\"set\"} 0".to_owned(),
        "ambassador_client_connections{pool=\"pool\"} 1".to_owned(),
        format!("ambassador_server_up{{{server}}} 1"),
        format!("ambassador_server_connections{{{server}}} 1"),
        format!("ambassador_server_ejected{{{server}}} 0"),
        "ambassador_request_duration_seconds_count{pool=\"pool\"} 5".to_owned(),
        "ambassador_request_duration_seconds_bucket{pool=\"pool\",le=\"+Inf\"} 5".to_owned(),
    ] {
        assert!(
            metrics.lines().any(|l| l == line),
            "missing {line:?} in:\n{metrics}"
        );
    }
    assert!(metrics.contains("# TYPE ambassador_server_requests_total counter"));
    assert!(metrics.contains("# TYPE ambassador_request_duration_seconds histogram"));
    // The text format wants each family's samples together.
    let mut families: Vec<&str> = metrics
        .lines()
        .filter(|line| !line.starts_with('#'))
        .map(|line| line.split(['{', ' ']).next().unwrap_or(line))
        .map(|name| {
            name.trim_end_matches("_bucket")
                .trim_end_matches("_sum")
                .trim_end_matches("_count")
        })
        .collect();
    families.dedup();
    let mut unique = families.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(
        families.len(),
        unique.len(),
        "a family's samples are split: {families:?}"
    );
    assert_eq!(get(metrics_port, "/nothing").0, 404);

    // The only server goes away: not ready any more, still healthy.
    drop(backend);
    wait_for_status(metrics_port, "/readyz", 503);
    assert_eq!(get(metrics_port, "/healthz").0, 200);
}
