//! Processes one photo into an evidence JPEG, for trying the pipeline by hand and for
//! timing it as a whole process.
//!
//! ```text
//! cargo run --release -p wangge-media --example evidence -- IN OUT [--quality Q]
//!     [--max-long-side N] [--thumb THUMB_OUT] [--grid NAME --place TEXT]
//! ```
//!
//! Prints the hash, size and dimensions (never the caption or EXIF contents).

use std::{error::Error, path::PathBuf, process::ExitCode};

use wangge_media::{Caption, Settings, process_file};

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), Box<dyn Error>> {
    let mut args = std::env::args().skip(1);
    let usage = "usage: evidence IN OUT [--quality Q] [--max-long-side N] [--thumb PATH] \
                 [--grid NAME --place TEXT]";
    let input = PathBuf::from(args.next().ok_or(usage)?);
    let output = PathBuf::from(args.next().ok_or(usage)?);
    let mut settings = Settings::default();
    let mut thumb = None;
    let mut caption = Caption::default();
    let mut captioned = false;
    while let Some(flag) = args.next() {
        let value = args.next().ok_or(usage)?;
        match flag.as_str() {
            "--quality" => settings.quality = value.parse()?,
            "--max-long-side" => settings.max_long_side = value.parse()?,
            "--thumb" => thumb = Some(PathBuf::from(value)),
            "--grid" => (caption.grid_name, captioned) = (value, true),
            "--place" => (caption.place, captioned) = (value, true),
            _ => return Err(usage.into()),
        }
    }
    if captioned {
        caption.fallback_time = Some(chrono::Local::now().naive_local());
        settings.caption = Some(caption);
    }
    let evidence =
        process_file(&input, &settings, &|_| {}).map_err(|e| format!("{} ({})", e, e.code()))?;
    std::fs::write(&output, &evidence.jpeg)?;
    if let Some(path) = thumb {
        std::fs::write(path, &evidence.thumbnail)?;
    }
    println!(
        "{} {} bytes {}x{} thumb {}x{}",
        evidence.sha256,
        evidence.jpeg.len(),
        evidence.width,
        evidence.height,
        evidence.thumb_width,
        evidence.thumb_height
    );
    Ok(())
}
