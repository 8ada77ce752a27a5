// Typed wrappers of the Tauri commands and events of `wangge-app` (src-tauri/src/commands).
// One function per command; argument names are the Rust ones in camelCase, as Tauri
// expects. Types come from `../bindings` (generated from Rust by
// `cargo test -p wangge-app export_bindings`). A rejected promise carries an `AppError`
// `{ code, message, fields? }`.
import { invoke } from '@tauri-apps/api/core';
import { listen, type UnlistenFn } from '@tauri-apps/api/event';
import type {
  Action,
  CampaignDraft,
  CampaignRow,
  CampaignView,
  RosterItem,
  Unit,
  DirectoryPerson,
  NoticeDetail,
  NoticeDraft,
  NoticeRow,
  ExportedFile,
  StatsView,
  AppInfo,
  EventDetail,
  Task,
  CheckInput,
  ChecksRecorded,
  CheckRow,
  DaySummary,
  FieldError,
  FieldValue,
  HouseholdId,
  HouseholdInput,
  HouseholdSummary,
  HouseholdView,
  JournalEntry,
  PastedReadings,
  PhotoProgress,
  PhotoRef,
  ReportId,
  ReportInput,
  ReportRow,
  ReportStatus,
  ReportView,
  ResidentHit,
  ResidentId,
  ResidentInput,
  Slot,
  SyncView,
  TemperatureReading,
  Visit,
  VisitId,
  VisitInput,
  Tick,
  PresenceView,
} from '../bindings';

/** A local day, `YYYY-MM-DD`. */
export type Day = string;

/** Event names pushed by the app. */
export const SYNC_STATUS_EVENT = 'sync://status';
export const PHOTO_PROGRESS_EVENT = 'photo://progress';

// Set-up and home
export const appInfo = () => invoke<AppInfo>('app_info');
export const enroll = (relayUrl: string, code: string) =>
  invoke<AppInfo>('enroll', { relayUrl, code });
/** Enrolls with an enrollment link (`wangge://enroll?…`, as the relay's QR code holds it). */
export const enrollLink = (link: string) => invoke<AppInfo>('enroll_link', { link });
export const startDemo = () => invoke<AppInfo>('start_demo');
export const daySummary = (day?: Day | null) =>
  invoke<DaySummary>('day_summary', { day: day ?? null });

// Households
export const listHouseholds = () => invoke<HouseholdSummary[]>('list_households');
export const searchResidents = (query: string) =>
  invoke<ResidentHit[]>('search_residents', { query });
export const getHousehold = (id: HouseholdId) => invoke<HouseholdView>('get_household', { id });
export const createHousehold = (input: HouseholdInput) =>
  invoke<HouseholdId>('create_household', { input });
export const updateHousehold = (id: HouseholdId, input: HouseholdInput) =>
  invoke<null>('update_household', { id, input });
export const validateHousehold = (input: HouseholdInput) =>
  invoke<FieldError[]>('validate_household', { input });

// Residents
export const addResident = (household: HouseholdId, input: ResidentInput) =>
  invoke<ResidentId>('add_resident', { household, input });
export const updateResident = (id: ResidentId, input: ResidentInput) =>
  invoke<null>('update_resident', { id, input });
export const residentInput = (id: ResidentId) => invoke<ResidentInput>('resident_input', { id });
export const validateResident = (input: ResidentInput) =>
  invoke<FieldError[]>('validate_resident', { input });
export const setMovedOut = (resident: ResidentId, movedOut: boolean) =>
  invoke<null>('set_moved_out', { resident, movedOut });
export const resolveConflict = (resident: ResidentId, field: string, value: FieldValue) =>
  invoke<null>('resolve_conflict', { resident, field, value });

// Temperature checks
export const householdChecks = (household: HouseholdId, day?: Day | null) =>
  invoke<CheckRow[]>('household_checks', { household, day: day ?? null });
export const validateTemperature = (text: string) =>
  invoke<TemperatureReading>('validate_temperature', { text });
/** Saves every valid row; `refused` says, per row, what core refused and why. */
export const recordChecks = (slot: Slot, checks: CheckInput[]) =>
  invoke<ChecksRecorded>('record_checks', { slot, checks });
/** Cuts pasted text (张三 36.5，李四 36.8 …) into pieces and matches each to a resident; saves nothing. */
export const matchPastedReadings = (text: string) =>
  invoke<PastedReadings>('match_pasted_readings', { text });
/**
 * The household to check next in address order: after `household` in its grid, or (null)
 * the first of the member's grids; with readings still due in `slot`; null when all are done.
 */
export const nextHouseholdDue = (household: HouseholdId | null, slot: Slot) =>
  invoke<HouseholdId | null>('next_household_due', { household, slot });
export const feverList = (day?: Day | null) =>
  invoke<CheckRow[]>('fever_list', { day: day ?? null });

// Visits
export const recordVisit = (input: VisitInput) => invoke<VisitId>('record_visit', { input });
export const visitsOfDay = (day?: Day | null) =>
  invoke<Visit[]>('visits_of_day', { day: day ?? null });

// Journal
export const draftJournal = (day: Day) => invoke<JournalEntry>('draft_journal', { day });
export const journalEntry = (day: Day) => invoke<JournalEntry | null>('journal_entry', { day });
/** Saves the day's text; it comes back as `JournalEntry.notes`. */
export const saveJournal = (day: Day, text: string) =>
  invoke<null>('save_journal', { day, text });
export const journalDays = () => invoke<Day[]>('journal_days');

