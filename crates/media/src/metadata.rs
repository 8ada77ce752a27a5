//! What we read from EXIF: orientation and capture time. Nothing else survives.

use std::io::Cursor;

use chrono::{FixedOffset, NaiveDateTime};
use exif::{In, Tag, Value};

/// When the photo was taken, from EXIF `DateTimeOriginal` (camera-local time).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CaptureTime {
    /// Local wall-clock time of the camera.
    pub local: NaiveDateTime,
    /// UTC offset from EXIF `OffsetTimeOriginal`, when the camera wrote one.
    pub offset: Option<FixedOffset>,
}

/// The EXIF facts the pipeline uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Metadata {
    /// EXIF orientation 1–8 (1 when absent or invalid).
    pub orientation: u8,
    /// Capture time, when present and well-formed.
    pub capture_time: Option<CaptureTime>,
}

impl Metadata {
    /// Reads EXIF from a JPEG, PNG (`eXIf`) or WebP (`EXIF` chunk) container.
    ///
    /// A missing or malformed EXIF block is not an error: the photo is still evidence.
    pub fn read(bytes: &[u8]) -> Metadata {
        let none = Metadata {
            orientation: 1,
            capture_time: None,
        };
        let Ok(exif) = exif::Reader::new().read_from_container(&mut Cursor::new(bytes)) else {
            return none;
        };
        let orientation = exif
            .get_field(Tag::Orientation, In::PRIMARY)
            .and_then(|f| f.value.get_uint(0))
            .and_then(|v| u8::try_from(v).ok())
            .filter(|v| (1..=8).contains(v))
            .unwrap_or(1);
        let ascii = |tag| match exif.get_field(tag, In::PRIMARY).map(|f| &f.value) {
            Some(Value::Ascii(v)) => v.first().map(|s| String::from_utf8_lossy(s).into_owned()),
            _ => None,
        };
        let local = ascii(Tag::DateTimeOriginal)
            .and_then(|s| NaiveDateTime::parse_from_str(s.trim(), "%Y:%m:%d %H:%M:%S").ok());
        let offset = ascii(Tag::OffsetTimeOriginal).and_then(|s| parse_offset(s.trim()));
        Metadata {
            orientation,
            capture_time: local.map(|local| CaptureTime { local, offset }),
        }
    }
}

/// Parses an EXIF offset such as `+08:00`.
fn parse_offset(s: &str) -> Option<FixedOffset> {
    let sign = match s.get(0..1)? {
        "+" => 1,
        "-" => -1,
        _ => return None,
    };
    let hours: i32 = s.get(1..3)?.parse().ok()?;
    let minutes: i32 = s.get(4..6)?.parse().ok()?;
    FixedOffset::east_opt(sign * (hours * 3600 + minutes * 60))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_parse() {
        assert_eq!(parse_offset("+08:00"), FixedOffset::east_opt(8 * 3600));
        assert_eq!(
            parse_offset("-03:30"),
            FixedOffset::east_opt(-(3 * 3600 + 1800))
        );
        assert_eq!(parse_offset("   :  "), None);
    }

    #[test]
    fn garbage_has_no_metadata() {
        let m = Metadata::read(b"\xff\xd8\xff\xe1\x00\x10Exif\0\0garbage!");
        assert_eq!(m.orientation, 1);
        assert_eq!(m.capture_time, None);
    }
}
