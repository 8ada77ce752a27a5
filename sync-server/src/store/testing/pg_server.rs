//! A throwaway PostgreSQL server for tests, and a fresh database on it per test.
//!
//! [`TestDatabase::new`] starts the server the first time it is needed (the Debian
//! binaries, `/usr/lib/postgresql/<version>/bin`, or `WANGGE_PG_BINDIR`): `initdb` into a
//! fresh temporary directory, then `postgres` on a free loopback port with its unix socket
//! in that directory. Tests running at once share the server; each gets its own database,
//! so they run in parallel. The server stops, and its directory goes, when the last
//! [`TestDatabase`] holding it is dropped.
//!
//! PostgreSQL refuses to run as root: as root (CI), the server runs as the `postgres`
//! system user (or `nobody`) through `runuser`, its directory handed to that user.
//! Without the binaries, tests fail and say what to install; they never skip.

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

/// The superuser the test server is created with (trust authentication, loopback only).
const SUPERUSER: &str = "wangge";

static SERVER: Mutex<Weak<PgServer>> = Mutex::new(Weak::new());
static NEXT: AtomicU64 = AtomicU64::new(0);

/// A fresh, empty database on the shared test server; its URL opens a store.
pub struct TestDatabase {
    url: String,
    server: Arc<PgServer>,
}

impl TestDatabase {
    /// Creates a fresh database, starting the test server if none runs. Panics, saying
    /// why, if PostgreSQL is not installed or does not start.
    pub fn new() -> TestDatabase {
        // The blocking client must not run on an async test's runtime thread.
        std::thread::scope(|s| s.spawn(Self::create).join())
            .unwrap_or_else(|why| std::panic::resume_unwind(why))
    }

    fn create() -> TestDatabase {
        let server = PgServer::shared();
        let name = format!(
            "t_{}_{}_{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed),
            uuid::Uuid::new_v4().simple()
        );
        let mut admin = server.connect("postgres");
        admin
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .expect("create test database");
        drop(admin);
        TestDatabase {
            url: server.url(&name),
            server,
        }
    }

    /// The database's URL (`postgres://wangge@127.0.0.1:PORT/NAME`).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// A plain client on this database (tests that look under the store).
    pub fn client(&self) -> postgres::Client {
        let name = self.url.rsplit('/').next().unwrap_or("postgres").to_owned();
        self.server.connect(&name)
    }
}

impl Default for TestDatabase {
    fn default() -> Self {
        Self::new()
    }
}

/// A PostgreSQL server in a temporary directory, stopped on drop.
struct PgServer {
    dir: PathBuf,
    bin: PathBuf,
    port: u16,
    child: Mutex<Child>,
    /// The user the server runs as, when the tests run as root.
    run_as: Option<String>,
}

impl PgServer {
    /// The running shared server, or a new one.
    fn shared() -> Arc<PgServer> {
        let mut slot = SERVER.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(s) = slot.upgrade() {
            return s;
        }
        let server = Arc::new(PgServer::start());
        *slot = Arc::downgrade(&server);
        server
    }

