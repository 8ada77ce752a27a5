//! Notices (通知, 寻人) and receipts (回执): the list with its badge, a notice's page (which
//! marks it read for a recipient), confirming, sending, reminding, closing, clues. Core
//! decides who the user is to each notice and writes only what that allows.

use tauri::State;
use uuid::Uuid;
use wangge_core::store::DirectoryPerson;
use wangge_core::{NoticeDetail, NoticeDraft, NoticeRow};

use crate::error::AppResult;
use crate::state::AppState;

/// The notices on this device, newest first: for this user, sent by them, and (for a
/// community or centre) overdue ones sent under them.
#[tauri::command(async)]
#[tracing::instrument(skip_all)]
pub fn notices(state: State<'_, AppState>) -> AppResult<Vec<NoticeRow>> {
    state.with_store(|s| s.notices())
}

/// The unconfirmed 特急 and reminded notices for this user: the banner to acknowledge.
#[tauri::command(async)]
#[tracing::instrument(skip_all)]
pub fn notices_to_acknowledge(state: State<'_, AppState>) -> AppResult<Vec<NoticeRow>> {
    state.with_store(|s| s.notices_to_acknowledge())
}

/// A notice's page; for a recipient, opening it is 已读.
#[tauri::command(async)]
#[tracing::instrument(skip_all)]
pub fn notice_detail(state: State<'_, AppState>, id: Uuid) -> AppResult<NoticeDetail> {
    state.with_store(|s| s.notice_detail(id))
}

/// 签收, with an optional short reply; returns the page after it.
#[tauri::command(async)]
#[tracing::instrument(skip_all)]
pub fn confirm_notice(
    state: State<'_, AppState>,
    id: Uuid,
    reply: String,
) -> AppResult<NoticeDetail> {
    state.with_store(|s| {
        s.confirm_notice(id, &reply)?;
        s.notice_detail(id)
    })
}

/// Sends a notice; returns its page.
#[tauri::command(async)]
#[tracing::instrument(skip_all)]
pub fn send_notice(state: State<'_, AppState>, draft: NoticeDraft) -> AppResult<NoticeDetail> {
    state.with_store(|s| {
        let id = s.send_notice(&draft)?;
        s.notice_detail(id)
    })
}

/// 一键催收: re-notifies who has not confirmed; returns the page after it.
#[tauri::command(async)]
#[tracing::instrument(skip_all)]
pub fn remind_notice(state: State<'_, AppState>, id: Uuid) -> AppResult<NoticeDetail> {
    state.with_store(|s| {
        s.remind_notice(id)?;
        s.notice_detail(id)
    })
}

/// Closes a notice (the person found); returns the page after it.
#[tauri::command(async)]
#[tracing::instrument(skip_all)]
pub fn close_notice(state: State<'_, AppState>, id: Uuid, note: String) -> AppResult<NoticeDetail> {
    state.with_store(|s| {
        s.close_notice(id, &note)?;
        s.notice_detail(id)
    })
}

/// A clue (线索) to a 寻人 alert, with photos already stored; returns the page after it.
#[tauri::command(async)]
#[tracing::instrument(skip_all)]
pub fn send_clue(
    state: State<'_, AppState>,
    id: Uuid,
    text: String,
    place: String,
    photos: Vec<String>,
) -> AppResult<NoticeDetail> {
    state.with_store(|s| {
        s.send_clue(id, &text, &place, photos)?;
        s.notice_detail(id)
    })
}

/// The people of the directory (for those who direct work): who notices go to.
#[tauri::command(async)]
#[tracing::instrument(skip_all)]
pub fn directory_people(state: State<'_, AppState>) -> AppResult<Vec<DirectoryPerson>> {
    state.with_store(|s| s.directory_people())
}
