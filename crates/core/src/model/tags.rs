//! 重点人群 tags on residents and households.

use super::codes::code_enum;

code_enum! {
    /// A 重点人群 tag. Disability carries its level (一级–四级) as four tags.
    pub enum Tag {
        /// 老年人 (60+).
        Elderly = "elderly",
        /// 独居老人.
        LivingAlone = "living_alone",
        /// 空巢老人.
        EmptyNest = "empty_nest",
        /// 大病.
        SeriousIllness = "serious_illness",
        /// 慢性病.
        ChronicIllness = "chronic_illness",
        /// 残疾 一级.
        Disabled1 = "disabled_1",
        /// 残疾 二级.
        Disabled2 = "disabled_2",
        /// 残疾 三级.
        Disabled3 = "disabled_3",
        /// 残疾 四级.
        Disabled4 = "disabled_4",
        /// 孕产妇.
        Pregnant = "pregnant",
        /// 婴幼儿.
        Infant = "infant",
        /// 低保.
        Dibao = "dibao",
        /// 特困供养.
        Tekun = "tekun",
        /// 退役军人.
        Veteran = "veteran",
        /// 党员.
        PartyMember = "party_member",
        /// 留守儿童.
        LeftBehindChild = "left_behind_child",
        /// 失业.
        Unemployed = "unemployed",
    }
}

impl Tag {
    /// The disability tag for a level 1–4.
    pub fn disabled(level: u8) -> Option<Tag> {
        match level {
            1 => Some(Tag::Disabled1),
            2 => Some(Tag::Disabled2),
            3 => Some(Tag::Disabled3),
            4 => Some(Tag::Disabled4),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serde_speaks_the_stored_codes() {
        for t in Tag::ALL {
            let json = serde_json::to_value(t).unwrap();
            assert_eq!(json, t.code(), "{t:?}");
            assert_eq!(serde_json::from_value::<Tag>(json).unwrap(), *t);
        }
    }
}