// Photos and reports
/** Sends the image file's bytes as the raw body; progress arrives on `onPhotoProgress`. */
export const addPhoto = (bytes: Uint8Array | ArrayBuffer) =>
  invoke<PhotoRef>('add_photo', bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes));
/** A stored photo's JPEG bytes (the thumbnail when `thumb`), for a Blob URL. */
export const photo = (hash: string, thumb: boolean) =>
  invoke<ArrayBuffer>('photo', { hash, thumb });
export const fileReport = (input: ReportInput) => invoke<ReportId>('file_report', { input });
export const listReports = (status?: ReportStatus | null) =>
  invoke<ReportRow[]>('list_reports', { status: status ?? null });
export const getReport = (id: ReportId) => invoke<ReportView>('get_report', { id });

// Events (事件流转)
/** The to-do list of this device's party, overdue first. */
export const myTasks = () => invoke<Task[]>('my_tasks');
/** A report's chain of command: state, clock, every step, what this party may do. */
export const eventDetail = (report: ReportId) => invoke<EventDetail>('event_detail', { report });
/** Takes one step; a refused one rejects with `invalid_status` and its `refusal` code. */
export const takeStep = (report: ReportId, action: Action) =>
  invoke<EventDetail>('take_step', { report, action });

// Directory
/** The units under this device's scopes by name, as the relay last sent them. */
export const directory = () => invoke<Unit[]>('directory');

/** The people of the directory (for those who direct work): who notices go to. */
export const directoryPeople = () => invoke<DirectoryPerson[]>('directory_people');

// Notices (通知, 寻人) and their receipts (回执)
/** The notices on this device, newest first, with how this user stands to each. */
export const notices = () => invoke<NoticeRow[]>('notices');
/** The unconfirmed 特急 and reminded notices for this user: the banner to acknowledge. */
export const noticesToAcknowledge = () => invoke<NoticeRow[]>('notices_to_acknowledge');
/** A notice's page; for a recipient, opening it is 已读. */
export const noticeDetail = (id: string) => invoke<NoticeDetail>('notice_detail', { id });
/** 签收, with an optional short reply (empty: none); resolves with the page after it. */
export const confirmNotice = (id: string, reply: string) =>
  invoke<NoticeDetail>('confirm_notice', { id, reply });
/** Sends a notice; resolves with its page. */
export const sendNotice = (draft: NoticeDraft) => invoke<NoticeDetail>('send_notice', { draft });
/** 一键催收: re-notifies who has not confirmed; resolves with the page after it. */
export const remindNotice = (id: string) => invoke<NoticeDetail>('remind_notice', { id });
/** Closes a notice (the person found, the matter over) with the sender's note. */
export const closeNotice = (id: string, note: string) =>
  invoke<NoticeDetail>('close_notice', { id, note });
/** A clue (线索) to a 寻人 alert, with photos already stored by `addPhoto`. */
export const sendClue = (id: string, text: string, place: string, photos: string[]) =>
  invoke<NoticeDetail>('send_clue', { id, text, place, photos });

// Roster campaigns (专项任务)
/** The campaigns on this device, newest first, with the completion of what it holds. */
export const campaigns = () => invoke<CampaignRow[]>('campaigns');
/** Starts a campaign (a community or centre); resolves with its page. */
export const startCampaign = (draft: CampaignDraft) =>
  invoke<CampaignView>('start_campaign', { draft });
/** A campaign's page: completion by grid, by community and in all. */
export const campaignView = (id: string) => invoke<CampaignView>('campaign_view', { id });
/** The roster of `grid` (null: the member's own grids) in address order, with each tick. */
export const campaignRoster = (id: string, grid: string | null) =>
  invoke<RosterItem[]>('campaign_roster', { id, grid });
/**
 * Ticks one person or household off with `answer`; `note` is an exception's reason, and
 * `photos` (stored by `addPhoto`) the photo or drawn signature a delivery needs.
 */
export const tickCampaign = (id: string, subject: string, answer: string, note: string, photos: string[]) =>
  invoke<Tick>('tick_campaign', { id, subject, answer, note, photos });
/** Ends a campaign (its creator); resolves with its page. */
export const closeCampaign = (id: string) => invoke<CampaignView>('close_campaign', { id });
/** The campaign's completion and who is open or excepted as an `.xlsx`; resolves with where. */
export const exportCampaign = (id: string) => invoke<ExportedFile>('export_campaign', { id });
/** The present-and-away tallies (在区人口) of the ledger on this device. */
export const presence = () => invoke<PresenceView>('presence');

// Statistics
/** A period's event figures (local days `from`–`to`, `YYYY-MM-DD`), total, by grid and category. */
export const eventStats = (from: string, to: string) => invoke<StatsView>('event_stats', { from, to });
/** The same as an `.xlsx` file; resolves with where it was written. */
export const exportStats = (from: string, to: string) => invoke<ExportedFile>('export_stats', { from, to });

// Sync
export const syncStatus = () => invoke<SyncView>('sync_status');
export const syncNow = () => invoke<null>('sync_now');

/** Calls `handler` with every sync status change; resolves to the unlisten function. */
export const onSyncStatus = (handler: (view: SyncView) => void): Promise<UnlistenFn> =>
  listen<SyncView>(SYNC_STATUS_EVENT, (e) => handler(e.payload));

/** Calls `handler` with each stage of a photo being processed by `addPhoto`. */
export const onPhotoProgress = (handler: (p: PhotoProgress) => void): Promise<UnlistenFn> =>
  listen<PhotoProgress>(PHOTO_PROGRESS_EVENT, (e) => handler(e.payload));
