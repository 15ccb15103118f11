//! A running `@copilotkit/aimock` for the integration tests: spawned on a free
//! 127.0.0.1 port with a folder of fixtures, killed (by PID) when dropped.
//!
//! aimock is an npm package pinned in `tests/aimock/package.json`; install it with
//! `npm ci --prefix tests/aimock`. Without it the tests that use it fail (they never
//! skip).
#![allow(dead_code, reason = "each test binary uses a different subset")]

use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Aimock {
    child: Child,
    pub base: String,
}

impl Drop for Aimock {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Aimock {
    /// aimock with the llm layer's fixtures (`fixtures/llm/aimock`).
    pub fn start() -> Aimock {
        Aimock::with_fixtures(
            &PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/llm/aimock"),
        )
    }

    /// aimock serving the fixtures in `dir`.
    pub fn with_fixtures(dir: &Path) -> Aimock {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        let cli = root.join("tests/aimock/node_modules/@copilotkit/aimock/dist/cli.js");
        assert!(
            cli.exists(),
            "aimock is not installed ({} is missing): run `npm ci --prefix tests/aimock`",
            cli.display()
        );
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new("node")
            .arg(&cli)
            .args(["-p", &port.to_string(), "-h", "127.0.0.1", "-c", "7"])
            .args(["--log-level", "warn", "-f"])
            .arg(dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("`node` must be on PATH to run aimock (Node >= 20.15)");
        let mut mock = Aimock {
            child,
            base: format!("http://127.0.0.1:{port}"),
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Ok(Some(status)) = mock.child.try_wait() {
                panic!("aimock exited during startup: {status}");
            }
            assert!(
                Instant::now() < deadline,
                "aimock did not start within 20 s"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        mock
    }
}
