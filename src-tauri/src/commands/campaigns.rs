//! Roster campaigns (专项任务): the list, starting one, a grid's roster to tick off, one
//! tick per person or household, completion rolled up, the `.xlsx` of it, and ending it.

use tauri::State;
use uuid::Uuid;
use wangge_core::{CampaignDraft, CampaignRow, CampaignView, PresenceView, RosterItem, Tick};

use crate::commands::stats::{ExportedFile, save_export};
use crate::error::AppResult;
use crate::state::AppState;

/// The campaigns on this device, newest first, with their completion.
#[tauri::command(async)]
#[tracing::instrument(skip_all)]
pub fn campaigns(state: State<'_, AppState>) -> AppResult<Vec<CampaignRow>> {
    state.with_store(|s| s.campaigns())
}

/// Starts a campaign; returns its page.
#[tauri::command(async)]
#[tracing::instrument(skip_all)]
pub fn start_campaign(state: State<'_, AppState>, draft: CampaignDraft) -> AppResult<CampaignView> {
    state.with_store(|s| {
        let id = s.start_campaign(&draft)?;
        s.campaign_view(id)
    })
}

/// A campaign's page: completion by grid and community.
#[tauri::command(async)]
#[tracing::instrument(skip_all)]
pub fn campaign_view(state: State<'_, AppState>, id: Uuid) -> AppResult<CampaignView> {
    state.with_store(|s| s.campaign_view(id))
}

/// The roster of `grid` (the member's own grids when absent), in address order.
#[tauri::command(async)]
#[tracing::instrument(skip_all)]
pub fn campaign_roster(
    state: State<'_, AppState>,
    id: Uuid,
    grid: Option<String>,
) -> AppResult<Vec<RosterItem>> {
    state.with_store(|s| s.campaign_roster(id, grid.as_deref()))
}

/// Ticks one person or household off (one action); returns the tick as stored.
#[tauri::command(async)]
#[tracing::instrument(skip_all)]
pub fn tick_campaign(
    state: State<'_, AppState>,
    id: Uuid,
    subject: Uuid,
    answer: String,
    note: String,
    photos: Vec<String>,
) -> AppResult<Tick> {
    state.with_store(|s| s.tick_campaign(id, subject, &answer, &note, photos))
}

/// Ends a campaign (its creator); returns its page.
#[tauri::command(async)]
#[tracing::instrument(skip_all)]
pub fn close_campaign(state: State<'_, AppState>, id: Uuid) -> AppResult<CampaignView> {
    state.with_store(|s| {
        s.close_campaign(id)?;
        s.campaign_view(id)
    })
}

/// The campaign's completion and its open and exceptional people as an `.xlsx` in the
/// export folder.
#[tauri::command(async)]
#[tracing::instrument(skip_all)]
pub fn export_campaign(state: State<'_, AppState>, id: Uuid) -> AppResult<ExportedFile> {
    let (view, open) = state.with_store(|s| {
        let view = s.campaign_view(id)?;
        let mut open = Vec::new();
        for g in &view.by_grid {
            open.extend(
                s.campaign_roster(id, Some(&g.code))?
                    .into_iter()
                    .filter(|r| !r.done || r.tick.as_ref().is_some_and(|t| !t.note.is_empty())),
            );
        }
        Ok((view, open))
    })?;
    let bytes = wangge_ledger::export::campaign_workbook(&view, &open)?;
    save_export(
        &state,
        &format!("专项任务_{}.xlsx", view.campaign.title),
        &bytes,
    )
}

/// The present-and-away tallies (在区人口) of the ledger on this device, by grid and
/// community: residents by status, and those away by their latest campaign answer.
#[tauri::command(async)]
#[tracing::instrument(skip_all)]
pub fn presence(state: State<'_, AppState>) -> AppResult<PresenceView> {
    state.with_store(|s| s.presence())
}
