//! Pinyin keys of a name: 张三 → initials `zs`, full `zhangsan`.

use pinyin::ToPinyin;

/// (initials, full pinyin) of a name: 张三 → ("zs", "zhangsan"). Non-Han letters and
/// digits are kept lower-cased; anything else is dropped.
pub fn pinyin_keys(name: &str) -> (String, String) {
    let mut initials = String::new();
    let mut full = String::new();
    for (c, p) in name.chars().zip(name.to_pinyin()) {
        match p {
            Some(p) => {
                initials.push_str(p.first_letter());
                full.push_str(p.plain());
            }
            None if c.is_ascii_alphanumeric() => {
                let l = c.to_ascii_lowercase();
                initials.push(l);
                full.push(l);
            }
            None => {}
        }
    }
    (initials, full)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pinyin_keys_give_initials_and_full() {
        assert_eq!(
            pinyin_keys("张三"),
            ("zs".to_owned(), "zhangsan".to_owned())
        );
        assert_eq!(pinyin_keys("李 A"), ("la".to_owned(), "lia".to_owned()));
        assert_eq!(pinyin_keys("章三"), pinyin_keys("张三"));
    }
}
