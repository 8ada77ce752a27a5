//! The relay's `serve`, as a binary of this package so the end-to-end tests can run it as a
//! child process (`CARGO_BIN_EXE_relay-under-test`) and SIGKILL it. Configured like
//! `wangge-relay serve`: defaults, then `WANGGE_*` environment variables.

use std::process::ExitCode;

use wangge_relay::{Config, Relay, shutdown_signal};

fn main() -> ExitCode {
    if std::env::var_os("TEST_LOG").is_some() {
        tracing_subscriber::fmt()
            .with_env_filter(std::env::var("RUST_LOG").unwrap_or_else(|_| "info".to_owned()))
            .with_writer(std::io::stderr)
            .init();
    }
    let config = match Config::load(None) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("relay-under-test: configuration: {e}");
            return ExitCode::FAILURE;
        }
    };
    let Ok(runtime) = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    else {
        eprintln!("relay-under-test: no async runtime");
        return ExitCode::FAILURE;
    };
    let result = runtime.block_on(async {
        let relay = Relay::bind(config).await?;
        relay.run_until(shutdown_signal()).await
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("relay-under-test: {e}");
            ExitCode::FAILURE
        }
    }
}
