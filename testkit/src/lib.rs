//! Test helpers shared by the toolkit's crates: start real processes,
//! watch what they print, stop them by signal, write logs as loggers do.
//! Every wait is for a condition, with a deadline that fails the test and
//! shows what was captured; none sleeps in the hope that something happened.

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, ExitStatus, Stdio};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

pub use rustix::process::Signal;
use rustix::process::{kill_process, Pid};

/// How long any wait may take before the test fails: generous, since CI
/// machines are slow and loaded; a passing test never waits this long.
pub const DEADLINE: Duration = Duration::from_secs(60);

/// A temporary path as a command-line argument.
pub fn path_arg(path: &Path) -> &str {
    path.to_str().expect("temp paths are UTF-8")
}

/// Bytes a stream has produced so far, shared with the thread reading it.
#[derive(Default)]
pub struct Captured {
    state: Mutex<State>,
    changed: Condvar,
}

#[derive(Default)]
struct State {
    bytes: Vec<u8>,
    newlines: usize,
    closed: bool,
}

impl Captured {
    fn spawn_reader(mut stream: impl Read + Send + 'static) -> (Arc<Captured>, JoinHandle<()>) {
        let captured = Arc::new(Captured::default());
        let shared = captured.clone();
        let reader = std::thread::spawn(move || {
            let mut buf = vec![0u8; 64 * 1024];
            loop {
                let n = stream.read(&mut buf).unwrap_or(0);
                let mut state = shared.state.lock().unwrap();
                if n == 0 {
                    state.closed = true;
                } else {
                    state.newlines += buf[..n].iter().filter(|&&b| b == b'\n').count();
                    state.bytes.extend_from_slice(&buf[..n]);
                }
                shared.changed.notify_all();
                if n == 0 {
                    return;
                }
            }
        });
        (captured, reader)
    }

    /// Everything captured so far.
    pub fn bytes(&self) -> Vec<u8> {
        self.state.lock().unwrap().bytes.clone()
    }

    /// Everything captured so far, as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.bytes()).into_owned()
    }

    /// Complete lines captured so far.
    pub fn line_count(&self) -> usize {
        self.state.lock().unwrap().newlines
    }

    /// Waits until `done` holds for the whole state; fails the test after [`DEADLINE`].
    fn wait_until(&self, what: &str, done: impl Fn(&State) -> bool) {
        let deadline = Instant::now() + DEADLINE;
        let mut state = self.state.lock().unwrap();
        while !done(&state) {
            let now = Instant::now();
            let tail = || {
                String::from_utf8_lossy(&state.bytes[state.bytes.len().saturating_sub(2000)..]).into_owned()
            };
            assert!(
                now < deadline,
                "timed out waiting for {what}; captured output ends with:\n{}",
                tail()
            );
            assert!(
                !state.closed,
                "stream closed while waiting for {what}; captured output ends with:\n{}",
                tail()
            );
            state = self.changed.wait_timeout(state, deadline - now).unwrap().0;
        }
    }

    /// Waits up to `timeout` for `done` to hold; says whether it did. For
    /// retrying an action whose effect may be missed (a probe sent before a
    /// subscriber was listening), not for waiting out a deadline.
    pub fn holds_within(&self, timeout: Duration, done: impl Fn(&[u8]) -> bool) -> bool {
        let deadline = Instant::now() + timeout;
        let mut state = self.state.lock().unwrap();
        loop {
            if done(&state.bytes) {
                return true;
            }
            let now = Instant::now();
            if now >= deadline || state.closed {
                return false;
            }
            state = self.changed.wait_timeout(state, deadline - now).unwrap().0;
        }
    }

    /// Waits until `done` holds for the captured bytes; fails the test after [`DEADLINE`].
    pub fn wait_for(&self, what: &str, done: impl Fn(&[u8]) -> bool) {
        self.wait_until(what, |state| done(&state.bytes));
    }

    /// Waits until at least `n` complete lines were captured.
    pub fn wait_for_lines(&self, n: usize) {
        self.wait_until(&format!("{n} lines"), |state| state.newlines >= n);
    }

    /// Waits until `needle` appears.
    pub fn wait_for_text(&self, needle: &str) {
        self.wait_for(&format!("{needle:?}"), |b| {
            String::from_utf8_lossy(b).contains(needle)
        });
    }

    fn wait_closed(&self) {
        let deadline = Instant::now() + DEADLINE;
        let mut state = self.state.lock().unwrap();
        while !state.closed {
            let now = Instant::now();
            assert!(now < deadline, "stream not closed after {DEADLINE:?}");
            state = self.changed.wait_timeout(state, deadline - now).unwrap().0;
        }
    }
}

