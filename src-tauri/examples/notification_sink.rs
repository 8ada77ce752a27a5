//! A desktop notification server for the end-to-end test: owns
//! `org.freedesktop.Notifications` on the session bus (the one `DBUS_SESSION_BUS_ADDRESS`
//! names, a private bus the test starts) and writes each notification it is sent as one
//! JSON line (`{"app","summary","body"}`) to the file given as its argument, so the test
//! can check that the app raised an OS notification and what it said. Prints `ready` once
//! it owns the name; exits by itself after `WANGGE_SINK_SECONDS` (default 900).

use std::collections::HashMap;
use std::io::Write;
use std::time::Duration;

use zbus::interface;
use zbus::zvariant::Value;

struct Sink {
    out: std::fs::File,
    last: u32,
}

#[interface(name = "org.freedesktop.Notifications")]
impl Sink {
    #[allow(clippy::too_many_arguments)]
    fn notify(
        &mut self,
        app_name: &str,
        _replaces_id: u32,
        _app_icon: &str,
        summary: &str,
        body: &str,
        _actions: Vec<&str>,
        _hints: HashMap<&str, Value<'_>>,
        _expire_timeout: i32,
    ) -> u32 {
        self.last += 1;
        let line = serde_json::json!({ "app": app_name, "summary": summary, "body": body });
        if writeln!(self.out, "{line}")
            .and_then(|()| self.out.flush())
            .is_err()
        {
            eprintln!("notification_sink: could not write the log");
        }
        self.last
    }

    fn get_capabilities(&self) -> Vec<String> {
        vec!["body".into()]
    }

    fn get_server_information(&self) -> (String, String, String, String) {
        (
            "wangge-e2e-sink".into(),
            "wangge".into(),
            "1".into(),
            "1.2".into(),
        )
    }

    fn close_notification(&self, _id: u32) {}
}

fn main() {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: notification_sink <log file>");
        std::process::exit(2);
    };
    let out = match std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
    {
        Ok(f) => f,
        Err(e) => {
            eprintln!("notification_sink: {path}: {e}");
            std::process::exit(1);
        }
    };
    let seconds = std::env::var("WANGGE_SINK_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(900u64);
    let built = zbus::blocking::connection::Builder::session()
        .and_then(|b| b.name("org.freedesktop.Notifications"))
        .and_then(|b| b.serve_at("/org/freedesktop/Notifications", Sink { out, last: 0 }))
        .and_then(|b| b.build());
    let _conn = match built {
        Ok(c) => c,
        Err(e) => {
            eprintln!("notification_sink: no session bus: {e}");
            std::process::exit(1);
        }
    };
    println!("ready");
    std::thread::sleep(Duration::from_secs(seconds));
}
