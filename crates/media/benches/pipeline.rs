//! Benchmark: our pipeline against `vipsthumbnail` on 12 MP phone-like JPEGs and real
//! photographs, as whole processes (wall time, peak RSS) and in process, with output
//! sizes, SSIM against an independent reference resize, and a quality sweep.
//!
//! `cargo bench -p wangge-media --bench pipeline` (needs Debian `libvips-tools` and `time`;
//! real photographs from `mate-backgrounds` or `WANGGE_BENCH_PHOTOS=dir`, else skipped).
//! The bench re-runs its own binary with `--child IN OUT` to time our pipeline as a
//! process, so both sides pay process start-up.

#[path = "pipeline/corpus.rs"]
mod corpus;
#[path = "pipeline/measure.rs"]
mod measure;
#[path = "pipeline/ssim.rs"]
mod ssim;

use std::{
    path::{Path, PathBuf},
    time::{Duration, Instant},
};

use measure::{median, quantile, run, which};
use wangge_media::{Caption, Settings, metadata::Metadata, orient, process, raster::Rgb};

const RUNS: usize = 5;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("--child") {
        std::process::exit(child(&args[2..]));
    }
    if let Err(e) = bench() {
        eprintln!("bench failed: {e}");
        std::process::exit(1);
    }
}

/// Like-for-like with `vipsthumbnail … [Q=80,strip]`: default settings without the size cap.
fn like_vips() -> Settings {
    Settings {
        max_output_bytes: None,
        ..Settings::default()
    }
}

/// Child mode: one photo to one evidence JPEG at q80 (no size cap), nothing printed.
fn child(args: &[String]) -> i32 {
    let (Some(input), Some(output)) = (args.first(), args.get(1)) else {
        return 2;
    };
    match wangge_media::process_file(Path::new(input), &like_vips(), &|_| {}) {
        Ok(ev) => i32::from(std::fs::write(output, ev.jpeg).is_err()),
        Err(e) => {
            eprintln!("{}", e.code());
            1
        }
    }
}

struct Case {
    name: String,
    path: PathBuf,
    real: bool,
}

struct Row {
    name: String,
    dims: String,
    ours_ms: f64,
    vips_ms: Option<f64>,
    inproc_ms: f64,
    ours_rss: u64,
    vips_rss: Option<u64>,
    ours_kb: f64,
    vips_kb: Option<f64>,
    ssim_ours: f64,
    ssim_vips: Option<f64>,
    app_kb: f64,
    app_q: u8,
    real: bool,
}

