//! Event categories (事件类别): a two-level list, as data ([`CATEGORIES`] by default,
//! replaceable by the centre's own file of the same shape).

use serde::{Deserialize, Serialize};

/// The built-in category file.
pub const CATEGORIES: &str = include_str!("../data/categories.toml");

/// A category file that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CategoryError {
    /// The TOML could not be read.
    #[error("category file: {0}")]
    Parse(String),
    /// A code listed twice.
    #[error("category code {0:?} is listed twice")]
    Duplicate(String),
    /// A sub-category whose code does not start with its parent's code and a dot.
    #[error("sub-category {sub:?} is not under {top:?}")]
    NotUnder {
        /// The top-level code.
        top: String,
        /// The stray sub-category code.
        sub: String,
    },
}

/// A sub-category.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubCategory {
    /// Stable code, `top.sub`.
    pub code: String,
    /// Chinese name.
    pub name: String,
}

/// A top-level category and its sub-categories.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Category {
    /// Stable code.
    pub code: String,
    /// Chinese name.
    pub name: String,
    /// Its sub-categories.
    #[serde(default)]
    pub sub: Vec<SubCategory>,
}

/// The category list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Categories {
    /// Top-level categories, in display order.
    #[serde(rename = "category")]
    pub list: Vec<Category>,
}

impl Categories {
    /// Reads and checks a category file.
    pub fn from_toml(text: &str) -> Result<Self, CategoryError> {
        let list: Categories =
            toml::from_str(text).map_err(|e| CategoryError::Parse(e.to_string()))?;
        let mut seen = std::collections::HashSet::new();
        for top in &list.list {
            if !seen.insert(top.code.as_str()) {
                return Err(CategoryError::Duplicate(top.code.clone()));
            }
            for sub in &top.sub {
                if !sub.code.starts_with(&format!("{}.", top.code)) {
                    return Err(CategoryError::NotUnder {
                        top: top.code.clone(),
                        sub: sub.code.clone(),
                    });
                }
                if !seen.insert(sub.code.as_str()) {
                    return Err(CategoryError::Duplicate(sub.code.clone()));
                }
            }
        }
        Ok(list)
    }

    /// The built-in list.
    pub fn builtin() -> Result<Self, CategoryError> {
        Categories::from_toml(CATEGORIES)
    }

    /// The Chinese name of a top-level or sub-category code.
    pub fn name(&self, code: &str) -> Option<&str> {
        self.list.iter().find_map(|top| {
            if top.code == code {
                return Some(top.name.as_str());
            }
            top.sub
                .iter()
                .find(|s| s.code == code)
                .map(|s| s.name.as_str())
        })
    }
}

/// The top-level code of a category code: the part before the first dot.
pub fn top_of(code: &str) -> &str {
    code.split_once('.').map_or(code, |(top, _)| top)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_builtin_list_has_the_seven_top_level_categories() {
        let list = Categories::builtin().expect("built-in categories parse");
        let names: Vec<&str> = list.list.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "党建引领",
                "矛盾调处",
                "民生服务",
                "社会治安",
                "城建物业",
                "综合执法",
                "安全隐患"
            ]
        );
        assert!(list.list.iter().all(|c| c.sub.len() >= 3));
        assert_eq!(list.name("safety.fire"), Some("消防隐患"));
    }

    #[test]
    fn a_sub_category_outside_its_parent_is_refused() {
        let text = "[[category]]\ncode = \"a\"\nname = \"甲\"\nsub = [{ code = \"b.x\", name = \"乙\" }]\n";
        assert!(matches!(
            Categories::from_toml(text),
            Err(CategoryError::NotUnder { .. })
        ));
    }

    #[test]
    fn the_top_of_a_code_is_before_the_first_dot() {
        assert_eq!(top_of("safety.fire"), "safety");
        assert_eq!(top_of("safety"), "safety");
    }
}
