//! The relay as a deployment runs it: child processes (`relay-under-test`), which a test
//! can SIGKILL and restart on the same port, and for a city, two instances on one
//! PostgreSQL database behind nginx with the site file the relay ships
//! (`sync-server/deploy/nginx-two-instances.conf`).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use tokio::time::{Instant, sleep};
use wangge_relay::store::testing::TestDatabase;

/// The relay binary running as a child process on a fixed loopback port.
pub struct ChildRelay {
    child: Option<Child>,
    pub port: u16,
    /// `sqlite:…` or `postgres://…`.
    pub database: String,
    dir: PathBuf,
}

impl ChildRelay {
    /// A relay on a free port over `database`, run in `dir`; not started.
    pub fn new(database: String, dir: &Path) -> Self {
        Self {
            child: None,
            port: free_port(),
            database,
            dir: dir.to_owned(),
        }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Starts the relay and waits until it accepts connections.
    pub async fn start(&mut self) {
        assert!(self.child.is_none(), "relay already running");
        // `WANGGE_RELAY_LOG=<dir>`: each relay's log in `<dir>/relay-<port>.log`.
        let stderr = if let Some(dir) = std::env::var_os("WANGGE_RELAY_LOG") {
            let path = Path::new(&dir).join(format!("relay-{}.log", self.port));
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .unwrap()
                .into()
        } else if std::env::var_os("TEST_LOG").is_some() {
            Stdio::inherit()
        } else {
            Stdio::null()
        };
        let log = std::env::var_os("WANGGE_RELAY_LOG").is_some()
            || std::env::var_os("TEST_LOG").is_some();
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_relay-under-test"));
        if log {
            cmd.env("TEST_LOG", "1");
        } else {
            cmd.env_remove("TEST_LOG");
        }
        let mut child = cmd
            .env("WANGGE_LISTEN", format!("127.0.0.1:{}", self.port))
            .env("WANGGE_DATABASE", &self.database)
            .env("WANGGE_ADMIN_POLL_MILLIS", "50")
            // Every device comes through nginx's one address; the limit has tests of its own.
            .env("WANGGE_ENROLL_ATTEMPTS", "10000")
            .current_dir(&self.dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(stderr)
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            if let Some(status) = child.try_wait().unwrap() {
                panic!("relay exited at start: {status}");
            }
            if tokio::net::TcpStream::connect(("127.0.0.1", self.port))
                .await
                .is_ok()
            {
                break;
            }
            assert!(Instant::now() < deadline, "relay did not start listening");
            sleep(Duration::from_millis(20)).await;
        }
        self.child = Some(child);
    }

    /// SIGKILL (`Child::kill` on Unix), then reap.
    pub fn kill(&mut self) {
        let mut child = self.child.take().expect("relay running");
        child.kill().unwrap();
        child.wait().unwrap();
    }
}

impl Drop for ChildRelay {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// nginx (Debian's package) with the shipped two-instance site file, on a free loopback
/// port, in a directory of its own.
pub struct Nginx {
    child: Child,
    pub port: u16,
    _dir: tempfile::TempDir,
}

/// The site file the relay ships.
const SITE: &str = include_str!("../../../sync-server/deploy/nginx-two-instances.conf");

impl Nginx {
    /// Starts nginx balancing `upstreams` (loopback ports) and waits until it listens.
    pub async fn start(upstreams: [u16; 2]) -> Self {
        let port = free_port();
        Self::with_site(&render_site(upstreams, port), port).await
    }

    /// Starts nginx with `site` (a site file, already on loopback) and waits until it
    /// listens on `port`.
    pub async fn with_site(site: &str, port: u16) -> Self {
        let binary = ["/usr/sbin/nginx", "/usr/local/sbin/nginx"]
            .into_iter()
            .find(|p| Path::new(p).exists())
            .expect("nginx is not installed: apt-get install nginx (bash scripts/deps.sh)");
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("site.conf"), site).unwrap();
        let d = dir.path().display();
        // Workers run as root only because the test may (a root master would otherwise
        // switch them to `nobody`, who cannot use the temporary directory).
        let user = if is_root() { "user root;" } else { "" };
        let main = format!(
            "{user}\ndaemon off;\nworker_processes 1;\npid {d}/nginx.pid;\nerror_log {d}/error.log warn;\n\
             events {{ worker_connections 1024; }}\n\
             http {{\n  access_log off;\n  client_body_temp_path {d}/body;\n  proxy_temp_path {d}/proxy;\n  \
             fastcgi_temp_path {d}/fastcgi;\n  uwsgi_temp_path {d}/uwsgi;\n  scgi_temp_path {d}/scgi;\n  \
             include {d}/site.conf;\n}}\n"
        );
        std::fs::write(dir.path().join("nginx.conf"), main).unwrap();
        let mut child = Command::new(binary)
            .arg("-p")
            .arg(dir.path())
            .arg("-c")
            .arg(dir.path().join("nginx.conf"))
            .arg("-e")
            .arg(dir.path().join("error.log"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            if let Some(status) = child.try_wait().unwrap() {
                let log = std::fs::read_to_string(dir.path().join("error.log")).unwrap_or_default();
                panic!("nginx exited at start: {status}: {log}");
            }
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                break;
            }
            assert!(Instant::now() < deadline, "nginx did not start listening");
            sleep(Duration::from_millis(20)).await;
        }
        Nginx {
            child,
            port,
            _dir: dir,
        }
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .map(|l| l.split_whitespace().nth(1) == Some("0"))
        })
        .unwrap_or(false)
}

/// The shipped site file with its two upstreams and its listen address on loopback ports.
fn render_site(upstreams: [u16; 2], listen: u16) -> String {
    for needle in ["127.0.0.1:3031", "127.0.0.1:3032", "listen 80;"] {
        assert!(
            SITE.contains(needle),
            "the shipped site file lost {needle:?}"
        );
    }
    SITE.replace("127.0.0.1:3031", &format!("127.0.0.1:{}", upstreams[0]))
        .replace("127.0.0.1:3032", &format!("127.0.0.1:{}", upstreams[1]))
        .replace("listen 80;", &format!("listen 127.0.0.1:{listen};"))
}

/// Two relay instances on one PostgreSQL database (a server of the test's own) behind
/// nginx.
pub struct Cluster {
    pub nginx: Nginx,
    pub relays: tokio::sync::Mutex<[ChildRelay; 2]>,
    pub db: TestDatabase,
    _dir: tempfile::TempDir,
}

impl Cluster {
    /// Starts the database, runs `seed` on it (before any relay starts), then both
    /// instances and nginx.
    pub async fn start(seed: impl FnOnce(&str) + Send) -> Self {
        let db = tokio::task::block_in_place(TestDatabase::new);
        let url = db.url().to_owned();
        tokio::task::block_in_place(|| seed(&url));
        let dir = tempfile::tempdir().unwrap();
        let mut relays = [
            ChildRelay::new(url.clone(), dir.path()),
            ChildRelay::new(url, dir.path()),
        ];
        for r in &mut relays {
            r.start().await;
        }
        let nginx = Nginx::start([relays[0].port, relays[1].port]).await;
        Cluster {
            nginx,
            relays: tokio::sync::Mutex::new(relays),
            db,
            _dir: dir,
        }
    }
}
