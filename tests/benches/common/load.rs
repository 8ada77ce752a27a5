//! What the load benchmarks share: enrolled devices as a tokens file (a street's members
//! and centre for the notice load), the `sync-load` process that holds their
//! connections, and a process's memory and CPU from `/proc`.

// Each bench includes this module and uses part of it.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use wangge_relay::store::{NewDevice, RelayStore};
use wangge_relay::{admin, auth, store};

pub const STREET: &str = "110105001";
pub const COMMUNITY: &str = "110105001001";
pub const GRID: &str = "110105001001001";

/// A fresh relay database at `url` (`sqlite:…` or `postgres://…`) holding grid `GRID`.
pub fn grid_store(url: &str) -> Box<dyn RelayStore> {
    let mut s = store::open(url).unwrap();
    admin::add_division(s.as_mut(), STREET, "street").unwrap();
    admin::add_division(s.as_mut(), COMMUNITY, "community").unwrap();
    admin::add_grid(s.as_mut(), GRID, "grid").unwrap();
    s
}

/// Whether part `part` of a bench runs (`WANGGE_BENCH_ONLY=1,3`; all when unset).
pub fn wanted(part: u32) -> bool {
    match std::env::var("WANGGE_BENCH_ONLY") {
        Ok(v) => v.split(',').any(|p| p.trim() == part.to_string()),
        Err(_) => true,
    }
}

/// The median (the upper one of an even count; NaN of nothing).
pub fn median(v: &[f64]) -> f64 {
    let mut v = v.to_vec();
    v.sort_by(|a, b| a.total_cmp(b));
    if v.is_empty() {
        f64::NAN
    } else {
        v[v.len() / 2]
    }
}

/// The benches' runtime: two workers, as the machines have two cores.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

pub fn env_num(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// `n` devices of one member of `grid`, as `token<TAB>peer id` lines.
pub fn devices(s: &mut dyn RelayStore, grid: &str, n: usize) -> String {
    let user = admin::add_user(s, "压测用户", "member", &[grid.to_owned()]).unwrap();
    let mut out = String::new();
    for i in 0..n {
        let (token, peer) = enroll(s, user, &format!("bench-code-{i}"));
        out.push_str(&format!("{token}\t{peer}\n"));
    }
    out
}

/// Enrolls one device of `user` with a one-off code named `code`: its token and peer id.
fn enroll(s: &mut dyn RelayStore, user: uuid::Uuid, code: &str) -> (String, String) {
    let code_hash = auth::hash_secret(code);
    s.add_enrollment_code(user, &code_hash, i64::MAX).unwrap();
    let token = auth::new_token();
    let device_id = uuid::Uuid::new_v4();
    let device = NewDevice {
        device_id,
        token_hash: auth::hash_secret(token.expose()),
        label: String::new(),
    };
    s.redeem_enrollment_code(&code_hash, 0, &device)
        .unwrap()
        .unwrap();
    (
        token.expose().to_owned(),
        auth::device_peer_id(device_id).as_str().to_owned(),
    )
}

/// A street's people for the notice load: member users with one device each, and the
/// street's centre user who sends.
pub struct Street {
    /// The members' `token<TAB>peer id<TAB>user id<TAB>grid` lines.
    pub members: String,
    /// The centre's line, its street in place of a grid.
    pub sender: String,
    /// The grids, in code order.
    pub grids: Vec<String>,
    /// Each member user and its grid.
    pub users: Vec<(uuid::Uuid, String)>,
}

/// A fresh relay database at `url` holding street `STREET` with `grids` grids (1 to 999)
/// in community `COMMUNITY`, `n` member users spread over them in turn, each with one
/// device, and one centre user of the street.
pub fn street(url: &str, grids: usize, n: usize) -> Street {
    let mut s = store::open(url).unwrap();
    let s = s.as_mut();
    admin::add_division(s, STREET, "street").unwrap();
    admin::add_division(s, COMMUNITY, "community").unwrap();
    let grids: Vec<String> = (1..=grids.clamp(1, 999))
        .map(|g| format!("{COMMUNITY}{g:03}"))
        .collect();
    for g in &grids {
        admin::add_grid(s, g, g).unwrap();
    }
    let centre = admin::add_user(s, "压测指挥中心", "centre", &[STREET.to_owned()]).unwrap();
    let (token, peer) = enroll(s, centre, "bench-street-centre");
    let sender = format!("{token}\t{peer}\t{centre}\t{STREET}\n");
    let mut members = String::new();
    let mut users = Vec::with_capacity(n);
    for i in 0..n {
        let grid = &grids[i % grids.len()];
        let user = admin::add_user(
            s,
            &format!("压测网格员{i}"),
            "member",
            std::slice::from_ref(grid),
        )
        .unwrap();
        let (token, peer) = enroll(s, user, &format!("bench-street-code-{i}"));
        members.push_str(&format!("{token}\t{peer}\t{user}\t{grid}\n"));
        users.push((user, grid.clone()));
    }
    Street {
        members,
        sender,
        grids,
        users,
    }
}

/// Starts `relay-under-test` on a free loopback port, with a raised open-files limit.
pub fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// User plus system CPU seconds of a process.
pub fn cpu_secs(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let Some((_, rest)) = stat.rsplit_once(") ") else {
        return 0.0;
    };
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks: f64 = f.get(11).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0)
        + f.get(12).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    ticks / 100.0 // CLK_TCK
}

/// CPU seconds of every process named `comm` (say `postgres`: the server and its
/// backends), with the time of the children each has reaped, so backends that came and
/// went are counted too.
pub fn comm_cpu_secs(comm: &str) -> f64 {
    let Ok(procs) = std::fs::read_dir("/proc") else {
        return 0.0;
    };
    let mut ticks = 0.0;
    for entry in procs.flatten() {
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        let (Some((_, name_rest)), Some((_, rest))) =
            (stat.split_once(" ("), stat.rsplit_once(") "))
        else {
            continue;
        };
        if !name_rest.starts_with(&format!("{comm})")) {
            continue;
        }
        let f: Vec<&str> = rest.split_whitespace().collect();
        // utime, stime, cutime, cstime (fields 14 to 17 of stat).
        ticks += (11..15)
            .filter_map(|i| f.get(i).and_then(|v| v.parse::<f64>().ok()))
            .sum::<f64>();
    }
    ticks / 100.0 // CLK_TCK
}

/// Runs `sync-load` with `env`; returns it with its stdout lines on a channel.
pub fn load(env: &[(&str, String)]) -> (Child, std::sync::mpsc::Receiver<String>) {
    let mut cmd = Command::new("sh");
    cmd.arg("-c")
        .arg("ulimit -n 20000 2>/dev/null; exec \"$0\"")
        .arg(env!("CARGO_BIN_EXE_sync-load"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().unwrap();
    let out = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                return;
            }
        }
    });
    (child, rx)
}

pub fn wait_line(rx: &std::sync::mpsc::Receiver<String>, prefix: &str, within: Duration) -> String {
    let deadline = Instant::now() + within;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let line = rx
            .recv_timeout(left)
            .unwrap_or_else(|_| panic!("no {prefix:?} line from sync-load in time"));
        if line.starts_with(prefix) {
            return line;
        }
    }
}
