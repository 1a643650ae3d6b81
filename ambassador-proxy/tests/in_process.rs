//! The proxy started in-process through the library's `server::run`, as
//! the binary starts it: same flags, same configuration file.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;

use ambassador_proxy::cli::Cli;
use ambassador_proxy::config::Config;
use ambassador_proxy::server;
use clap::Parser;
use common::{connection, eventually, free_port, pool_yaml, RedisServer};
use redis::Commands;

#[test]
fn server_run_serves_and_returns_once_its_last_client_is_done() {
    let backend = RedisServer::start();
    let (port, stats_port) = (free_port(), free_port());
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nutcracker.yml");
    std::fs::write(&path, pool_yaml(port, &[&backend], "")).unwrap();
    let cli = Cli::parse_from([
        "ambassador-proxy",
        "-c",
        path.to_str().unwrap(),
        "-s",
        &stats_port.to_string(),
    ]);
    let config = Config::from_file(&path).unwrap();
    let options = cli.server_options(cli.stats_listen().unwrap());

    let runtime = tokio::runtime::Runtime::new().unwrap();
    let (_hangup, hangups) = tokio::sync::mpsc::unbounded_channel();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let shutdown = async {
        let _ = stopped.await;
    };
    let server = runtime.spawn(server::run(config, options, hangups, shutdown));
    eventually("the stats port is open", || {
        TcpStream::connect(("127.0.0.1", stats_port)).is_ok()
    });

    let mut client = connection(port);
    let _: () = client.set("in-process", "yes").unwrap();
    let stored: String = connection(backend.port).get("in-process").unwrap();
    assert_eq!(stored, "yes");
    // A client the proxy has served once, then idle. (One still in the
    // listen backlog at the stop is reset by the kernel, not closed.)
    let mut idle = TcpStream::connect(("127.0.0.1", port)).unwrap();
    idle.write_all(b"PING\r\n").unwrap();
    let mut pong = [0u8; 7];
    idle.read_exact(&mut pong).unwrap();
    assert_eq!(&pong, b"+PONG\r\n");

    stop.send(()).unwrap();
    let outcome = runtime.block_on(server).expect("the server task");
    outcome.unwrap_or_else(|e| panic!("server::run failed: {e:#}"));
    // run returned: every client was let go, the idle one included.
    let mut byte = [0u8; 1];
    assert_eq!(idle.read(&mut byte).unwrap(), 0, "the idle client is closed");
    assert!(
        TcpStream::connect(("127.0.0.1", port)).is_err(),
        "nothing listens on the pool's port any more"
    );
    assert!(
        TcpStream::connect(("127.0.0.1", stats_port)).is_err(),
        "nor on the stats port"
    );
}
