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
    /// Add a department (职能部门) of an existing division: its code is the division's, a
    /// hyphen and a short name of lower-case letters or digits (110105-cgj).
    AddDepartment {
        /// The department code.
        #[arg(long)]
        code: String,
        /// Its name (城管局).
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
        /// member | informant | leader | chief-leader | centre | department
        #[arg(long)]
        role: String,
        /// Grid code(s) for member/informant/leader; community code for chief-leader;
        /// division code for centre; department code for department. Repeat for several
        /// grids.
        #[arg(long = "scope", required = true)]
        scopes: Vec<String>,
    },
    /// Issue a one-time enrollment code for a user; prints the code, and with --relay-url
    /// the enrollment link (wangge://enroll?…) on the next line, and with --qr its QR code.
    EnrollCode {
        /// The user id.
        #[arg(long)]
        user: Uuid,
        /// Hours until the code expires.
        #[arg(long, default_value_t = 72)]
        ttl_hours: u32,
        /// The relay's address as devices reach it (https://relay.example.cn); prints the
        /// enrollment link.
        #[arg(long)]
        relay_url: Option<String>,
        /// Draw the link as a QR code: `terminal` (standard output) or `png` (--out FILE).
        #[arg(long, value_enum, requires = "relay_url")]
        qr: Option<admin::qr::QrFormat>,
        /// The PNG file of `--qr png`.
        #[arg(long, requires = "qr")]
        out: Option<PathBuf>,
        /// Trust only this key: base64url SHA-256 of the relay's SPKI (at most two).
        #[arg(long = "pin", requires = "relay_url")]
        pins: Vec<String>,
        /// Trust this CA certificate (PEM) for the relay instead of the system's roots.
        #[arg(long, requires = "relay_url", conflicts_with = "pins")]
        ca: Option<PathBuf>,
        /// Allow a plain http:// --relay-url to another machine (tokens travel unencrypted).
        #[arg(long, requires = "relay_url")]
        allow_plain: bool,
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
    /// Back up the relay's SQLite database (the configured one) into a new file while the
    /// relay serves: a consistent snapshot, checked, with a manifest beside it
    /// (`FILE.manifest.json`). Photos in an S3 bucket are not in it.
    Backup {
        /// The backup file to write (must not exist).
        #[arg(long)]
        to: PathBuf,
    },
    /// Restore a backup into a new SQLite database file, verified against its manifest
    /// before it is put in place. Point `database` at it and start the relay.
    Restore {
        /// The backup file (its manifest beside it).
        #[arg(long)]
        from: PathBuf,
        /// The new database: `sqlite:PATH` (must not exist).
        #[arg(long)]
        to: String,
    },
    /// Copy this relay's SQLite database into a new, empty PostgreSQL database, and the
    /// photos into the S3 bucket if `[photos] store = "s3"` (the new service's config),
    /// then verify row counts and digests and the photos' hashes. Stop the relay first.
    Migrate {
        /// The source: `sqlite:PATH` (the relay's file).
        #[arg(long)]
        from: String,
        /// The target: `postgres://…`, a new empty database.
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
    match &command {
        // Its own two databases, neither necessarily the configured one.
        AdminCommand::Migrate { from, to } => return run_migrate(config, from, to),
        AdminCommand::Backup { to } => return run_backup(config, to),
        AdminCommand::Restore { from, to } => return run_restore(from, to),
        _ => {}
    }
    let mut store = store::open(&config.database).context("opening the database")?;
    let store = store.as_mut();
    // Through the same entry as the admin API, so the log records it (as the command line).
    let mut run = |op| admin::perform(store, &admin::AdminActor::Cli, op);
    match command {
        AdminCommand::AddDivision { code, name } => {
            run(admin::AdminOp::AddDivision {
                code: code.clone(),
                name,
            })?;
            println!("division {code} added");
        }
        AdminCommand::AddDepartment { code, name } => {
            run(admin::AdminOp::AddDepartment {
                code: code.clone(),
                name,
            })?;
            println!("department {code} added");
        }
        AdminCommand::AddGrid { code, name } => {
            run(admin::AdminOp::AddGrid {
                code: code.clone(),
                name,
            })?;
            println!("grid {code} added");
        }
        AdminCommand::AddUser { name, role, scopes } => {
            if let admin::AdminOutcome::User(id) =
                run(admin::AdminOp::AddUser { name, role, scopes })?
            {
                println!("{id}");
            }
        }
        AdminCommand::EnrollCode {
            user,
            ttl_hours,
            relay_url,
            qr,
            out,
            pins,
            ca,
            allow_plain,
        } => {
            let link = relay_url
                .map(|url| {
                    admin::link::LinkOutput::new(url, pins, ca.as_deref(), allow_plain, qr, out)
                })
                .transpose()?;
            // A wrong flag is told before a code is issued.
            link.as_ref().map(|l| l.check()).transpose()?;
            if let admin::AdminOutcome::EnrollmentCode { code, .. } =
                run(admin::AdminOp::EnrollCode { user, ttl_hours })?
            {
                println!("{code}");
                if let Some(link) = link {
                    link.emit(&code, &mut std::io::stdout().lock())?;
                }
            }
        }
        AdminCommand::RevokeDevice { device } => match run(admin::AdminOp::RevokeDevice { device })
        {
            Ok(_) => println!("device {device} revoked"),
            Err(admin::AdminError::Store(store::StoreError::NotFound(_))) => {
                anyhow::bail!("no device {device}")
            }
            Err(e) => return Err(e.into()),
        },
        AdminCommand::MoveHousehold { doc, to } => {
            run(admin::AdminOp::MoveHousehold {
                doc: doc.clone(),
                to: to.clone(),
            })?;
            println!("household {doc} moved to grid {to}");
        }
        AdminCommand::Migrate { .. }
        | AdminCommand::Backup { .. }
        | AdminCommand::Restore { .. } => {}
    }
    Ok(())
}

fn run_backup(config: &Config, to: &std::path::Path) -> Result<()> {
    if !config.database.starts_with("sqlite:") {
        anyhow::bail!(
            "admin backup copies a SQLite relay; back up a PostgreSQL relay with pg_dump \
             (pg_dump --format=custom)"
        );
    }
    let report = store::migrate::backup::backup(&config.database, to)?;
    print_backup("backed up", &report);
    if report.manifest.photos_in_bucket > 0 {
        println!(
            "  {} photos are in the S3 bucket, not in this file: keep the bucket versioned",
            report.manifest.photos_in_bucket
        );
    }
    Ok(())
}

fn run_restore(from: &std::path::Path, to: &str) -> Result<()> {
    let report = store::migrate::backup::restore(from, to)?;
    print_backup("restored and verified", &report);
    println!("start the relay with WANGGE_DATABASE={to}");
    Ok(())
}

fn print_backup(what: &str, report: &store::migrate::backup::BackupReport) {
    println!(
        "{what} {} ({} bytes) in {:.1} s: integrity ok, {} photos hashed",
        report.path.display(),
        report.bytes,
        report.elapsed.as_secs_f64(),
        report.manifest.photos_checked
    );
    for t in &report.manifest.tables {
        println!("  {:<18} {:>10} rows  digest {}", t.name, t.rows, t.digest);
    }
}

fn run_migrate(config: &Config, from: &str, to: &str) -> Result<()> {
    let photos = match config.photos.s3().context("the [photos] settings")? {
        Some(s3) => Some(std::sync::Arc::new(
            store::objects::ObjectBlobs::connect(&s3).context("connecting to the bucket")?,
        )),
        None => None,
    };
    match &photos {
        Some(_) => eprintln!("photos go to the S3 bucket of [photos]"),
        None => eprintln!("photos stay in the database ([photos] store = \"database\")"),
    }
    let report = store::migrate::migrate(from, to, photos.as_ref(), |table, rows| {
        eprintln!("  {table:<18} {rows:>10} rows copied and verified");
    })?;
    println!(
        "migrated and verified in {:.1} s:",
        report.elapsed.as_secs_f64()
    );
    for t in &report.tables {
        println!(
            "  {:<18} {:>10} rows  digest {}",
            t.name,
            t.rows,
            t.digest.hex()
        );
    }
    println!("  admin generation   {:>10}", report.admin_generation);
    if photos.is_some() {
        println!(
            "  photos to bucket   {:>10} ({} bytes, each read back and hashed)",
            report.photos_to_objects, report.photo_bytes
        );
    }
    println!("start the relays with WANGGE_DATABASE set to the new database");
    Ok(())
}
