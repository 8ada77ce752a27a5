//! 居民: a person in a household.

use std::collections::BTreeSet;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::codes::code_enum;
use super::fields::{FieldReader, Fields, FieldsBuilder};
use super::{IdNumber, Phone, ResidentId, Sex, Tag};
use crate::error::{CoreError, ErrorCode, FieldError};

/// Longest name accepted (characters).
pub const MAX_NAME_CHARS: usize = 40;
/// Longest notes accepted (characters).
pub const MAX_NOTES_CHARS: usize = 2000;

code_enum! {
    /// 与户主关系.
    pub enum Relation {
        /// 户主.
        Head = "head",
        /// 配偶.
        Spouse = "spouse",
        /// 子女.
        Child = "child",
        /// 儿媳/女婿.
        ChildInLaw = "child_in_law",
        /// 父母.
        Parent = "parent",
        /// (外)祖父母.
        Grandparent = "grandparent",
        /// (外)孙子女.
        Grandchild = "grandchild",
        /// 兄弟姐妹.
        Sibling = "sibling",
        /// 租户.
        Tenant = "tenant",
        /// 其他.
        Other = "other",
    }
}

code_enum! {
    /// 户籍 / 常住 / 流动.
    pub enum ResidenceStatus {
        /// 户籍人口: registered here.
        Registered = "registered",
        /// 常住(非户籍): lives here, registered elsewhere.
        LongTerm = "long_term",
        /// 流动人口.
        Floating = "floating",
    }
}

impl Relation {
    /// The relation a ledger (台账) names in Chinese: `户主`, `妻`, `长子`, `孙女`, `租户`.
    /// `None` for a word this app does not know.
    pub fn from_label(label: &str) -> Option<Relation> {
        let l: String = label.chars().filter(|c| !c.is_whitespace()).collect();
        let l = l.as_str();
        Some(match l {
            "户主" | "本人" | "本人或户主" => Relation::Head,
            "配偶" | "妻" | "妻子" | "夫" | "丈夫" => Relation::Spouse,
            "儿媳" | "女婿" | "媳妇" => Relation::ChildInLaw,
            "父母" | "父亲" | "母亲" | "父" | "母" | "公公" | "婆婆" | "岳父" | "岳母" => {
                Relation::Parent
            }
            "租户" | "租客" | "承租人" => Relation::Tenant,
            "其他" | "其它" | "亲属" | "保姆" => Relation::Other,
            _ if l.contains("孙") => Relation::Grandchild,
            _ if l.contains("祖") => Relation::Grandparent,
            _ if ["兄", "弟", "姐", "妹"].iter().any(|w| l.contains(w)) => Relation::Sibling,
            _ if ["子", "女"].iter().any(|w| l.contains(w)) => Relation::Child,
            _ => return None,
        })
    }
}

impl ResidenceStatus {
    /// The status a ledger names in Chinese (人户状态 / 户籍类别): `户籍人口`, `人户一致`,
    /// `常住`, `人在户不在`, `流动人口`, `外来`. `None` for a word this app does not know.
    pub fn from_label(label: &str) -> Option<ResidenceStatus> {
        let l: String = label.chars().filter(|c| !c.is_whitespace()).collect();
        Some(match l.as_str() {
            "户籍" | "户籍人口" | "人户一致" | "本地户籍" | "户在人在" => {
                ResidenceStatus::Registered
            }
            "常住" | "常住人口" | "人在户不在" | "非户籍常住" | "寄住" => {
                ResidenceStatus::LongTerm
            }
            "流动" | "流动人口" | "外来" | "外来人口" | "暂住" => {
                ResidenceStatus::Floating
            }
            _ => return None,
        })
    }
}

/// A resident as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resident {
    /// Stable id.
    pub id: ResidentId,
    /// 姓名.
    pub name: String,
    /// 身份证号, when given.
    pub id_number: Option<IdNumber>,
    /// Phone, when given.
    pub phone: Option<Phone>,
    /// Relation to the head of household.
    pub relation: Relation,
    /// Residence status.
    pub status: ResidenceStatus,
    /// 重点人群 tags.
    pub tags: BTreeSet<Tag>,
    /// Free notes.
    pub notes: String,
    /// Moved out (kept for history; hidden from lists).
    pub moved_out: bool,
}

/// What a form submits for a resident: raw strings, validated by core.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ResidentInput {
    /// 姓名.
    pub name: String,
    /// 身份证号 (may be empty).
    pub id_number: String,
    /// Phone (may be empty).
    pub phone: String,
    /// Relation code.
    pub relation: Option<Relation>,
    /// Residence status code.
    pub status: Option<ResidenceStatus>,
    /// Tags.
    pub tags: Vec<Tag>,
    /// Notes.
    pub notes: String,
}

impl ResidentInput {
    /// Every problem with the input, for showing beside each field as the user types.
    pub fn problems(&self, today: NaiveDate) -> Vec<FieldError> {
        match self.validate(ResidentId::new(), today) {
            Ok(_) => vec![],
            Err(errs) => errs,
        }
    }

