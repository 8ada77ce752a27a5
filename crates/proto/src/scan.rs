//! A bounded pre-scan of CBOR bytes, run before anything is materialised.
//!
//! It walks the item headers only, counting items and nesting and checking that every
//! declared length fits in the input, so a forged header ("a byte string of 2^60 bytes",
//! "an array of a billion items") is refused before a decoder could allocate for it.

use crate::decode::DecodeError;
use crate::limits::Limits;

/// One open container: how many items it still expects (`None`: indefinite, until a break).
type Open = Option<u64>;

/// Checks that `input` is exactly one well-formed CBOR item within `limits`.
pub fn scan(input: &[u8], limits: &Limits) -> Result<(), DecodeError> {
    if input.len() > limits.max_message_bytes {
        return Err(DecodeError::TooLarge {
            len: input.len(),
            max: limits.max_message_bytes,
        });
    }
    let mut pos = 0usize;
    let mut stack: Vec<Open> = vec![Some(1)];
    let mut items = 0usize;
    loop {
        while let Some(Some(0)) = stack.last() {
            stack.pop();
        }
        if stack.is_empty() {
            break;
        }
        let (major, info, arg) = head(input, &mut pos)?;
        if major == 7 && info == 31 {
            // A break closes the innermost indefinite container.
            match stack.last() {
                Some(None) => {
                    stack.pop();
                    continue;
                }
                _ => return Err(DecodeError::Malformed("unexpected break")),
            }
        }
        if let Some(Some(n)) = stack.last_mut() {
            *n -= 1;
        }
        items += 1;
        if items > limits.max_items {
            return Err(DecodeError::TooManyItems(limits.max_items));
        }
        match major {
            0 | 1 => {}
            2 | 3 => match arg {
                Some(len) => {
                    let len = usize::try_from(len).map_err(|_| truncated())?;
                    pos = pos
                        .checked_add(len)
                        .filter(|end| *end <= input.len())
                        .ok_or_else(truncated)?;
                }
                None => stack.push(None),
            },
            4 => stack.push(arg),
            5 => stack.push(match arg {
                Some(n) => Some(n.checked_mul(2).ok_or_else(truncated)?),
                None => None,
            }),
            6 => stack.push(Some(1)),
            _ => {}
        }
        if stack.len() > limits.max_depth + 1 {
            return Err(DecodeError::TooDeep(limits.max_depth));
        }
    }
    if pos != input.len() {
        return Err(DecodeError::Malformed("trailing bytes after the message"));
    }
    Ok(())
}

fn truncated() -> DecodeError {
    DecodeError::Malformed("truncated input")
}

/// Reads one item head: major type, additional info, and argument (`None` when
/// indefinite). Advances `pos` past the head.
fn head(input: &[u8], pos: &mut usize) -> Result<(u8, u8, Option<u64>), DecodeError> {
    let first = *input.get(*pos).ok_or_else(truncated)?;
    *pos += 1;
    let major = first >> 5;
    let info = first & 0x1f;
    let width = match info {
        0..=23 => return Ok((major, info, Some(u64::from(info)))),
        24 => 1,
        25 => 2,
        26 => 4,
        27 => 8,
        31 if matches!(major, 2..=5 | 7) => return Ok((major, info, None)),
        _ => return Err(DecodeError::Malformed("reserved additional info")),
    };
    let bytes = input.get(*pos..*pos + width).ok_or_else(truncated)?;
    *pos += width;
    let mut arg = 0u64;
    for b in bytes {
        arg = (arg << 8) | u64::from(*b);
    }
    // For major type 7 the argument is a float or simple value, not a length.
    Ok((major, info, Some(arg)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(bytes: &[u8]) -> bool {
        scan(bytes, &Limits::default()).is_ok()
    }

    #[test]
    fn accepts_a_small_map() {
        // {"a": 1}
        assert!(ok(&[0xa1, 0x61, b'a', 0x01]));
    }

    #[test]
    fn refuses_a_byte_string_longer_than_the_input() {
        // bytes of declared length 2^32, then nothing
        assert!(!ok(&[0x5b, 0, 0, 0, 1, 0, 0, 0, 0]));
    }

    #[test]
    fn refuses_an_array_declaring_a_billion_items() {
        assert!(!ok(&[0x9a, 0x3b, 0x9a, 0xca, 0x00, 0x01]));
    }

    #[test]
    fn refuses_deep_nesting() {
        let bytes = vec![0x81; 100];
        assert!(matches!(
            scan(&bytes, &Limits::default()),
            Err(DecodeError::TooDeep(_))
        ));
    }

    #[test]
    fn refuses_trailing_bytes_and_stray_breaks() {
        assert!(!ok(&[0x01, 0x01]));
        assert!(!ok(&[0xff]));
    }

    #[test]
    fn accepts_indefinite_containers() {
        // [_ 1, 2] and (_ h'01', h'02')
        assert!(ok(&[0x9f, 0x01, 0x02, 0xff]));
        assert!(ok(&[0x5f, 0x41, 0x01, 0x41, 0x02, 0xff]));
    }
}
