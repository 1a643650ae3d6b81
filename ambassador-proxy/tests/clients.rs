//! The Redis client libraries applications use, with their default
//! settings, through the proxy: redis-py 8, 5 and Debian's, valkey-py,
//! node-redis 5 and 6 and ioredis 5 and 6, at the versions pinned in
//! tests/clients/ (requirements-*.txt, package.json, package-lock.json), which
//! scripts/test installs into target/test-clients. A test fails, saying what to
//! run, when they are missing or older than the pins: it never skips.
//!
//! Each client runs its script of tests/clients/ (SET/GET, GET of a missing
//! key, a pipeline whose MGET spans both servers, HGETALL) twice: first
//! against a plain redis-server, the control (a client failing there means the
//! script or its install is wrong, not the proxy), then through the proxy over
//! two redis-servers, after which both servers must hold some of the
//! pipeline's keys; then through nutcracker 0.5.0 over the same servers,
//! which passes or fails as the client's `through_nutcracker` says.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use common::*;

/// What to run when a client library is missing.
const INSTALL: &str = "run `scripts/test --clients-only` from the workspace root to install them \
                       (scripts/test installs them before `cargo test`)";

/// How many keys the scripts' pipeline SETs and then MGETs (`0:spread`...).
const SPREAD_KEYS: usize = 20;

/// The directory of the client scripts and of their pinned versions.
fn sources() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/clients")
}

/// Where scripts/test installs the client libraries.
fn installed() -> PathBuf {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    workspace.join("target/test-clients")
}

/// Where a client library comes from.
enum Library {
    /// The Python `package` (also its module) in the venv that scripts/test
    /// makes from tests/clients/requirements-`set`.txt, in
    /// target/test-clients/py-`set`.
    Venv {
        set: &'static str,
        package: &'static str,
    },
    /// Debian's python3-redis, under /usr/bin/python3.
    Debian,
    /// The npm `package` (a name in tests/clients/package.json: an alias for
    /// another major version) in target/test-clients/node, run by `script`.
    Npm {
        script: &'static str,
        package: &'static str,
    },
}

/// One client library with the settings an application gives it.
struct Client {
    /// How failures name it.
    name: &'static str,
    library: Library,
    /// The script's arguments besides the library's and the port.
    args: &'static [&'static str],
    /// Whether the same script passes through nutcracker 0.5.0 over the
    /// same servers (checked: the list of what it fails in docs/ambassador-proxy.md).
    through_nutcracker: bool,
}

/// How a client's script ended.
struct Outcome {
    passed: bool,
    stdout: String,
    stderr: String,
}

impl Outcome {
    /// The line that says what failed: the script's `FAIL ...` line, or its
    /// last words.
    fn headline(&self) -> String {
        let lines = || self.stderr.lines().map(str::trim).filter(|l| !l.is_empty());
        lines()
            .find(|l| l.starts_with("FAIL "))
            .or_else(|| lines().next_back())
            .unwrap_or("exited non-zero without a word")
            .to_owned()
    }

    /// The script's whole output, for the failure message.
    fn transcript(&self) -> String {
        format!(
            "--- its stdout ---\n{}--- its stderr ---\n{}",
            self.stdout, self.stderr
        )
    }
}