    /// Validates into a [`Resident`] with the given id, or every field error.
    pub fn validate(&self, id: ResidentId, today: NaiveDate) -> Result<Resident, Vec<FieldError>> {
        let mut errs = vec![];
        let name = self.name.trim().to_owned();
        if name.is_empty() {
            errs.push(FieldError::required("name"));
        } else if name.chars().count() > MAX_NAME_CHARS {
            errs.push(FieldError::new(
                "name",
                ErrorCode::TooLong,
                format!("at most {MAX_NAME_CHARS} characters"),
            ));
        }
        let id_number = if self.id_number.trim().is_empty() {
            None
        } else {
            IdNumber::parse(&self.id_number, today)
                .map_err(|e| errs.push(e))
                .ok()
        };
        let phone = if self.phone.trim().is_empty() {
            None
        } else {
            Phone::parse(&self.phone).map_err(|e| errs.push(e)).ok()
        };
        if self.relation.is_none() {
            errs.push(FieldError::required("relation"));
        }
        if self.status.is_none() {
            errs.push(FieldError::required("status"));
        }
        if self.notes.chars().count() > MAX_NOTES_CHARS {
            errs.push(FieldError::new(
                "notes",
                ErrorCode::TooLong,
                format!("at most {MAX_NOTES_CHARS} characters"),
            ));
        }
        match (self.relation, self.status) {
            (Some(relation), Some(status)) if errs.is_empty() => Ok(Resident {
                id,
                name,
                id_number,
                phone,
                relation,
                status,
                tags: self.tags.iter().copied().collect(),
                notes: self.notes.clone(),
                moved_out: false,
            }),
            _ => Err(errs),
        }
    }
}

impl Resident {
    /// The form's values for editing this resident: numbers as stored (unmasked).
    pub fn to_input(&self) -> ResidentInput {
        ResidentInput {
            name: self.name.clone(),
            id_number: self
                .id_number
                .as_ref()
                .map(|n| n.as_str().to_owned())
                .unwrap_or_default(),
            phone: self
                .phone
                .as_ref()
                .map(|p| p.as_str().to_owned())
                .unwrap_or_default(),
            relation: Some(self.relation),
            status: Some(self.status),
            tags: self.tags.iter().copied().collect(),
            notes: self.notes.clone(),
        }
    }

    /// Birth date from the ID number, when known.
    pub fn birth_date(&self) -> Option<NaiveDate> {
        self.id_number.as_ref().map(IdNumber::birth_date)
    }

    /// Sex from the ID number, when known.
    pub fn sex(&self) -> Option<Sex> {
        self.id_number.as_ref().map(IdNumber::sex)
    }

    pub(crate) fn to_fields(&self) -> Fields {
        FieldsBuilder::default()
            .str("id", self.id.to_string())
            .str("name", &self.name)
            .opt_str("id_number", self.id_number.as_ref().map(IdNumber::as_str))
            .opt_str("phone", self.phone.as_ref().map(Phone::as_str))
            .str("relation", self.relation.code())
            .str("status", self.status.code())
            .set("tags", self.tags.iter().map(|t| t.code()))
            .text("notes", &self.notes)
            .bool("moved_out", self.moved_out)
            .build()
    }

    pub(crate) fn from_fields(f: &Fields) -> Result<Self, CoreError> {
        let r = FieldReader::new("resident", f);
        let id_number = r
            .opt_str("id_number")?
            .map(IdNumber::try_from)
            .transpose()
            .map_err(|e| CoreError::Corrupt(e.to_string()))?;
        let phone = r
            .opt_str("phone")?
            .map(Phone::try_from)
            .transpose()
            .map_err(|e| CoreError::Corrupt(e.to_string()))?;
        Ok(Self {
            id: r.parsed("id")?,
            name: r.str("name")?,
            id_number,
            phone,
            relation: r.code("relation", Relation::from_code)?,
            status: r.code("status", ResidenceStatus::from_code)?,
            // Unknown tags from a newer app version are skipped, not fatal.
            tags: r
                .set("tags")?
                .iter()
                .filter_map(|c| Tag::from_code(c))
                .collect(),
            notes: r.text("notes")?,
            moved_out: r.bool("moved_out")?,
        })
    }
}

#[cfg(test)]
mod label_tests {
    use super::*;

    #[test]
    fn ledger_words_name_relations_and_statuses() {
        assert_eq!(Relation::from_label("户主"), Some(Relation::Head));
        assert_eq!(Relation::from_label("妻"), Some(Relation::Spouse));
        assert_eq!(Relation::from_label("长子"), Some(Relation::Child));
        assert_eq!(Relation::from_label("孙女"), Some(Relation::Grandchild));
        assert_eq!(Relation::from_label("儿媳"), Some(Relation::ChildInLaw));
        assert_eq!(Relation::from_label("邻居"), None);
        assert_eq!(
            ResidenceStatus::from_label("人户一致"),
            Some(ResidenceStatus::Registered)
        );
        assert_eq!(
            ResidenceStatus::from_label("流动人口"),
            Some(ResidenceStatus::Floating)
        );
        assert_eq!(ResidenceStatus::from_label("不详"), None);
    }
}