    fn start() -> PgServer {
        let bin = bin_dir();
        let run_as = running_as_root().then(unprivileged_user);
        let dir = std::env::temp_dir().join(format!(
            "wangge-pg-{}-{}",
            std::process::id(),
            uuid::Uuid::new_v4().simple()
        ));
        std::fs::create_dir(&dir).expect("create the test server directory");
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700))
            .expect("chmod the test server directory");
        if let Some(user) = &run_as {
            let (uid, gid) = (id_of(user, "-u"), id_of(user, "-g"));
            std::os::unix::fs::chown(&dir, Some(uid), Some(gid))
                .expect("hand the test server directory to its user");
        }
        let data = dir.join("data");
        let out = command(&run_as, &bin.join("initdb"))
            .arg("-D")
            .arg(&data)
            .args(["-U", SUPERUSER, "-A", "trust", "-E", "UTF8", "--locale=C"])
            .arg("--no-sync")
            .output()
            .expect("run initdb");
        assert!(
            out.status.success(),
            "initdb failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let mut last_log = String::new();
        for _ in 0..5 {
            let port = free_port();
            let log_path = dir.join(format!("server-{port}.log"));
            let log = std::fs::File::create(&log_path).expect("create the server log");
            let child = command(&run_as, &bin.join("postgres"))
                .arg("-D")
                .arg(&data)
                .arg("-p")
                .arg(port.to_string())
                .arg("-k")
                .arg(&dir)
                .args([
                    "-h",
                    "127.0.0.1",
                    "-c",
                    "fsync=off",
                    "-c",
                    "max_connections=300",
                ])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(log)
                .spawn()
                .expect("start postgres");
            let server = PgServer {
                dir: dir.clone(),
                bin: bin.clone(),
                port,
                child: Mutex::new(child),
                run_as: run_as.clone(),
            };
            if server.wait_ready() {
                return server;
            }
            last_log = std::fs::read_to_string(&log_path).unwrap_or_default();
            // Dropping it would remove the directory, which the next try still needs.
            std::mem::forget(server);
        }
        let _ = std::fs::remove_dir_all(&dir);
        panic!("the test PostgreSQL server did not start:\n{last_log}");
    }

    /// Waits until the server accepts connections; `false` if it exited (port taken).
    fn wait_ready(&self) -> bool {
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.lock().map(|mut c| c.try_wait().ok().flatten()) {
                return false;
            }
            if self.try_connect("postgres").is_ok() {
                return true;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("the test PostgreSQL server did not answer within 60 s");
    }

    fn try_connect(&self, db: &str) -> Result<postgres::Client, postgres::Error> {
        postgres::Config::new()
            .host("127.0.0.1")
            .port(self.port)
            .user(SUPERUSER)
            .dbname(db)
            .connect(postgres::NoTls)
    }

    fn connect(&self, db: &str) -> postgres::Client {
        self.try_connect(db).expect("connect to the test server")
    }

    fn url(&self, db: &str) -> String {
        format!("postgres://{SUPERUSER}@127.0.0.1:{}/{db}", self.port)
    }
}

impl Drop for PgServer {
    fn drop(&mut self) {
        // Immediate shutdown: the data goes with the directory anyway.
        let _ = command(&self.run_as, &self.bin.join("pg_ctl"))
            .arg("stop")
            .arg("-D")
            .arg(self.dir.join("data"))
            .args(["-m", "immediate", "-w", "-t", "30"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        if let Ok(mut child) = self.child.lock() {
            if !matches!(child.try_wait(), Ok(Some(_))) {
                let _ = child.kill();
            }
            let _ = child.wait();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// `program`, run as `user` through `runuser` if one is given, in `/` (initdb refuses to
/// run in a directory its user cannot read, such as root's home).
fn command(user: &Option<String>, program: &Path) -> Command {
    let mut c = match user {
        Some(user) => {
            let mut c = Command::new("runuser");
            c.args(["-u", user, "--"]).arg(program);
            c
        }
        None => Command::new(program),
    };
    c.current_dir("/");
    c
}

/// Where `initdb`, `postgres` and `pg_ctl` are: `WANGGE_PG_BINDIR`, else the newest
/// `/usr/lib/postgresql/<version>/bin` that has them.
fn bin_dir() -> PathBuf {
    let has_all = |d: &Path| {
        ["initdb", "postgres", "pg_ctl"]
            .iter()
            .all(|b| d.join(b).is_file())
    };
    if let Some(d) = std::env::var_os("WANGGE_PG_BINDIR") {
        let d = PathBuf::from(d);
        assert!(
            has_all(&d),
            "WANGGE_PG_BINDIR={} lacks initdb, postgres or pg_ctl",
            d.display()
        );
        return d;
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let v = e.file_name().to_str()?.parse().ok()?;
            let bin = e.path().join("bin");
            has_all(&bin).then_some((v, bin))
        })
        .collect();
    versions.sort();
    match versions.pop() {
        Some((_, bin)) => bin,
        None => panic!(
            "PostgreSQL server binaries (initdb, postgres, pg_ctl) not found in \
             /usr/lib/postgresql/<version>/bin: install the Debian package `postgresql` \
             (scripts/deps.sh does), or point WANGGE_PG_BINDIR at them"
        ),
    }
}

fn running_as_root() -> bool {
    std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

/// A user PostgreSQL will run as: `postgres` (the Debian package creates it), else
/// `nobody`.
fn unprivileged_user() -> String {
    for user in ["postgres", "nobody"] {
        let known = Command::new("id")
            .arg("-u")
            .arg(user)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if known {
            return user.to_owned();
        }
    }
    panic!(
        "running as root, and neither a `postgres` nor a `nobody` user exists to run PostgreSQL as"
    );
}

/// `id -u USER` or `id -g USER`.
fn id_of(user: &str, flag: &str) -> u32 {
    let out = Command::new("id")
        .arg(flag)
        .arg(user)
        .output()
        .expect("run id");
    String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .unwrap_or_else(|_| panic!("no id for user {user}"))
}

/// A loopback port nothing listens on right now.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}
