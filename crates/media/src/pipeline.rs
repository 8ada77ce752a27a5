//! One photo in, evidence out: the stages in order.

use std::{fs::File, io::Read, path::Path};

use crate::{
    CaptureTime, Format, MediaError, Progress, Settings, Stage, caption, decode, encode, format,
    metadata::Metadata, orient, resize,
};

/// What the pipeline produces for one photo.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evidence {
    /// The evidence JPEG: upright, at most `max_long_side` px, no metadata.
    pub jpeg: Vec<u8>,
    /// Lower-case hex SHA-256 of [`Evidence::jpeg`], the blob's content address.
    pub sha256: String,
    /// Width of the evidence JPEG in pixels.
    pub width: u32,
    /// Height of the evidence JPEG in pixels (caption strip included).
    pub height: u32,
    /// JPEG quality used: [`Settings::quality`], or lower when the size cap applied.
    pub quality: u8,
    /// The list thumbnail JPEG (the photo without the caption strip).
    pub thumbnail: Vec<u8>,
    /// Width of the thumbnail in pixels.
    pub thumb_width: u32,
    /// Height of the thumbnail in pixels.
    pub thumb_height: u32,
    /// EXIF `DateTimeOriginal` of the input, when it had one.
    pub capture_time: Option<CaptureTime>,
    /// The format the input was in (detected from its bytes).
    pub source_format: Format,
}

/// Processes one photo held in memory. CPU-bound and blocking: call it off the UI thread
/// (e.g. in `spawn_blocking`). `progress` is called at the start of every stage.
pub fn process(
    bytes: &[u8],
    settings: &Settings,
    progress: &dyn Fn(Progress),
) -> Result<Evidence, MediaError> {
    settings.validate()?;
    progress(Stage::Inspecting.into());
    check_size(bytes.len() as u64, settings)?;
    let source_format = format::detect(bytes)?;
    let meta = Metadata::read(bytes);
    let opened = decode::open(bytes, source_format, settings)?;

    let swaps = orient::swaps_axes(meta.orientation);
    let (ow, oh) = if swaps {
        (opened.height, opened.width)
    } else {
        (opened.width, opened.height)
    };
    let text = settings.caption.as_ref().map(|c| {
        let time = meta
            .capture_time
            .map(|t| t.local)
            .or(c.fallback_time)
            .map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string());
        caption::CaptionText::new(time, &c.grid_name, &c.place)
    });
    let (pw, ph) = photo_size(ow, oh, settings.max_long_side, text.as_ref());
    let (sw, sh) = if swaps { (ph, pw) } else { (pw, ph) };

    progress(Stage::Decoding.into());
    let decoded = opened.decode(sw, sh)?;

    progress(Stage::Resizing.into());
    let stored = resize::resize(&decoded, sw, sh)?;
    drop(decoded);
    let photo = orient::apply(stored, meta.orientation);

    progress(Stage::Thumbnail.into());
    let (tw, th) = resize::fit(photo.width, photo.height, settings.thumb_long_side);
    let thumb = resize::resize(&photo, tw, th)?;
    let thumbnail = encode::jpeg(&thumb, settings.thumb_quality)?;
    drop(thumb);

    progress(Stage::Captioning.into());
    let photo = match text.as_ref().and_then(|t| t.render(photo.width)) {
        Some(strip) => caption::append(photo, strip),
        None => photo,
    };

    progress(Stage::Encoding.into());
    let (jpeg, quality) = encode::jpeg_within(
        &photo,
        settings.quality,
        settings.min_quality,
        settings.max_output_bytes,
    )?;
    let sha256 = encode::sha256_hex(&jpeg);

    progress(Stage::Done.into());
    Ok(Evidence {
        jpeg,
        sha256,
        width: photo.width,
        height: photo.height,
        quality,
        thumbnail,
        thumb_width: tw,
        thumb_height: th,
        capture_time: meta.capture_time,
        source_format,
    })
}

/// Reads a photo from disk (refusing an oversized file before reading it) and processes it.
pub fn process_file(
    path: &Path,
    settings: &Settings,
    progress: &dyn Fn(Progress),
) -> Result<Evidence, MediaError> {
    let bytes = read_file(path, settings)?;
    process(&bytes, settings, progress)
}

/// Reads at most `max_file_bytes + 1` bytes of `path`.
pub(crate) fn read_file(path: &Path, settings: &Settings) -> Result<Vec<u8>, MediaError> {
    let io = |e: std::io::Error| MediaError::ReadFailed { kind: e.kind() };
    let file = File::open(path).map_err(io)?;
    let len = file.metadata().map_err(io)?.len();
    check_size(len, settings)?;
    let mut bytes = Vec::with_capacity(len as usize);
    file.take(settings.max_file_bytes + 1)
        .read_to_end(&mut bytes)
        .map_err(io)?;
    check_size(bytes.len() as u64, settings)?;
    Ok(bytes)
}

fn check_size(size: u64, settings: &Settings) -> Result<(), MediaError> {
    if size == 0 {
        return Err(MediaError::EmptyFile);
    }
    if size > settings.max_file_bytes {
        return Err(MediaError::FileTooLarge {
            size,
            limit: settings.max_file_bytes,
        });
    }
    Ok(())
}

/// Size of the upright photo so that photo plus caption strip fit in `long_side`.
fn photo_size(
    width: u32,
    height: u32,
    long_side: u32,
    text: Option<&caption::CaptionText>,
) -> (u32, u32) {
    let (pw, ph) = resize::fit(width, height, long_side);
    let Some(text) = text else {
        return (pw, ph);
    };
    let (mut pw, mut ph) = (pw, ph);
    // Shrink the photo until its height plus the strip (which depends on the width
    // through font size and wrapping) fits. The strip scales with the width, so this
    // settles in a step or two; the bound only guards against rounding ping-pong.
    for _ in 0..8 {
        let strip = text.strip_height(pw);
        if ph + strip <= long_side || ph == 1 {
            break;
        }
        ph = long_side.saturating_sub(strip).clamp(1, ph - 1);
        pw = ((u64::from(width) * u64::from(ph) + u64::from(height) / 2) / u64::from(height)).max(1)
            as u32;
    }
    (pw, ph)
}
