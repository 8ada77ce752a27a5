//! Masking for display: personal numbers are shown masked unless a role needs them.

/// `110105********1234`: the six region digits and the last four stay.
pub fn mask_id_number(id: &str) -> String {
    mask_middle(id, 6, 4)
}

/// `138****1234` for mobiles; landlines keep the area code and last four.
pub fn mask_phone(phone: &str) -> String {
    if let Some((area, rest)) = phone.split_once('-') {
        return format!("{area}-{}", mask_middle(rest, 0, 4));
    }
    mask_middle(phone, 3, 4)
}

/// `王*`, `欧阳**`: a name keeps its first character (the surname, mostly).
pub fn mask_name(name: &str) -> String {
    let mut chars = name.trim().chars();
    match chars.next() {
        None => String::new(),
        Some(first) => std::iter::once(first).chain(chars.map(|_| '*')).collect(),
    }
}

fn mask_middle(s: &str, keep_head: usize, keep_tail: usize) -> String {
    let chars: Vec<char> = s.chars().collect();
    if chars.len() <= keep_head + keep_tail {
        return "*".repeat(chars.len());
    }
    let mut out = String::with_capacity(chars.len());
    out.extend(&chars[..keep_head]);
    out.extend(std::iter::repeat_n(
        '*',
        chars.len() - keep_head - keep_tail,
    ));
    out.extend(&chars[chars.len() - keep_tail..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_numbers_keep_region_and_last_four() {
        assert_eq!(mask_id_number("110105194912310021"), "110105********0021");
    }

    #[test]
    fn mobiles_keep_prefix_and_last_four() {
        assert_eq!(mask_phone("13812341234"), "138****1234");
    }

    #[test]
    fn landlines_keep_area_code() {
        assert_eq!(mask_phone("010-62345678"), "010-****5678");
    }

    #[test]
    fn names_keep_their_first_character() {
        assert_eq!(mask_name("王小明"), "王**");
        assert_eq!(mask_name(""), "");
    }

    #[test]
    fn short_values_are_fully_hidden() {
        assert_eq!(mask_phone("1234"), "****");
    }
}
