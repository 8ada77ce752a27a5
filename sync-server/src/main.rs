//! `wangge-relay`: `serve` the relay, or run `admin` commands against its database.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use uuid::Uuid;
use wangge_relay::{Config, Relay, admin, shutdown_signal, store};

/// The Wangge sync relay.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    /// TOML config file (defaults apply without one; WANGGE_* env vars override both).
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the relay until SIGTERM or Ctrl-C.
    Serve,
    /// Manage divisions, grids, users and devices in the relay's database.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Add a division (2/4/6/9/12-digit code: province … community).
    AddDivision {
        /// The division code.
        #[arg(long)]
        code: String,
        /// Its name.
        #[arg(long)]
        name: String,
    },
    /// Add a grid (15 digits: community code + grid number) under an existing community.
    AddGrid {
        /// The grid code.
        #[arg(long)]
        code: String,
        /// Its name.
        #[arg(long)]
        name: String,
    },
    /// Add a user; prints the user id.
    AddUser {
        /// Display name.
        #[arg(long)]
        name: String,
        /// member | informant | leader | chief-leader | centre
        #[arg(long)]
        role: String,
        /// Grid code(s) for member/informant/leader; community code for chief-leader;
        /// division code for centre. Repeat for several grids.
        #[arg(long = "scope", required = true)]
        scopes: Vec<String>,
    },
    /// Issue a one-time enrollment code for a user; prints the code.
    EnrollCode {
        /// The user id.
        #[arg(long)]
        user: Uuid,
        /// Hours until the code expires.
        #[arg(long, default_value_t = 72)]
        ttl_hours: u32,
    },
    /// Revoke a device; a running relay disconnects it within its admin poll interval.
    RevokeDevice {
        /// The device id.
        #[arg(long)]
        device: Uuid,
    },
    /// Move a household document to another grid (access follows the move).
    MoveHousehold {
        /// The document id (base58check).
        #[arg(long)]
        doc: String,
        /// The destination grid code.
        #[arg(long)]
        to: String,
    },
}

fn main() -> Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"))
                // automerge can print operation values (residents' personal data) at
                // TRACE; whatever RUST_LOG says, automerge stays at info.
                .add_directive("automerge=info".parse().context("log directive")?),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let config = Config::load(cli.config.as_deref()).context("loading configuration")?;
    match cli.command {
        Command::Serve => serve(config),
        Command::Admin { command } => run_admin(&config, command),
    }
}

fn serve(config: Config) -> Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(async {
        let relay = Relay::bind(config).await.context("starting the relay")?;
        relay.run_until(shutdown_signal()).await.context("serving")
    })
}

fn run_admin(config: &Config, command: AdminCommand) -> Result<()> {
    let mut store = store::open(&config.database).context("opening the database")?;
    let store = store.as_mut();
    match command {
        AdminCommand::AddDivision { code, name } => {
            admin::add_division(store, &code, &name)?;
            println!("division {code} added");
        }
        AdminCommand::AddGrid { code, name } => {
            admin::add_grid(store, &code, &name)?;
            println!("grid {code} added");
        }
        AdminCommand::AddUser { name, role, scopes } => {
            let id = admin::add_user(store, &name, &role, &scopes)?;
            println!("{id}");
        }
        AdminCommand::EnrollCode { user, ttl_hours } => {
            let code = admin::enroll_code(store, user, ttl_hours)?;
            println!("{}", code.expose());
        }
        AdminCommand::RevokeDevice { device } => {
            if admin::revoke_device(store, device)? {
                println!("device {device} revoked");
            } else {
                anyhow::bail!("no device {device}");
            }
        }
        AdminCommand::MoveHousehold { doc, to } => {
            admin::move_household(store, &doc, &to)?;
            println!("household {doc} moved to grid {to}");
        }
    }
    Ok(())
}
