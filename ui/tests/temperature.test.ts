import { describe, expect, it, beforeEach } from 'vitest';
import { mount, flushPromises } from '@vue/test-utils';
import TemperatureView from '@/views/TemperatureView.vue';
import { applyKey, isComplete, useTempEntry } from '@/composables/tempEntry';
import { toastMessage } from '@/composables/toast';
import { backend, testRouter, settle } from './helpers';
import { HH, R1, R2, R3, householdView, checkRow } from './fixtures';

describe('keypad text rules', () => {
  it('builds keypad forms digit by digit and knows when a reading is complete', () => {
    let t = '';
    for (const k of ['3', '6', '5'] as const) t = applyKey(t, k);
    expect(t).toBe('365');
    expect(isComplete(t)).toBe(true);
    expect(applyKey('36', 'dot')).toBe('36.');
    expect(applyKey('36.', '8')).toBe('36.8');
    expect(isComplete('36.8')).toBe(true);
    expect(isComplete('36.')).toBe(false);
    expect(applyKey('36.', 'dot')).toBe('36.');
    expect(applyKey('', 'dot')).toBe('');
    expect(applyKey('365', 'del')).toBe('36');
    expect(applyKey('', 'del')).toBe('');
    // typing over a finished reading starts a new one
    expect(applyKey('365', '3')).toBe('3');
  });

  it('moves to the next resident after a complete reading and asks core about it', async () => {
    const asked: string[] = [];
    const e = useTempEntry(async (text) => {
      asked.push(text);
      return { tenths: Number(text), fever: false, error: null };
    });
    e.load([
      { resident: R1, name: 'a' },
      { resident: R2, name: 'b' },
    ]);
    e.press('3');
    e.press('6');
    expect(e.current.value).toBe(0);
    await e.press('5');
    expect(e.current.value).toBe(1);
    expect(e.rows.value[0]!.text).toBe('365');
    expect(asked).toEqual(['365']);
    // a refused reading keeps core's code on its row
    const bad = useTempEntry(async () => ({
      tenths: null,
      fever: false,
      error: { field: 'temperature', code: 'temperature_out_of_range', message: 'x' },
    }));
    bad.load([{ resident: R1, name: 'a' }]);
    bad.press('9');
    bad.press('9');
    await bad.press('9');
    expect(bad.rows.value[0]!.error).toBe('temperature_out_of_range');
  });
});

