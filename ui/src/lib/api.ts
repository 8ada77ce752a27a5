// The commands the screens call. Every call goes through Tauri's `invoke`; errors arrive
// as `AppError { code, message, fields? }`.
import { invoke } from '@tauri-apps/api/core';
import type * as T from './types';

export const api = {
  appInfo: () => invoke<T.AppInfo>('app_info'),
  enroll: (relayUrl: string, code: string) => invoke<T.AppInfo>('enroll', { relayUrl, code }),
  startDemo: () => invoke<T.AppInfo>('start_demo'),
  daySummary: (day?: string) => invoke<T.DaySummary>('day_summary', { day: day ?? null }),
  listHouseholds: () => invoke<T.HouseholdSummary[]>('list_households'),
  searchResidents: (query: string) => invoke<T.ResidentHit[]>('search_residents', { query }),
  getHousehold: (id: string) => invoke<T.HouseholdView>('get_household', { id }),
  createHousehold: (input: T.HouseholdInput) => invoke<string>('create_household', { input }),
  updateHousehold: (id: string, input: T.HouseholdInput) =>
    invoke<void>('update_household', { id, input }),
  validateHousehold: (input: T.HouseholdInput) =>
    invoke<T.FieldError[]>('validate_household', { input }),
  addResident: (household: string, input: T.ResidentInput) =>
    invoke<string>('add_resident', { household, input }),
  updateResident: (id: string, input: T.ResidentInput) =>
    invoke<void>('update_resident', { id, input }),
  residentInput: (id: string) => invoke<T.ResidentInput>('resident_input', { id }),
  validateResident: (input: T.ResidentInput) =>
    invoke<T.FieldError[]>('validate_resident', { input }),
  resolveConflict: (resident: string, field: string, value: T.FieldValue) =>
    invoke<void>('resolve_conflict', { resident, field, value }),
  householdChecks: (household: string, day?: string) =>
    invoke<T.CheckRow[]>('household_checks', { household, day: day ?? null }),
  validateTemperature: (text: string) =>
    invoke<T.TemperatureReading>('validate_temperature', { text }),
  recordChecks: (slot: T.Slot, checks: T.CheckInput[]) =>
    invoke<string[]>('record_checks', { slot, checks }),
  feverList: (day?: string) => invoke<T.CheckRow[]>('fever_list', { day: day ?? null }),
  recordVisit: (input: T.VisitInput) => invoke<string>('record_visit', { input }),
  visitsOfDay: (day?: string) => invoke<T.Visit[]>('visits_of_day', { day: day ?? null }),
  draftJournal: (day: string) => invoke<T.JournalEntry>('draft_journal', { day }),
  journalEntry: (day: string) => invoke<T.JournalEntry | null>('journal_entry', { day }),
  saveJournal: (day: string, text: string) => invoke<void>('save_journal', { day, text }),
  journalDays: () => invoke<string[]>('journal_days'),
  addPhoto: (bytes: Uint8Array) => invoke<T.PhotoRef>('add_photo', bytes),
  photo: (hash: string, thumb: boolean) => invoke<ArrayBuffer>('photo', { hash, thumb }),
  fileReport: (input: T.ReportInput) => invoke<string>('file_report', { input }),
  listReports: (status?: string) => invoke<T.ReportRow[]>('list_reports', { status: status ?? null }),
  getReport: (id: string) => invoke<T.ReportView>('get_report', { id }),
  syncStatus: () => invoke<T.SyncView>('sync_status'),
  syncNow: () => invoke<void>('sync_now'),
};
