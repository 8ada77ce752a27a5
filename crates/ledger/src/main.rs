//! `wangge-ledger dry-run FILE [--mapping JSON-FILE] [--grid CODE]`: prints the dry-run
//! report of a ledger file as JSON. Exit code 0 for a report (problems included), 2 with
//! a message for a refused file.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};
use wangge_core::GridCode;
use wangge_ledger::{LedgerError, Mapping, dry_run_bytes};

#[derive(Parser)]
#[command(name = "wangge-ledger", about = "导入台账: check a ledger spreadsheet")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Reads FILE and prints what an import would do, writing nothing.
    DryRun {
        /// An .xlsx, .xls or .csv file.
        file: PathBuf,
        /// A mapping (the report's `mapping`, corrected) instead of the proposed one.
        #[arg(long)]
        mapping: Option<PathBuf>,
        /// The grid (15-digit code) the households would go to.
        #[arg(long)]
        grid: Option<String>,
    },
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            match e.downcast_ref::<LedgerError>() {
                Some(l) => eprintln!("wangge-ledger: refused ({}): {}", l.code, l.message),
                None => eprintln!("wangge-ledger: {e:#}"),
            }
            ExitCode::from(2)
        }
    }
}

fn run() -> anyhow::Result<()> {
    let Command::DryRun {
        file,
        mapping,
        grid,
    } = Cli::parse().command;
    let mapping: Option<Mapping> = mapping
        .map(|p| -> anyhow::Result<Mapping> {
            let text = std::fs::read_to_string(&p)
                .with_context(|| format!("reading mapping {}", p.display()))?;
            serde_json::from_str(&text).with_context(|| format!("mapping {}", p.display()))
        })
        .transpose()?;
    let grid = grid
        .map(|g| GridCode::parse(&g).map_err(|e| anyhow::anyhow!("--grid: {e}")))
        .transpose()?;
    let bytes = std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
    let tz = wangge_core::StoreConfig::default().tz;
    let today = wangge_core::clock::local_day(chrono::Utc::now(), tz);
    let ledger = dry_run_bytes(&bytes, mapping, grid.as_ref(), today)?;
    println!("{}", serde_json::to_string_pretty(&ledger.report)?);
    Ok(())
}