describe('temperature screen', () => {
  let savedChecks: ReturnType<typeof checkRow>[] = [];
  let api: ReturnType<typeof backend>;

  beforeEach(() => {
    savedChecks = [];
    api = backend({
      get_household: ({ id }) => {
        expect(id).toBe(HH);
        return householdView();
      },
      household_checks: () => savedChecks,
      // As core judges keypad text: 38.0 is the one fever in these tests.
      validate_temperature: ({ text }) =>
        text === '999'
          ? { tenths: null, fever: false, error: { field: 'temperature', code: 'temperature_out_of_range', message: 'x' } }
          : { tenths: Number(text.replace('.', '')), fever: text === '380', error: null },
      // As core answers: every valid row saved (38.0 is the fever), each other row refused.
      record_checks: ({ slot, checks }) => {
        const saved: unknown[] = [];
        const refused: unknown[] = [];
        checks.forEach((c: { resident: string; temperature: string }, row: number) => {
          const tenths = Number(c.temperature.replace('.', ''));
          if (c.temperature === '999') {
            refused.push({ row, resident: c.resident, error: { field: 'temperature', code: 'temperature_out_of_range', message: 'x' } });
            return;
          }
          saved.push({ row, resident: c.resident, id: `check-${row}`, tenths, fever: c.resident === R2 });
          savedChecks = savedChecks.filter((x) => x.resident !== c.resident || x.slot !== slot);
          savedChecks.push({ ...checkRow(c.resident, c.resident === R2 ? '李秀英' : 'x', tenths, c.resident === R2), slot });
        });
        return { saved, refused };
      },
    });
  });

  async function mountScreen() {
    const router = testRouter();
    await router.push('/households/' + HH + '/temperature');
    const w = mount(TemperatureView, { props: { id: HH }, global: { plugins: [router] }, attachTo: document.body });
    await flushPromises();
    await settle();
    return w;
  }

  const tap = async (w: Awaited<ReturnType<typeof mountScreen>>, ...keys: string[]) => {
    for (const k of keys) await w.get(`[data-testid="key-${k}"]`).trigger('click');
    await flushPromises();
  };
  const rowsOf = (w: Awaited<ReturnType<typeof mountScreen>>) => w.findAll('[data-testid="temp-row"]');

  it('three taps fill a resident and move on; del and dot edit the current one', async () => {
    const w = await mountScreen();
    expect(rowsOf(w)).toHaveLength(3);
    expect(rowsOf(w)[0]!.attributes('data-current')).toBe('true');
    await tap(w, '3', '6', '5');
    expect((rowsOf(w)[0]!.get('[data-testid="temp-input"]').element as HTMLInputElement).value).toBe('365');
    expect(rowsOf(w)[1]!.attributes('data-current')).toBe('true');
    // second resident: 3 7 → del → 6 . 8 → 36.8, then auto-advance
    await tap(w, '3', '7', 'del');
    expect((rowsOf(w)[1]!.get('[data-testid="temp-input"]').element as HTMLInputElement).value).toBe('3');
    await tap(w, '6', 'dot', '8');
    expect((rowsOf(w)[1]!.get('[data-testid="temp-input"]').element as HTMLInputElement).value).toBe('36.8');
    expect(rowsOf(w)[2]!.attributes('data-current')).toBe('true');
    expect(api.argsOf('validate_temperature').map((a) => a.text)).toEqual(['365', '36.8']);
    w.unmount();
  });

  it('saves the batch in one call and highlights the fever core reports', async () => {
    const w = await mountScreen();
    await w.get('[data-testid="temp-slot-morning"]').trigger('click');
    await tap(w, '3', '6', '5', '3', '8', '0', '3', '6', '6');
    // core's fever decision shows on the row and in the list before saving
    expect(rowsOf(w).map((r) => r.attributes('data-fever'))).toEqual(['false', 'true', 'false']);
    expect(w.findAll('[data-testid="fever-item"]').map((f) => f.text())).toEqual(['李秀英 · 上午 · 38.0℃']);
    await w.get('[data-testid="temp-save"]').trigger('click');
    await flushPromises();
    await settle();

    const recorded = api.argsOf('record_checks');
    expect(recorded).toHaveLength(1);
    expect(recorded[0].slot).toBe('morning');
    expect(recorded[0].checks).toEqual([
      { resident: R1, temperature: '365', method: 'in_person' },
      { resident: R2, temperature: '380', method: 'in_person' },
      { resident: R3, temperature: '366', method: 'in_person' },
    ]);
    const rows = rowsOf(w);
    expect(rows.map((r) => r.attributes('data-fever'))).toEqual(['false', 'true', 'false']);
    expect(rows[1]!.classes()).toContain('temp-row--fever');
    const fevers = w.findAll('[data-testid="fever-item"]');
    expect(fevers).toHaveLength(1);
    expect(fevers[0]!.attributes('data-resident-id')).toBe(R2);
    expect(fevers[0]!.text()).toContain('38.0');
    w.unmount();
  });

  it('sends every typed row once and keeps the one core refused with its reason in Chinese', async () => {
    const w = await mountScreen();
    await w.get('[data-testid="temp-slot-morning"]').trigger('click');
    await tap(w, '3', '6', '5', '9', '9', '9');
    const judged = api.argsOf('validate_temperature').length;
    await w.get('[data-testid="temp-save"]').trigger('click');
    await flushPromises();
    await settle();
    // One call, no second round of validation before it: core answers for every row.
    expect(api.argsOf('validate_temperature')).toHaveLength(judged);
    const recorded = api.argsOf('record_checks');
    expect(recorded).toHaveLength(1);
    expect(recorded[0].checks.map((c: { temperature: string }) => c.temperature)).toEqual(['365', '999']);
    const rows = rowsOf(w);
    // The saved reading is done and cleared for the next entry; the refused one stays.
    expect((rows[0]!.get('[data-testid="temp-input"]').element as HTMLInputElement).value).toBe('36.5');
    expect(rows[0]!.find('[data-testid="temp-error"]').exists()).toBe(false);
    expect((rows[1]!.get('[data-testid="temp-input"]').element as HTMLInputElement).value).toBe('999');
    expect(rows[1]!.get('[data-testid="temp-error"]').text()).toBe('体温应在 34.0–43.0 ℃ 之间');
    expect(rows[1]!.attributes('data-current')).toBe('true');
    // Fixing the row and saving again sends that row alone.
    await tap(w, '3', '6', '6');
    await w.get('[data-testid="temp-save"]').trigger('click');
    await flushPromises();
    expect(api.argsOf('record_checks')[1].checks).toEqual([{ resident: R2, temperature: '366', method: 'in_person' }]);
    expect(rowsOf(w)[1]!.find('[data-testid="temp-error"]').exists()).toBe(false);
    w.unmount();
  });

  it('lists a fever saved earlier today in the other slot, and marks the row only in its own slot', async () => {
    savedChecks = [{ ...checkRow(R3, '王小明', 381, true), slot: 'afternoon' }, checkRow(R1, '王建国', 365, false)];
    const w = await mountScreen();
    await w.get('[data-testid="temp-slot-morning"]').trigger('click');
    await flushPromises();
    const fevers = w.findAll('[data-testid="fever-item"]');
    expect(fevers).toHaveLength(1);
    expect(fevers[0]!.attributes('data-slot')).toBe('afternoon');
    expect(fevers[0]!.text()).toContain('38.1');
    expect(fevers[0]!.text()).toContain('下午');
    expect(rowsOf(w).map((r) => r.attributes('data-fever'))).toEqual(['false', 'false', 'false']);
    await w.get('[data-testid="temp-slot-afternoon"]').trigger('click');
    await flushPromises();
    expect(rowsOf(w).map((r) => r.attributes('data-fever'))).toEqual(['false', 'false', 'true']);
    w.unmount();
  });

  it('save and next saves, then opens the next household due in the same slot; nothing typed skips; the last goes home', async () => {
    const NEXT = '9d1e2f30-4a55-4c1f-9a39-6f4f0f3b9d02';
    let following: string | null = NEXT;
    const next = backend({
      get_household: () => householdView(),
      household_checks: () => [],
      validate_temperature: ({ text }) => ({ tenths: Number(text), fever: false, error: null }),
      record_checks: ({ checks }) => ({
        saved: checks.map((c: { resident: string }, row: number) => ({ row, resident: c.resident, id: `c${row}`, tenths: 365, fever: false })),
        refused: [],
      }),
      next_household_due: () => following,
    });
    const w = await mountScreen();
    await w.get('[data-testid="temp-slot-afternoon"]').trigger('click');
    await tap(w, '3', '6', '5');
    await w.get('[data-testid="temp-save-next"]').trigger('click');
    await flushPromises();
    await settle();
    expect(next.argsOf('record_checks')).toHaveLength(1);
    expect(next.argsOf('next_household_due')).toEqual([{ household: HH, slot: 'afternoon' }]);
    const route = (w.vm as unknown as { $route: { path: string; query: Record<string, string> } }).$route;
    expect(route.path).toBe('/households/' + NEXT + '/temperature');
    expect(route.query.slot).toBe('afternoon');
    w.unmount();

    // Nothing typed (nobody home): no save, straight on; the last one says the grid is done.
    following = null;
    const w2 = await mountScreen();
    await w2.get('[data-testid="temp-save-next"]').trigger('click');
    await flushPromises();
    await settle();
    expect(next.argsOf('record_checks')).toHaveLength(1);
    expect(next.argsOf('next_household_due')).toHaveLength(2);
    expect(toastMessage.value).toBe('本网格本时段测温已全部完成');
    expect((w2.vm as unknown as { $route: { fullPath: string } }).$route.fullPath).toBe('/');
    w2.unmount();
  });

  it('save and next stays when a reading is refused', async () => {
    const w = await mountScreen();
    await w.get('[data-testid="temp-slot-morning"]').trigger('click');
    await tap(w, '9', '9', '9');
    await w.get('[data-testid="temp-save-next"]').trigger('click');
    await flushPromises();
    await settle();
    expect(api.argsOf('record_checks')).toHaveLength(1);
    expect(api.argsOf('next_household_due')).toHaveLength(0);
    expect(rowsOf(w)[0]!.get('[data-testid="temp-error"]').text()).toBe('体温应在 34.0–43.0 ℃ 之间');
    w.unmount();
  });
});
