//! The real relay as a child process (`relay-under-test`) on a free loopback port, for the
//! benchmarks; killed on drop.

// Each bench includes this module and uses part of it.
#![allow(dead_code)]

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct RelayProc {
    child: Child,
    pub addr: SocketAddr,
}

impl RelayProc {
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for RelayProc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts the relay on `database` (`sqlite:…` or `postgres://…`) and waits (bounded)
/// until it listens.
pub fn start_relay(database: &str) -> RelayProc {
    start_relay_with(database, &[])
}

/// [`start_relay`] with more environment (`WANGGE_*` settings), a raised open-files
/// limit and no per-address connection cap, for the load benchmarks. The binary is
/// `WANGGE_BENCH_RELAY_BIN` when set (another build, for before/after figures).
pub fn start_relay_with(database: &str, extra: &[(&str, String)]) -> RelayProc {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let bin = std::env::var("WANGGE_BENCH_RELAY_BIN")
        .ok()
        .filter(|p| !p.is_empty())
        .unwrap_or_else(|| env!("CARGO_BIN_EXE_relay-under-test").to_owned());
    let mut cmd = Command::new("sh");
    // `exec` keeps the pid the relay's, for its memory and CPU figures.
    cmd.arg("-c")
        .arg("ulimit -n 30000 2>/dev/null || ulimit -n 20000 2>/dev/null; exec \"$0\"")
        .arg(bin)
        .env("WANGGE_LISTEN", addr.to_string())
        .env("WANGGE_DATABASE", database)
        .env("WANGGE_ADMIN_POLL_MILLIS", "1000")
        .env("WANGGE_MAX_CONNECTIONS_PER_IP", "100000")
        .env_remove("TEST_LOG")
        .stdin(Stdio::null())
        .stdout(Stdio::null());
    for (k, v) in extra {
        cmd.env(k, v);
    }
    let child = cmd.spawn().unwrap();
    let relay = RelayProc { child, addr };
    let deadline = Instant::now() + Duration::from_secs(30);
    while TcpStream::connect(addr).is_err() {
        assert!(Instant::now() < deadline, "relay did not start");
        std::thread::sleep(Duration::from_millis(20));
    }
    relay
}