impl Client {
    /// The program and arguments (all but `--port`) that run the client's
    /// checks; fails the test, saying what to run, when the library is not
    /// installed as pinned.
    fn command(&self) -> (PathBuf, Vec<String>) {
        let script = |name: &str| sources().join(name).to_str().unwrap().to_owned();
        let (program, mut args) = match self.library {
            Library::Venv { set, package } => {
                let requirements = sources().join(format!("requirements-{set}.txt"));
                let pinned = std::fs::read_to_string(&requirements).unwrap();
                let venv = installed().join(format!("py-{set}"));
                let copy = std::fs::read_to_string(venv.join("requirements.txt")).ok();
                assert!(
                    copy.as_deref() == Some(&pinned) && venv.join("bin/python").exists(),
                    "{}: {package} is not installed as tests/clients/requirements-{set}.txt pins it \
                     (in {}, missing or older): {INSTALL}",
                    self.name,
                    venv.display()
                );
                let version = pinned
                    .lines()
                    .find_map(|l| l.strip_prefix(&format!("{package}==")))
                    .unwrap_or_else(|| panic!("{} pins no {package}==", requirements.display()));
                let args = [
                    "-I",
                    &script("py_client.py"),
                    "--module",
                    package,
                    "--expect-version",
                    version.split(';').next().unwrap().trim(),
                ];
                (venv.join("bin/python"), args.map(str::to_owned).to_vec())
            }
            Library::Debian => {
                let python = PathBuf::from("/usr/bin/python3");
                let mut import = Command::new(&python);
                import.args(["-I", "-c", "import redis"]);
                let import = run(import);
                assert!(
                    import.status.success(),
                    "{}: Debian's python3-redis is missing ({}): `apt-get install python3-redis`, \
                     or {INSTALL}",
                    self.name,
                    import.stderr.trim()
                );
                let args = ["-I", &script("py_client.py"), "--module", "redis"];
                (python, args.map(str::to_owned).to_vec())
            }
            Library::Npm { script: js, package } => {
                let node_dir = installed().join("node");
                for file in ["package.json", "package-lock.json"] {
                    let pinned = std::fs::read(sources().join(file)).unwrap();
                    assert!(
                        std::fs::read(node_dir.join(file)).ok() == Some(pinned)
                            && node_dir.join("installed").exists(),
                        "{}: the npm packages are not installed as tests/clients/{file} pins them \
                         (in {}, missing or older): {INSTALL}",
                        self.name,
                        node_dir.display()
                    );
                }
                let manifest: serde_json::Value =
                    serde_json::from_slice(&std::fs::read(sources().join("package.json")).unwrap()).unwrap();
                let spec = manifest["dependencies"][package]
                    .as_str()
                    .unwrap_or_else(|| panic!("tests/clients/package.json has no {package}"));
                // "5.12.1", or "npm:redis@6.3.1" for an alias.
                let version = spec.rsplit('@').next().unwrap();
                let args = [
                    &script(js),
                    "--modules",
                    node_dir.to_str().unwrap(),
                    "--package",
                    package,
                    "--expect-version",
                    version,
                ];
                (PathBuf::from("node"), args.map(str::to_owned).to_vec())
            }
        };
        args.extend(self.args.iter().map(|a| a.to_string()));
        (program, args)
    }