fn bench() -> Result<(), String> {
    let scratch = std::env::temp_dir().join("wangge-media-bench");
    std::fs::create_dir_all(&scratch).map_err(|e| e.to_string())?;
    let me = std::env::current_exe().map_err(|e| e.to_string())?;
    let vips = which("vipsthumbnail");
    let have_time = which("/usr/bin/time").is_some();
    if !have_time {
        return Err("/usr/bin/time not found: apt-get install time".into());
    }
    if vips.is_none() {
        println!("vipsthumbnail not found (apt-get install libvips-tools): ours only");
    }

    let mut cases = Vec::new();
    for seed in 1..=3u64 {
        let path = scratch.join(format!("synthetic-12mp-{seed}.jpg"));
        if !path.exists() {
            let jpeg = corpus::baseline_jpeg(&corpus::synthetic_scene(seed), 92);
            std::fs::write(&path, jpeg).map_err(|e| e.to_string())?;
        }
        cases.push(Case {
            name: format!("synthetic-12mp-{seed}"),
            path,
            real: false,
        });
    }
    let real = corpus::real_photos();
    if real.is_empty() {
        println!(
            "no real photographs found (apt-get install mate-backgrounds, or set WANGGE_BENCH_PHOTOS): skipping them"
        );
    }
    // Phone-like 12 MP baseline JPEGs made from the two largest real photographs.
    let mut by_size: Vec<&PathBuf> = real.iter().collect();
    by_size.sort_by_key(|p| std::cmp::Reverse(std::fs::metadata(p).map(|m| m.len()).unwrap_or(0)));
    for (i, src) in by_size.iter().take(2).enumerate() {
        let path = scratch.join(format!("phone-12mp-{i}.jpg"));
        if !path.exists()
            && let Some(img) = corpus::phone_like_from(src)
        {
            std::fs::write(&path, corpus::baseline_jpeg(&img, 92)).map_err(|e| e.to_string())?;
        }
        if path.exists() {
            cases.push(Case {
                name: format!("phone-12mp-from-{}", stem(src)),
                path,
                real: false,
            });
        }
    }
    for p in &real {
        cases.push(Case {
            name: stem(p),
            path: p.clone(),
            real: true,
        });
    }

    println!(
        "{RUNS} runs each, medians; ours = this binary --child (process_file, 1600 px, q80, no size cap); \
         vips = VIPS_CONCURRENCY=1 vipsthumbnail -s 1600 -o out.jpg[Q=80,strip]"
    );
    println!(
        "{:<34} {:>10} {:>8} {:>8} {:>6} {:>8} {:>8} {:>8} {:>8} {:>8} {:>7} {:>7} {:>9}",
        "image",
        "size",
        "ours ms",
        "vips ms",
        "ratio",
        "in-proc",
        "ours MiB",
        "vips MiB",
        "ours KB",
        "vips KB",
        "SSIM o",
        "SSIM v",
        "app KB/q"
    );
    let mut rows = Vec::new();
    for case in &cases {
        match bench_case(case, &me, vips.as_deref(), &scratch) {
            Ok(row) => {
                print_row(&row);
                rows.push(row);
            }
            Err(e) => println!("{:<34} skipped: {e}", case.name),
        }
    }
    summary(&rows);
    let phone = cases.iter().find(|c| c.name.starts_with("phone-"));
    let camera = cases
        .iter()
        .find(|c| c.name == "Wood")
        .or(cases.iter().find(|c| c.real));
    for case in [phone, camera, cases.first()].into_iter().flatten().take(2) {
        quality_sweep(case)?;
    }
    Ok(())
}

