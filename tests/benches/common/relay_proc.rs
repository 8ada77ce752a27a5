//! The real relay as a child process (`relay-under-test`) on a free loopback port, for the
//! benchmarks; killed on drop.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct RelayProc {
    child: Child,
    pub addr: SocketAddr,
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
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_relay-under-test"))
        .env("WANGGE_LISTEN", addr.to_string())
        .env("WANGGE_DATABASE", database)
        .env("WANGGE_ADMIN_POLL_MILLIS", "1000")
        .env_remove("TEST_LOG")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let relay = RelayProc { child, addr };
    let deadline = Instant::now() + Duration::from_secs(30);
    while TcpStream::connect(addr).is_err() {
        assert!(Instant::now() < deadline, "relay did not start");
        std::thread::sleep(Duration::from_millis(20));
    }
    relay
}