/// A running process with its stdout and stderr captured.
pub struct Process {
    child: Child,
    /// What it wrote to stdout.
    pub stdout: Arc<Captured>,
    /// What it wrote to stderr.
    pub stderr: Arc<Captured>,
    /// Whether `stdout` is fed by a reader thread (not handed to the test).
    stdout_captured: bool,
}

/// How a stopped process ended.
pub struct Finished {
    /// Its exit status.
    pub status: ExitStatus,
    /// All it wrote to stdout.
    pub stdout: Vec<u8>,
    /// All it wrote to stderr, as text.
    pub stderr: String,
}

impl Finished {
    /// Stdout split into lines (without their newlines).
    pub fn lines(&self) -> Vec<String> {
        String::from_utf8_lossy(&self.stdout)
            .lines()
            .map(str::to_owned)
            .collect()
    }
}

impl Process {
    /// Starts `command` with `RUST_LOG=info` (unless the command sets or
    /// removes `RUST_LOG` itself), capturing stdout and stderr.
    pub fn spawn(mut command: Command) -> Process {
        if !command.get_envs().any(|(name, _)| name == "RUST_LOG") {
            command.env("RUST_LOG", "info");
        }
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("start {command:?}: {e}"));
        let (stdout, _) = Captured::spawn_reader(child.stdout.take().unwrap());
        let (stderr, _) = Captured::spawn_reader(child.stderr.take().unwrap());
        Process {
            child,
            stdout,
            stderr,
            stdout_captured: true,
        }
    }

    /// Starts `command` and hands back its stdout pipe unread.
    pub fn spawn_with_pipe(mut command: Command) -> (Process, ChildStdout) {
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("start {command:?}: {e}"));
        let pipe = child.stdout.take().unwrap();
        let (stderr, _) = Captured::spawn_reader(child.stderr.take().unwrap());
        let process = Process {
            child,
            stdout: Arc::new(Captured::default()),
            stderr,
            stdout_captured: false,
        };
        (process, pipe)
    }

    /// Whether the process has ended.
    pub fn has_exited(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(Some(_)))
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends SIGTERM and waits for the process to end and its output to close.
    pub fn terminate(self) -> Finished {
        signal(self.child.id(), Signal::TERM);
        self.wait()
    }

    /// Waits for the process to end by itself.
    pub fn wait(mut self) -> Finished {
        let deadline = Instant::now() + DEADLINE;
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            assert!(
                Instant::now() < deadline,
                "the process did not exit; stderr:\n{}",
                self.stderr.text()
            );
            std::thread::sleep(Duration::from_millis(10));
        };
        if self.stdout_captured {
            self.stdout.wait_closed();
        }
        self.stderr.wait_closed();
        Finished {
            status,
            stdout: self.stdout.bytes(),
            stderr: self.stderr.text(),
        }
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Sends `sig` to process `pid`.
pub fn signal(pid: u32, sig: Signal) {
    let pid = i32::try_from(pid)
        .ok()
        .and_then(Pid::from_raw)
        .expect("a valid pid");
    kill_process(pid, sig).unwrap_or_else(|e| panic!("kill({pid:?}, {sig:?}): {e}"));
}

