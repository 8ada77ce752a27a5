//! What each action's form asks for, and which of it is required: [`form_of`], the one
//! table the machine's payload check ([`crate::machine::check`]) and the app's step forms
//! (exported to the UI as data) both follow.

use serde::Serialize;

use crate::code_enum;
use crate::step::ActionKind;

code_enum! {
    /// What the text of a step is called on its form.
    pub enum TextField {
        /// 说明: what was done or asked.
        Note = "note",
        /// 理由: why (a refusal, a send-back, a delay, going up).
        Reason = "reason",
    }
}

code_enum! {
    /// Whether a step carries photos.
    pub enum PhotoNeed {
        /// May carry some (处置 progress).
        Optional = "optional",
        /// Must carry at least one (上报, 办结: evidence).
        Required = "required",
    }
}

code_enum! {
    /// Whom a step names.
    pub enum TargetField {
        /// A grid, a department or a member (派遣).
        Any = "any",
        /// A member of one's own grid (交办).
        Member = "member",
    }
}

/// The form of one action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ActionForm {
    /// The action.
    pub kind: ActionKind,
    /// Its text, if it has one.
    pub text: Option<TextField>,
    /// Whether the text must not be empty.
    pub text_required: bool,
    /// A time limit (hours or working days).
    pub limit: bool,
    /// A number of days of delay.
    pub delay_days: bool,
    /// Whom it names.
    pub target: Option<TargetField>,
    /// Its photos.
    pub photos: Option<PhotoNeed>,
    /// A supervision level (普通 / 黄牌 / 红牌).
    pub supervision: bool,
    /// A satisfaction rating.
    pub rating: bool,
    /// A conflict to settle and how.
    pub settle: bool,
}

const BLANK: ActionForm = ActionForm {
    kind: ActionKind::File,
    text: None,
    text_required: false,
    limit: false,
    delay_days: false,
    target: None,
    photos: None,
    supervision: false,
    rating: false,
    settle: false,
};

/// The form of `kind`.
pub fn form_of(kind: ActionKind) -> ActionForm {
    use ActionKind as K;
    let f = ActionForm { kind, ..BLANK };
    let note = |required| ActionForm {
        text: Some(TextField::Note),
        text_required: required,
        ..f
    };
    let reason = ActionForm {
        text: Some(TextField::Reason),
        text_required: true,
        ..f
    };
    match kind {
        K::File => ActionForm {
            photos: Some(PhotoNeed::Required),
            ..note(true)
        },
        K::Accept => ActionForm { limit: true, ..f },
        K::Escalate | K::RejectDelay | K::RejectCheck | K::SendBack => reason,
        K::Dispatch => ActionForm {
            target: Some(TargetField::Any),
            limit: true,
            ..note(false)
        },
        K::HandOver => ActionForm {
            target: Some(TargetField::Member),
            ..note(false)
        },
        K::Progress => ActionForm {
            photos: Some(PhotoNeed::Optional),
            ..note(true)
        },
        K::Finish => ActionForm {
            photos: Some(PhotoNeed::Required),
            ..note(true)
        },
        K::RequestDelay => ActionForm {
            delay_days: true,
            ..reason
        },
        K::ApproveDelay => f,
        K::Verify => note(false),
        K::Supervise => ActionForm {
            supervision: true,
            ..note(false)
        },
        K::Rate => ActionForm {
            rating: true,
            ..note(false)
        },
        K::Settle => ActionForm { settle: true, ..f },
    }
}

/// Every action's form, in [`ActionKind::ALL`]'s order.
pub fn all_forms() -> Vec<ActionForm> {
    ActionKind::ALL.iter().map(|k| form_of(*k)).collect()
}