fn stem(p: &Path) -> String {
    p.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn bench_case(case: &Case, me: &Path, vips: Option<&Path>, scratch: &Path) -> Result<Row, String> {
    let input = std::fs::read(&case.path).map_err(|e| e.to_string())?;
    let ours_out = scratch.join("ours.jpg");
    let vips_out = scratch.join("vips.jpg");
    let (mut ours_t, mut vips_t, mut ours_rss, mut vips_rss) = (vec![], vec![], 0, 0);
    let in_str = case.path.to_str().ok_or("non-UTF-8 path")?;
    let ours_str = ours_out.to_str().ok_or("non-UTF-8 path")?;
    let vips_spec = format!("{}[Q=80,strip]", vips_out.to_str().ok_or("non-UTF-8 path")?);
    for _ in 0..RUNS {
        // Alternate the two so that load from other processes hits both alike.
        let r = run(me, &["--child", in_str, ours_str], &[], scratch)?;
        ours_t.push(r.wall);
        ours_rss = ours_rss.max(r.max_rss_kib);
        if let Some(v) = vips {
            let r = run(
                v,
                &[in_str, "-s", "1600", "-o", &vips_spec],
                &[("VIPS_CONCURRENCY", "1")],
                scratch,
            )?;
            vips_t.push(r.wall);
            vips_rss = vips_rss.max(r.max_rss_kib);
        }
    }
    let mut inproc = Vec::new();
    for _ in 0..RUNS {
        let start = Instant::now();
        process(&input, &like_vips(), &|_| {}).map_err(|e| e.code().to_string())?;
        inproc.push(start.elapsed());
    }
    let app = process(&input, &Settings::default(), &|_| {}).map_err(|e| e.code().to_string())?;
    let ours_jpeg = std::fs::read(&ours_out).map_err(|e| e.to_string())?;
    let ours_img = decode(&ours_jpeg)?;
    let reference = reference(&input, ours_img.width, ours_img.height)?;
    let ssim_ours = ssim::ssim(&reference, &ours_img);
    let (vips_kb, ssim_vips) = if vips.is_some() {
        let vj = std::fs::read(&vips_out).map_err(|e| e.to_string())?;
        let vi = decode(&vj)?;
        let r = if (vi.width, vi.height) == (ours_img.width, ours_img.height) {
            reference
        } else {
            self::reference(&input, vi.width, vi.height)?
        };
        (Some(vj.len() as f64 / 1000.0), Some(ssim::ssim(&r, &vi)))
    } else {
        (None, None)
    };
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    Ok(Row {
        name: case.name.clone(),
        dims: dims(&input).unwrap_or_default(),
        ours_ms: ms(median(ours_t)),
        vips_ms: vips.map(|_| ms(median(vips_t.clone()))),
        inproc_ms: ms(median(inproc)),
        ours_rss,
        vips_rss: vips.map(|_| vips_rss),
        ours_kb: ours_jpeg.len() as f64 / 1000.0,
        vips_kb,
        ssim_ours,
        ssim_vips,
        app_kb: app.jpeg.len() as f64 / 1000.0,
        app_q: app.quality,
        real: case.real,
    })
}

fn dims(jpeg: &[u8]) -> Option<String> {
    let mut d = jpeg_decoder::Decoder::new(jpeg);
    d.read_info().ok()?;
    let i = d.info()?;
    Some(format!("{}x{}", i.width, i.height))
}

fn decode(jpeg: &[u8]) -> Result<Rgb, String> {
    let mut d = jpeg_decoder::Decoder::new(jpeg);
    let data = d.decode().map_err(|e| e.to_string())?;
    let info = d.info().ok_or("no info")?;
    let data = match info.pixel_format {
        jpeg_decoder::PixelFormat::RGB24 => data,
        jpeg_decoder::PixelFormat::L8 => data.iter().flat_map(|&l| [l, l, l]).collect(),
        other => return Err(format!("{other:?} JPEG")),
    };
    Ok(Rgb {
        width: info.width.into(),
        height: info.height.into(),
        data,
    })
}

/// Independent reference: full-size decode, EXIF orientation, `image`'s own Lanczos3.
fn reference(input: &[u8], width: u32, height: u32) -> Result<Rgb, String> {
    let full = orient::apply(decode(input)?, Metadata::read(input).orientation);
    let buf = image::RgbImage::from_raw(full.width, full.height, full.data).ok_or("bad buffer")?;
    let small = image::imageops::resize(&buf, width, height, image::imageops::FilterType::Lanczos3);
    Ok(Rgb {
        width,
        height,
        data: small.into_raw(),
    })
}

fn print_row(r: &Row) {
    let opt = |v: Option<f64>, p: usize| v.map_or("-".into(), |v| format!("{v:.p$}"));
    let ratio = r.vips_ms.map(|v| r.ours_ms / v);
    println!(
        "{:<34} {:>10} {:>8.1} {:>8} {:>6} {:>8.1} {:>8.1} {:>8} {:>8.1} {:>8} {:>7.4} {:>7} {:>9}",
        r.name.chars().take(34).collect::<String>(),
        r.dims,
        r.ours_ms,
        opt(r.vips_ms, 1),
        opt(ratio, 2),
        r.inproc_ms,
        r.ours_rss as f64 / 1024.0,
        opt(r.vips_rss.map(|v| v as f64 / 1024.0), 1),
        r.ours_kb,
        opt(r.vips_kb, 1),
        r.ssim_ours,
        opt(r.ssim_vips, 4),
        format!("{:.0}/{}", r.app_kb, r.app_q),
    );
}

fn summary(rows: &[Row]) {
    if rows.is_empty() {
        return;
    }
    let ratios: Vec<f64> = rows
        .iter()
        .filter_map(|r| r.vips_ms.map(|v| r.ours_ms / v))
        .collect();
    let twelve: Vec<&Row> = rows.iter().filter(|r| r.dims == "4000x3000").collect();
    let peak = rows.iter().map(|r| r.ours_rss).max().unwrap_or(0) as f64 / 1024.0;
    let peak12 = twelve.iter().map(|r| r.ours_rss).max().unwrap_or(0) as f64 / 1024.0;
    let sizes: Vec<f64> = rows.iter().map(|r| r.ours_kb).collect();
    let vsizes: Vec<f64> = rows.iter().filter_map(|r| r.vips_kb).collect();
    let r12: Vec<f64> = twelve
        .iter()
        .filter_map(|r| r.vips_ms.map(|v| r.ours_ms / v))
        .collect();
    println!();
    println!("summary over {} images:", rows.len());
    println!(
        "  time ours/vips (process): median {:.2}x, max {:.2}x; 12 MP baseline only: median {:.2}x   [goal <= 1.0x]",
        quantile(ratios.clone(), 0.5),
        quantile(ratios, 1.0),
        quantile(r12, 0.5)
    );
    println!(
        "  peak RSS ours: {peak:.1} MiB over all, {peak12:.1} MiB on 12 MP baseline   [goal <= 64 MiB]"
    );
    println!(
        "  output size ours: p50 {:.0} KB, p95 {:.0} KB; vips p95 {:.0} KB   [goal p95 <= 300 KB]",
        quantile(sizes.clone(), 0.5),
        quantile(sizes, 0.95),
        quantile(vsizes, 0.95)
    );
    let app: Vec<f64> = rows.iter().map(|r| r.app_kb).collect();
    let app_real: Vec<f64> = rows.iter().filter(|r| r.real).map(|r| r.app_kb).collect();
    println!(
        "  output size with app defaults (300 KB cap, q floor 60): p95 {:.0} KB over all, p95 {:.0} KB over real photographs",
        quantile(app, 0.95),
        quantile(app_real, 0.95)
    );
    println!(
        "  SSIM vs reference: ours mean {:.4}, vips mean {:.4}",
        rows.iter().map(|r| r.ssim_ours).sum::<f64>() / rows.len() as f64,
        rows.iter().filter_map(|r| r.ssim_vips).sum::<f64>() / rows.len().max(1) as f64
    );
}

/// Size and fidelity of the evidence JPEG (photo and caption strip) by quality.
fn quality_sweep(case: &Case) -> Result<(), String> {
    let input = std::fs::read(&case.path).map_err(|e| e.to_string())?;
    let caption = Caption {
        grid_name: "东城区和平里街道第三网格".into(),
        place: "和平里七区12号楼东侧 消防通道堵塞".into(),
        fallback_time: chrono::NaiveDate::from_ymd_opt(2024, 6, 1)
            .and_then(|d| d.and_hms_opt(9, 30, 0)),
    };
    let at = |quality: u8, caption: Option<Caption>| {
        let settings = Settings {
            quality,
            caption,
            ..like_vips()
        };
        process(&input, &settings, &|_| {}).map_err(|e| e.code().to_string())
    };
    let best = at(100, Some(caption.clone()))?;
    let best_img = decode(&best.jpeg)?;
    let photo_h = at(100, None)?.height;
    let split = |img: &Rgb| -> (Rgb, Rgb) {
        let cut = (photo_h.min(img.height) * img.width * 3) as usize;
        (
            Rgb {
                width: img.width,
                height: photo_h.min(img.height),
                data: img.data[..cut].to_vec(),
            },
            Rgb {
                width: img.width,
                height: img.height - photo_h.min(img.height),
                data: img.data[cut..].to_vec(),
            },
        )
    };
    let (_, best_strip) = split(&best_img);
    let reference = reference(&input, best.width, photo_h)?;
    println!();
    println!(
        "quality sweep on {} (with caption): SSIM photo vs reference, caption strip vs q100",
        case.name
    );
    println!(
        "{:>4} {:>9} {:>11} {:>11}",
        "q", "KB", "SSIM photo", "SSIM strip"
    );
    for q in [60u8, 70, 75, 80, 85, 90, 95] {
        let ev = at(q, Some(caption.clone()))?;
        let (photo, strip) = split(&decode(&ev.jpeg)?);
        println!(
            "{:>4} {:>9.1} {:>11.4} {:>11.4}",
            q,
            ev.jpeg.len() as f64 / 1000.0,
            ssim::ssim(&reference, &photo),
            ssim::ssim(&best_strip, &strip)
        );
    }
    Ok(())
}
