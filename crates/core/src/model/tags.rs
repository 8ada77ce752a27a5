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

    /// The tag a ledger (台账) names in Chinese: `独居老人`, `低保户`, `残疾二级`, `党员`.
    /// Spaces are ignored; `None` for a category this app does not know.
    pub fn from_label(label: &str) -> Option<Tag> {
        let l: String = label.chars().filter(|c| !c.is_whitespace()).collect();
        let l = l.as_str();
        if let Some(rest) = l.strip_prefix("残疾").or_else(|| l.strip_prefix("残疾人")) {
            let rest = rest
                .trim_start_matches('人')
                .trim_matches(['(', ')', '（', '）']);
            let level = match rest.trim_end_matches('级') {
                "一" | "1" => 1,
                "二" | "2" => 2,
                "三" | "3" => 3,
                "四" | "4" => 4,
                _ => return None,
            };
            return Tag::disabled(level);
        }
        Some(match l {
            "老年人" | "老人" | "高龄老人" => Tag::Elderly,
            "独居老人" | "独居" => Tag::LivingAlone,
            "空巢老人" | "空巢" => Tag::EmptyNest,
            "大病" | "大病患者" | "重病" => Tag::SeriousIllness,
            "慢性病" | "慢病" | "慢性病患者" => Tag::ChronicIllness,
            "孕产妇" | "孕妇" => Tag::Pregnant,
            "婴幼儿" => Tag::Infant,
            "低保" | "低保户" | "低保对象" => Tag::Dibao,
            "特困" | "特困供养" | "特困人员" | "特困户" => Tag::Tekun,
            "退役军人" | "退伍军人" => Tag::Veteran,
            "党员" | "中共党员" => Tag::PartyMember,
            "留守儿童" => Tag::LeftBehindChild,
            "失业" | "失业人员" => Tag::Unemployed,
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ledger_labels_name_their_tags_and_unknown_ones_none() {
        assert_eq!(Tag::from_label("独居老人"), Some(Tag::LivingAlone));
        assert_eq!(Tag::from_label(" 低保户 "), Some(Tag::Dibao));
        assert_eq!(Tag::from_label("残疾二级"), Some(Tag::Disabled2));
        assert_eq!(Tag::from_label("残疾人4级"), Some(Tag::Disabled4));
        assert_eq!(Tag::from_label("残疾五级"), None);
        assert_eq!(Tag::from_label("网红"), None);
    }

    #[test]
    fn serde_speaks_the_stored_codes() {
        for t in Tag::ALL {
            let json = serde_json::to_value(t).unwrap();
            assert_eq!(json, t.code(), "{t:?}");
            assert_eq!(serde_json::from_value::<Tag>(json).unwrap(), *t);
        }
    }
}