    /// Runs the client's checks (`command`: program and arguments) against
    /// 127.0.0.1:`port`; a script still running after [`DEADLINE`] is
    /// killed and has failed.
    fn run_against(&self, (program, args): &(PathBuf, Vec<String>), port: u16) -> Outcome {
        let mut command = Command::new(program);
        command.args(args).args(["--port", &port.to_string()]);
        command.env_remove("NODE_OPTIONS").env_remove("NODE_PATH");
        let mut process = Process::spawn(command);
        let deadline = Instant::now() + DEADLINE;
        while !process.has_exited() {
            if Instant::now() >= deadline {
                return Outcome {
                    passed: false,
                    stdout: process.stdout.text(),
                    stderr: format!(
                        "{}\nFAIL killed: still running after {DEADLINE:?}",
                        process.stderr.text()
                    ),
                };
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let finished = process.wait();
        Outcome {
            passed: finished.status.success(),
            stdout: String::from_utf8_lossy(&finished.stdout).into_owned(),
            stderr: finished.stderr,
        }
    }

    /// The control run against a plain redis-server, then the run through a
    /// proxy over two redis-servers; fails the test with what went wrong.
    fn passes_through_the_proxy(&self) {
        // Before any server starts: a missing install fails at once.
        let command = self.command();
        let a = RedisServer::start();
        let b = RedisServer::start();

        let control = self.run_against(&command, a.port);
        assert!(
            control.passed,
            "{} fails against a plain redis-server (the control), so its script or its install is \
             wrong, not the proxy: {}\n{}",
            self.name,
            control.headline(),
            control.transcript()
        );
        redis::cmd("FLUSHALL")
            .query::<()>(&mut connection(a.port))
            .unwrap();

        let proxy = Proxy::start(&[&a, &b], "");
        let through = self.run_against(&command, proxy.port);
        if !through.passed {
            let proxy_log = proxy.process.stderr.text();
            let tail: Vec<&str> = proxy_log.lines().rev().take(20).collect();
            panic!(
                "{} fails through the proxy (it passes against a plain redis-server): {}\n{}\
                 --- the proxy's stderr, last lines ---\n{}",
                self.name,
                through.headline(),
                through.transcript(),
                tail.into_iter().rev().collect::<Vec<_>>().join("\n")
            );
        }

        let dir = tempfile::tempdir().unwrap();
        let nutcracker = Nutcracker::start(dir.path(), |port| pool_yaml(port, &[&a, &b], ""));
        let peer = self.run_against(&command, nutcracker.port);
        assert_eq!(
            peer.passed,
            self.through_nutcracker,
            "{} through nutcracker 0.5.0, the peer, passes: {}, the table says {}: {}\n{}",
            self.name,
            peer.passed,
            self.through_nutcracker,
            peer.headline(),
            peer.transcript()
        );

        let spread: Vec<usize> = [&a, &b]
            .iter()
            .map(|server| {
                redis::cmd("KEYS")
                    .arg("*:spread")
                    .query::<Vec<String>>(&mut connection(server.port))
                    .unwrap()
                    .len()
            })
            .collect();
        assert!(
            spread.iter().all(|&n| n > 0) && spread.iter().sum::<usize>() == SPREAD_KEYS,
            "{}: the pipeline's {SPREAD_KEYS} keys should be spread over both servers, found {spread:?}",
            self.name
        );
    }
}

#[test]
fn redis_py_8_default_speaks_resp3() {
    Client {
        name: "redis-py 8, default settings (HELLO 3)",
        library: Library::Venv {
            set: "redis8",
            package: "redis",
        },
        args: &[],
        through_nutcracker: false,
    }
    .passes_through_the_proxy();
}

#[test]
fn redis_py_5_with_protocol_3() {
    Client {
        name: "redis-py 5 with protocol=3 (HELLO 3)",
        library: Library::Venv {
            set: "redis5",
            package: "redis",
        },
        args: &["--protocol", "3"],
        through_nutcracker: false,
    }
    .passes_through_the_proxy();
}

#[test]
fn redis_py_5_default_speaks_resp2() {
    Client {
        name: "redis-py 5, default settings (RESP2)",
        library: Library::Venv {
            set: "redis5",
            package: "redis",
        },
        args: &[],
        through_nutcracker: false,
    }
    .passes_through_the_proxy();
}

#[test]
fn valkey_py_6_default() {
    Client {
        name: "valkey-py 6, default settings (RESP2)",
        library: Library::Venv {
            set: "valkey6",
            package: "valkey",
        },
        args: &[],
        through_nutcracker: false,
    }
    .passes_through_the_proxy();
}

#[test]
fn debian_python3_redis_default() {
    Client {
        name: "Debian's python3-redis, default settings (RESP2)",
        library: Library::Debian,
        args: &[],
        through_nutcracker: true,
    }
    .passes_through_the_proxy();
}

#[test]
fn node_redis_5_default_speaks_resp2() {
    Client {
        name: "node-redis 5, default settings (RESP2)",
        library: Library::Npm {
            script: "node_client.mjs",
            package: "redis",
        },
        args: &[],
        through_nutcracker: false,
    }
    .passes_through_the_proxy();
}

#[test]
fn node_redis_5_with_resp_3() {
    Client {
        name: "node-redis 5 with RESP: 3 (HELLO 3)",
        library: Library::Npm {
            script: "node_client.mjs",
            package: "redis",
        },
        args: &["--resp", "3"],
        through_nutcracker: false,
    }
    .passes_through_the_proxy();
}

#[test]
fn node_redis_6_default_speaks_resp3() {
    Client {
        name: "node-redis 6, default settings (HELLO 3)",
        library: Library::Npm {
            script: "node_client.mjs",
            package: "redis6",
        },
        args: &[],
        through_nutcracker: false,
    }
    .passes_through_the_proxy();
}

#[test]
fn ioredis_5_default_checks_info() {
    Client {
        name: "ioredis 5, default options (INFO ready check)",
        library: Library::Npm {
            script: "ioredis_client.mjs",
            package: "ioredis",
        },
        args: &[],
        through_nutcracker: false,
    }
    .passes_through_the_proxy();
}

#[test]
fn ioredis_6_default_speaks_resp3_and_checks_info() {
    Client {
        name: "ioredis 6, default options (HELLO 3, INFO ready check)",
        library: Library::Npm {
            script: "ioredis_client.mjs",
            package: "ioredis6",
        },
        args: &[],
        through_nutcracker: false,
    }
    .passes_through_the_proxy();
}
