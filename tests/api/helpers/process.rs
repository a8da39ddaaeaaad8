//! The real binary as a child process: `run()` for commands that exit, `Server` for `serve`.

use std::{
    io::{BufRead, BufReader},
    process::{Child, Command, Output, Stdio},
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

/// The `khuyencong` binary with a clean environment (only `PATH`, `HOME`, `TMPDIR`) in
/// `dir`, so no variable of the developer's shell leaks into a test.
pub fn command(dir: &std::path::Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_khuyencong"));
    cmd.env_clear()
        .current_dir(dir)
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("RUST_LOG", "info");
    if let Ok(h) = std::env::var("HOME") {
        cmd.env("HOME", h);
    }
    cmd
}

/// Runs the binary to completion with `args` and `envs`, with a deadline.
pub fn run(dir: &std::path::Path, args: &[&str], envs: &[(&str, &str)]) -> Output {
    let mut cmd = command(dir);
    cmd.args(args)
        .envs(envs.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let child = cmd.spawn().expect("binary starts");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    rx.recv_timeout(Duration::from_secs(120))
        .expect("the binary exits within 120 s")
        .expect("output")
}

/// Standard error as text.
pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A `khuyencong serve` child process on a free port; killed on drop.
pub struct Server {
    child: Child,
    /// `http://127.0.0.1:<port>`.
    pub address: String,
    /// Every line the server wrote (standard output and error).
    pub lines: Arc<Mutex<Vec<String>>>,
}

impl Server {
    /// Starts `serve` with `envs` (`KC_BIND` is set to port 0 unless given) and waits for
    /// the address it prints.
    pub fn start(dir: &std::path::Path, args: &[&str], envs: &[(&str, &str)]) -> Server {
        let mut cmd = command(dir);
        cmd.args(args)
            .env("KC_BIND", "127.0.0.1:0")
            .envs(envs.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("server starts");
        let lines = Arc::new(Mutex::new(Vec::new()));
        for pipe in [
            Box::new(child.stdout.take().expect("stdout")) as Box<dyn std::io::Read + Send>,
            Box::new(child.stderr.take().expect("stderr")),
        ] {
            let lines = lines.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                    lines.lock().expect("lines").push(line);
                }
            });
        }
        let deadline = Instant::now() + Duration::from_secs(120);
        let address = loop {
            let found = lines.lock().expect("lines").iter().find_map(|l| {
                l.strip_prefix("khuyencong is listening on ")
                    .map(|a| a.trim().to_owned())
            });
            if let Some(a) = found {
                break a;
            }
            if let Ok(Some(status)) = child.try_wait() {
                panic!(
                    "server exited with {status}: {:#?}",
                    lines.lock().expect("lines")
                );
            }
            assert!(Instant::now() < deadline, "server did not start in 120 s");
            std::thread::sleep(Duration::from_millis(50));
        };
        Server {
            child,
            address,
            lines,
        }
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Stops the server as an orchestrator does (SIGTERM) and waits for it to exit (30 s
    /// at most); returns whether it exited successfully.
    pub fn stop(&mut self) -> bool {
        let sent = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(sent.success(), "SIGTERM sent");
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                return status.success();
            }
            assert!(
                Instant::now() < deadline,
                "the server exits within 30 s of SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Everything the server wrote so far, one line each.
    pub fn output(&self) -> String {
        self.lines.lock().expect("lines").join("\n")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