/// Polls `check` until it holds; fails the test, naming `what`, after
/// [`DEADLINE`].
pub fn eventually(what: &str, check: impl Fn() -> bool) {
    let deadline = Instant::now() + DEADLINE;
    while !check() {
        assert!(Instant::now() < deadline, "never happened: {what}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Waits until a file exists at `path`; fails the test after [`DEADLINE`].
pub fn wait_until_exists(path: &Path) {
    eventually(&format!("{} appears", path.display()), || path.exists());
}

/// Runs `command` to completion, with stdin closed.
pub fn run(mut command: Command) -> Finished {
    let output = command
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("run {command:?}: {e}"));
    Finished {
        status: output.status,
        stdout: output.stdout,
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// Runs `command` to completion with `input` as its stdin.
pub fn run_with_stdin(mut command: Command, input: &[u8]) -> Finished {
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("start {command:?}: {e}"));
    let mut stdin = child.stdin.take().expect("stdin is piped");
    let input = input.to_vec();
    // Written from a thread: a large input would otherwise fill the pipe
    // while the child waits for us to read its output.
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let output = child.wait_with_output().expect("wait for the child");
    writer.join().expect("stdin writer");
    Finished {
        status: output.status,
        stdout: output.stdout,
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// A field of `/proc/PID/status`, in KiB (`VmRSS`, `VmHWM`).
pub fn proc_status_kib(pid: u32, field: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_else(|e| panic!("/proc/{pid}/status: {e}"))
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or_else(|| panic!("no {field} for {pid}"))
}

/// A `redis-server` of our own on a free loopback port, without
/// persistence; stopped when dropped.
pub struct RedisServer {
    /// The running server.
    pub process: Process,
    /// Its port on 127.0.0.1.
    pub port: u16,
}

impl RedisServer {
    /// Starts `redis-server` (Debian package `redis-server`) and waits
    /// until it accepts connections.
    pub fn start() -> RedisServer {
        RedisServer::start_with(&[])
    }

    /// Starts `redis-server` with extra arguments (`--requirepass x`, ...).
    pub fn start_with(extra: &[&str]) -> RedisServer {
        let (process, port) = start_listening(|port| {
            let mut command = Command::new("redis-server");
            command.args([
                "--port",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ]);
            command.args(extra);
            command
        });
        RedisServer { process, port }
    }
}

impl RedisServer {
    /// Starts `redis-server` again on `port`, where an earlier one ran
    /// (tests of a server that comes back). The port was just freed, so
    /// nothing else is expected to take it.
    pub fn start_on(port: u16) -> RedisServer {
        RedisServer::start_at("127.0.0.1", port)
    }

    /// Starts `redis-server` on loopback address `ip` (127.0.0.2, ...: a
    /// server that comes back at another address) and `port`.
    pub fn start_at(ip: &str, port: u16) -> RedisServer {
        let mut command = Command::new("redis-server");
        let port_text = port.to_string();
        command.args([
            "--port",
            &port_text,
            "--bind",
            ip,
            "--save",
            "",
            "--appendonly",
            "no",
        ]);
        let mut process = Process::spawn(command);
        let deadline = Instant::now() + DEADLINE;
        while std::net::TcpStream::connect((ip, port)).is_err() {
            assert!(
                Instant::now() < deadline && !process.has_exited(),
                "redis-server on {ip}:{port} did not start:\n{}",
                process.stderr.text()
            );
            std::thread::sleep(Duration::from_millis(5));
        }
        RedisServer { process, port }
    }
}

/// Starts the server that `command_for(port)` runs, on a free port, and
/// waits until it listens there. A free port can be taken by another test
/// between choosing and binding it; then the server exits, and it is
/// started again on another port.
pub fn start_listening(command_for: impl Fn(u16) -> Command) -> (Process, u16) {
    for _ in 0..10 {
        let port = free_port();
        let mut process = Process::spawn(command_for(port));
        let deadline = Instant::now() + DEADLINE;
        while !process.has_exited() {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() && !process.has_exited() {
                return (process, port);
            }
            assert!(
                Instant::now() < deadline,
                "nothing listens on port {port}; stderr:\n{}",
                process.stderr.text()
            );
            std::thread::sleep(Duration::from_millis(5));
        }
    }
    panic!("could not start a server on a free port in ten tries");
}

/// Waits until something accepts TCP connections on 127.0.0.1:`port`;
/// fails the test after [`DEADLINE`] or when `process` exits first.
pub fn wait_for_port(port: u16, process: &Process) {
    let deadline = Instant::now() + DEADLINE;
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "nothing listens on port {port}; stderr:\n{}\nstdout:\n{}",
            process.stderr.text(),
            process.stdout.text()
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// A free TCP port on 127.0.0.1: bound by the system, then released;
/// never one this process was given before. (The system may hand the same
/// port to two calls in a row, and a test that binds both, a proxy port
/// and a stats port, then fails with EADDRINUSE: it happened once.)
pub fn free_port() -> u16 {
    static GIVEN: Mutex<Vec<u16>> = Mutex::new(Vec::new());
    let mut given = GIVEN.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    loop {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("bind an ephemeral port");
        if !given.contains(&port) {
            given.push(port);
            return port;
        }
    }
}

/// A log file being written the way loggers write: one write per line,
/// through a descriptor opened for appending.
pub struct LogWriter {
    path: PathBuf,
    file: File,
}

impl LogWriter {
    /// Creates (or appends to) the file at `path`.
    pub fn create(path: &Path) -> LogWriter {
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .expect("open log for append");
        LogWriter {
            path: path.to_path_buf(),
            file,
        }
    }

    /// Appends `text` as it is.
    pub fn write(&mut self, text: &str) {
        self.file.write_all(text.as_bytes()).expect("append to log");
    }

    /// Appends `line` and a newline, in one write.
    pub fn line(&mut self, line: &str) {
        self.write(&format!("{line}\n"));
    }

    /// Renames the file to `to` and keeps writing to it (as a logger does
    /// until it is told to reopen); returns the writer of the renamed file.
    pub fn rename_to(self, to: &Path) -> LogWriter {
        std::fs::rename(&self.path, to).expect("rotate by rename");
        LogWriter {
            path: to.to_path_buf(),
            file: self.file,
        }
    }
}

/// `"{prefix}{n}"` for each n in `range`, as owned lines.
pub fn numbered(prefix: &str, range: std::ops::RangeInclusive<usize>) -> Vec<String> {
    range.map(|n| format!("{prefix}{n}")).collect()
}

/// Checks the documentation a binary writes of itself: `completions bash`
/// loads in bash and completes the binary's name, and `man` is a page
/// that `man -l` renders with the binary's name and the flag `flag` in it.
pub fn check_completions_and_man_page(binary: &str, flag: &str) {
    let name = Path::new(binary)
        .file_name()
        .and_then(|n| n.to_str())
        .expect("a binary's file name");
    // Loads the script, then asks its function what `NAME co<TAB>` offers.
    let script = format!(
        "source <('{binary}' completions bash) && complete -p {name} && \
         f=$(complete -p {name} | sed 's/.*-F \\([^ ]*\\).*/\\1/') && \
         COMP_WORDS=({name} co) && COMP_CWORD=1 && $f {name} co {name} && echo \"offered: ${{COMPREPLY[*]}}\""
    );
    let loaded = run({
        let mut bash = Command::new("bash");
        bash.args(["-c", &script]);
        bash
    });
    let loaded_text = String::from_utf8_lossy(&loaded.stdout);
    assert!(
        loaded.status.success() && loaded_text.contains(name),
        "completions do not load in bash: {loaded_text}{}",
        loaded.stderr
    );
    assert!(
        loaded_text.contains("offered: completions"),
        "`{name} co<TAB>` does not offer `completions`: {loaded_text}{}",
        loaded.stderr
    );
    let page = std::env::temp_dir().join(format!("{name}-{}.1", std::process::id()));
    let roff = Command::new(binary)
        .arg("man")
        .output()
        .expect("running BINARY man");
    assert!(roff.status.success(), "{name} man failed");
    std::fs::write(&page, &roff.stdout).expect("writing the man page");
    let rendered = run({
        let mut man = Command::new("man");
        man.arg("-l")
            .arg(&page)
            .env("MANPAGER", "cat")
            .env("MANWIDTH", "100");
        man
    });
    let _ = std::fs::remove_file(&page);
    let text = String::from_utf8_lossy(&rendered.stdout);
    assert!(
        rendered.status.success() && text.contains("NAME") && text.contains(flag),
        "man -l does not render the page of {name}: {text}{}",
        rendered.stderr
    );
}
