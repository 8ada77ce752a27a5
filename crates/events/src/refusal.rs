//! [`Refusal`]: why a step may not be taken, as a stable code with a Chinese message.

use crate::code_enum;

code_enum! {
    /// Why a step may not be taken here. The code is what the UI and the records keep;
    /// [`Refusal::message`] is the Chinese text shown to the user.
    pub enum Refusal {
        /// Any step but 上报 on an event not yet filed.
        NotFiled = "not_filed",
        /// 上报 on an event already filed.
        AlreadyFiled = "already_filed",
        /// The event's state does not allow this action.
        WrongState = "wrong_state",
        /// The actor's role may never take this action.
        RoleMayNot = "role_may_not",
        /// The event waits at another level (grid, community, centre).
        WrongLevel = "wrong_level",
        /// The event's grid is outside the actor's unit.
        NotInScope = "not_in_scope",
        /// Only the assignee may take this action.
        NotAssignee = "not_assignee",
        /// Only whoever dispatched or accepted the event may take this action.
        NotDispatcher = "not_dispatcher",
        /// A delay request is already waiting for an answer.
        DelayPending = "delay_pending",
        /// No delay request is waiting for an answer.
        NoPendingDelay = "no_pending_delay",
        /// The assignee got the event by their own acceptance: nothing to send back.
        NothingToSendBack = "nothing_to_send_back",
        /// The centre is the top level: nowhere to escalate to.
        NoHigherLevel = "no_higher_level",
        /// A note is required.
        MissingNote = "missing_note",
        /// A reason is required.
        MissingReason = "missing_reason",
        /// At least one photo is required.
        MissingPhoto = "missing_photo",
        /// A photo reference that is not a SHA-256 in lowercase hex.
        BadPhotoRef = "bad_photo_ref",
        /// A report without a category.
        MissingCategory = "missing_category",
        /// A time limit of zero.
        BadLimit = "bad_limit",
        /// A dispatch or hand-over to nobody (an empty code, oneself).
        BadTarget = "bad_target",
        /// A dispatch to a grid outside the dispatcher's unit.
        TargetOutOfScope = "target_out_of_scope",
        /// A delay of zero or too many working days.
        BadDelayDays = "bad_delay_days",
        /// A settlement naming a step that is not an open conflict.
        NoConflict = "no_conflict",
        /// Two different steps written under one id.
        DuplicateStep = "duplicate_step",
    }
}

impl Refusal {
    /// The Chinese message shown to the user.
    pub fn message(self) -> &'static str {
        match self {
            Refusal::NotFiled => "事件尚未上报",
            Refusal::AlreadyFiled => "事件已经上报",
            Refusal::WrongState => "事件当前状态不允许此操作",
            Refusal::RoleMayNot => "您的角色不能进行此操作",
            Refusal::WrongLevel => "事件不在您这一级处理",
            Refusal::NotInScope => "事件不在您的辖区",
            Refusal::NotAssignee => "您不是此事件的承办人",
            Refusal::NotDispatcher => "只有派遣或受理此事件的人可以操作",
            Refusal::DelayPending => "已有延期申请等待审批",
            Refusal::NoPendingDelay => "没有等待审批的延期申请",
            Refusal::NothingToSendBack => "事件由您自己受理,无可回退",
            Refusal::NoHigherLevel => "已是最高一级,无法再上报",
            Refusal::MissingNote => "请填写说明",
            Refusal::MissingReason => "请填写原因",
            Refusal::MissingPhoto => "请至少附一张照片",
            Refusal::BadPhotoRef => "照片引用无效",
            Refusal::MissingCategory => "请选择事件类别",
            Refusal::BadLimit => "办理时限无效",
            Refusal::BadTarget => "派遣或交办对象无效",
            Refusal::TargetOutOfScope => "派遣对象不在您的辖区",
            Refusal::BadDelayDays => "延期天数应为1至30个工作日",
            Refusal::NoConflict => "没有待处理的冲突",
            Refusal::DuplicateStep => "同一编号下有两条不同的记录",
        }
    }
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code(), self.message())
    }
}

impl std::error::Error for Refusal {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_refusal_has_a_distinct_code_and_a_chinese_message() {
        let mut codes: Vec<&str> = Refusal::ALL.iter().map(|r| r.code()).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), Refusal::ALL.len());
        for r in Refusal::ALL {
            assert_eq!(Refusal::from_code(r.code()), Some(*r));
            assert!(
                r.message()
                    .chars()
                    .any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
            );
        }
    }
}
