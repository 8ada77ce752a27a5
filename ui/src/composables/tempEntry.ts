// Batch temperature entry for one household: one row per resident, one shared keypad.
// A normal reading is three taps (`365` → 36.5 ℃); a complete entry moves to the next
// resident by itself. Whether a reading is valid or a fever is core's answer, never TS's:
// core judges each reading as it is finished (`validate_temperature`), and saving sends
// every typed row once; core saves the valid ones and says why it refused the others.
import { computed, ref, type Ref } from 'vue';
import type { CheckInput, ChecksRecorded, ErrorCode, TemperatureReading } from '@/lib/types';

export type Key = '0' | '1' | '2' | '3' | '4' | '5' | '6' | '7' | '8' | '9' | 'dot' | 'del' | 'next';

export interface TempRow {
  resident: string;
  name: string;
  text: string;
  /** Error code from core, when the reading was refused. */
  error: ErrorCode | null;
  /** Core said this reading is a fever. */
  fever: boolean;
  /** The typed reading in tenths of ℃, as core read it. */
  tenths: number | null;
  /** A reading saved earlier today (tenths), shown until overwritten. */
  savedTenths: number | null;
}


/** Whether a typed value is a full reading: three digits, or two digits, a dot and one. */
export function isComplete(text: string): boolean {
  return /^\d{3}$/.test(text) || /^\d{2}\.\d$/.test(text);
}

/** The text after pressing a key (`next` leaves it unchanged). */
export function applyKey(text: string, key: Key): string {
  if (key === 'del') return text.slice(0, -1);
  if (key === 'next') return text;
  if (key === 'dot') {
    if (text.includes('.') || text.length === 0 || text.length > 2) return text;
    return text + '.';
  }
  if (isComplete(text)) return key; // typing over a finished reading starts a new one
  if (text.includes('.')) return text.endsWith('.') ? text + key : text;
  return text.length < 3 ? text + key : text;
}


export function useTempEntry(
  validate: (text: string) => Promise<TemperatureReading>,
) {
  const rows: Ref<TempRow[]> = ref([]);
  const current = ref(0);
  let generation = 0;

  function load(people: { resident: string; name: string; savedTenths?: number | null; fever?: boolean }[]) {
    generation++;
    rows.value = people.map((p) => ({
      resident: p.resident,
      name: p.name,
      text: '',
      error: null,
      fever: p.fever ?? false,
      tenths: null,
      savedTenths: p.savedTenths ?? null,
    }));
    current.value = 0;
  }

  async function check(i: number): Promise<void> {
    const row = rows.value[i];
    if (!row) return;
    const text = row.text;
    if (text === '') {
      row.error = null;
      row.tenths = null;
      return;
    }
    const gen = generation;
    const answer = await validate(text);
    const now = rows.value[i];
    if (gen !== generation || !now || now.text !== text) return; // typed on meanwhile
    now.error = answer.error ? answer.error.code : null;
    now.tenths = answer.tenths;
    now.fever = answer.fever;
  }

  function advance() {
    if (current.value < rows.value.length - 1) current.value++;
  }

  /** One keypad tap. Returns the validation of the row just left, when it was left. */
  function press(key: Key): Promise<void> | undefined {
    const i = current.value;
    const row = rows.value[i];
    if (!row) return undefined;
    if (key === 'next') {
      advance();
      return check(i);
    }
    const before = row.text;
    row.text = applyKey(row.text, key);
    if (row.text !== before) {
      row.error = null;
      row.fever = false;
      row.tenths = null;
    }
    if (isComplete(row.text) && key !== 'del' && key !== 'dot') {
      advance();
      return check(i);
    }
    return undefined;
  }

  function select(i: number) {
    if (i >= 0 && i < rows.value.length) current.value = i;
  }

  /** The readings typed, in row order (empty rows skipped). */
  const entered = computed<CheckInput[]>(() =>
    rows.value
      .filter((r) => r.text !== '')
      .map((r) => ({ resident: r.resident, temperature: r.text, method: 'in_person' as const })),
  );

  /**
   * Applies core's answer to a save: a saved row shows its reading as done and is cleared
   * for the next entry; a refused row keeps what was typed, with core's reason.
   */
  function applyRecorded(answer: ChecksRecorded) {
    generation++; // a keypad judgement still on its way is about text that is gone
    for (const s of answer.saved) {
      const row = rows.value.find((r) => r.resident === s.resident);
      if (!row) continue;
      Object.assign(row, { text: '', error: null, tenths: null, savedTenths: s.tenths, fever: s.fever });
    }
    for (const r of answer.refused) {
      const row = rows.value.find((x) => x.resident === r.resident);
      if (row && row.error === null) row.error = r.error.code;
    }
    const first = rows.value.findIndex((r) => r.error !== null);
    if (first >= 0) current.value = first;
  }

  return { rows, current, load, press, select, check, entered, applyRecorded };
}
