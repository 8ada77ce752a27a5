// Shapes crossing the IPC boundary, as the Rust side serialises them.

export type AppState = 'new' | 'demo' | 'enrolled';
export interface AppInfo {
  state: AppState;
  role: string | null;
  grids: string[];
  grid: string | null;
  relayUrl: string | null;
  today: string;
  prefillRelayUrl: string | null;
}

export interface FieldError {
  field: string;
  code: string;
  message: string;
}
export interface AppError {
  code: string;
  message: string;
  fields?: FieldError[];
}

export interface DaySummary {
  date: string;
  checks_done: number;
  checks_due: number;
  fevers: number;
  visits: number;
  reports_filed: number;
  open_reports: number;
}

export interface HouseholdSummary {
  id: string;
  grid: string;
  address: string;
  head_name: string | null;
  tags: string[];
  needs_home_visit: boolean;
  resident_count: number;
  last_visit_at: string | null;
  days_since_visit: number | null;
}

export type MatchKind = 'name' | 'pinyin' | 'phone_tail' | 'id_tail' | 'address';
export interface ResidentHit {
  resident: string;
  household: string;
  grid: string;
  name: string;
  address: string;
  phone_masked: string | null;
  id_masked: string | null;
  tags: string[];
  matched: MatchKind;
}

export type Address =
  | { kind: 'flat'; estate: string; building: string; unit: string; room: string }
  | { kind: 'street'; street: string; number: string };

/** A resident as the household page shows it: ID and phone masked. */
export interface ResidentView {
  id: string;
  name: string;
  id_number: string | null;
  phone: string | null;
  birth_date: string | null;
  relation: string;
  status: string;
  tags: string[];
  notes: string;
  moved_out: boolean;
}

export interface LastVisit {
  at: string;
  purpose: string;
}

export interface HouseholdDetail {
  id: string;
  grid: string;
  address: Address;
  address_line: string;
  head: string | null;
  tags: string[];
  needs_home_visit: boolean;
  notes: string;
  last_visit: LastVisit | null;
  residents: ResidentView[];
}

export type FieldValue =
  | { type: 'null' }
  | { type: 'str'; value: string }
  | { type: 'int'; value: number }
  | { type: 'bool'; value: boolean }
  | { type: 'text'; value: string }
  | { type: 'set'; value: string[] };

export interface ConflictView {
  resident: string | null;
  field: string;
  values: FieldValue[];
}

export interface HouseholdView {
  household: HouseholdDetail;
  conflicts: ConflictView[];
}

export interface HouseholdInput {
  address: Address;
  tags: string[];
  needs_home_visit: boolean;
  notes: string;
}

export interface ResidentInput {
  name: string;
  id_number: string;
  phone: string;
  relation: string | null;
  status: string | null;
  tags: string[];
  notes: string;
}

export type Slot = 'morning' | 'afternoon';
export interface CheckRow {
  resident: string;
  household: string;
  name: string;
  slot: Slot;
  tenths: number;
  fever: boolean;
}
export interface CheckInput {
  resident: string;
  temperature: string;
  method: 'in_person' | 'reported';
}

export interface VisitInput {
  household: string;
  purpose: string;
  notes: string;
  needs: string[];
}
export interface Visit {
  id: string;
  household: string;
  grid: string;
  member: string;
  at: string;
  purpose: string;
  notes: string;
}

export interface JournalEntry {
  id: string;
  date: string;
  member: string;
  items: string[];
  notes: string;
}

export interface PhotoRef {
  hash: string;
  bytes: number;
  width: number;
  height: number;
}
export interface TemperatureReading {
  tenths: number | null;
  fever: boolean;
  error: FieldError | null;
}
export interface PhotoProgress {
  stage: string;
  done: number;
  total: number;
}

export interface Gps {
  lat_e6: number;
  lon_e6: number;
}
export interface ReportInput {
  category: string;
  severity: string;
  place: string;
  gps: Gps | null;
  description: string;
  photos: string[];
}
export interface ReportRow {
  id: string;
  grid: string;
  category: string;
  severity: string;
  status: string;
  created_at: string;
  deadline: string | null;
  overdue: boolean;
  photo_count: number;
}
export interface Report {
  id: string;
  grid: string;
  category: string;
  severity: string;
  place: string;
  gps: Gps | null;
  description: string;
  photos: string[];
  author: string;
  created_at: string;
}
export interface StatusEvent {
  id: string;
  status: string;
  at: string;
  by: string;
  note: string;
  deadline: string | null;
  rating: number | null;
}
export interface ReportView {
  report: Report;
  timeline: StatusEvent[];
  photosMissing: string[];
}

export type SyncState = 'off' | 'offline' | 'syncing' | 'synced' | 'error';
export interface SyncView {
  state: SyncState;
  online: boolean;
  docsPending: number;
  photosPending: number;
  photoBytesPending: number;
  lastSuccess: string | null;
  lastError: string | null;
  progress: number | null;
}
