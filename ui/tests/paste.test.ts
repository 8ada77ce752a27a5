import { describe, expect, it, beforeEach } from 'vitest';
import { mount, flushPromises } from '@vue/test-utils';
import PasteReadingsView from '@/views/PasteReadingsView.vue';
import HouseholdsView from '@/views/HouseholdsView.vue';
import { toastMessage } from '@/composables/toast';
import type { MatchKind, PastedReading, PastedReadings, ResidentHit } from '@/lib/types';
import { backend, testRouter, settle } from './helpers';
import { HH, R1, R2, R3 } from './fixtures';

const R4 = '44444444-4444-4444-8444-444444444444';
const HH2 = '8c1d2b63-5b66-4d2a-8b4a-7a5a1a4cae02';

function hit(resident: string, name: string, address: string, matched: MatchKind): ResidentHit {
  return {
    resident,
    household: resident === R4 ? HH2 : HH,
    grid: '110105001001001',
    name,
    address,
    phone_masked: null,
    id_masked: null,
    tags: [],
    matched,
  };
}

const WJG = hit(R1, '王建国', '阳光小区3栋2单元501室', 'address');
const LXY = hit(R2, '李秀英', '阳光小区3栋2单元501室', 'pinyin');
const WXM = hit(R3, '王小明', '阳光小区3栋2单元501室', 'name');
const CXM = hit(R4, '陈小明', '帽儿胡同12号', 'name');

function piece(p: Partial<PastedReading> & { line: number; text: string }): PastedReading {
  return { reading: null, tenths: null, fever: false, resident: null, problem: null, candidates: [], ...p };
}

const PASTED = '3-2-501 王建国 36.5，lxy 38.2\n小明 36.6\n赵六 36.7';

/** As core answers for PASTED: one ready piece, one fever, one ambiguous with two candidates, one not found. */
function answer(): PastedReadings {
  return {
    readings: [
      piece({ line: 1, text: '3-2-501 王建国 36.5', reading: '36.5', tenths: 365, resident: WJG }),
      piece({ line: 1, text: 'lxy 38.2', reading: '38.2', tenths: 382, fever: true, resident: LXY }),
      piece({ line: 2, text: '小明 36.6', reading: '36.6', tenths: 366, problem: 'ambiguous', candidates: [WXM, CXM] }),
      piece({ line: 3, text: '赵六 36.7', reading: '36.7', tenths: 367, problem: 'not_found' }),
    ],
    ready: 2,
    problems: 2,
  };
}

describe('paste readings screen', () => {
  let api: ReturnType<typeof backend>;
  let matchAnswer: () => unknown;

  beforeEach(() => {
    toastMessage.value = null;
    matchAnswer = answer;
    api = backend({
      match_pasted_readings: () => matchAnswer(),
      // As core answers: every row saved.
      record_checks: ({ checks }) => ({
        saved: checks.map((c: { resident: string; temperature: string }, row: number) => ({
          row,
          resident: c.resident,
          id: `check-${row}`,
          tenths: Number(c.temperature.replace('.', '')),
          fever: c.temperature === '38.2',
        })),
        refused: [],
      }),
    });
  });

  async function mountScreen() {
    const router = testRouter();
    await router.push('/temperature/paste');
    const w = mount(PasteReadingsView, { global: { plugins: [router] }, attachTo: document.body });
    await flushPromises();
    return w;
  }
  type W = Awaited<ReturnType<typeof mountScreen>>;

  async function pasteAndMatch(w: W, text = PASTED) {
    await w.get('[data-testid="paste-text"]').setValue(text);
    await w.get('[data-testid="paste-match"]').trigger('click');
    await flushPromises();
    await settle();
  }
  async function save(w: W) {
    await w.get('[data-testid="paste-save"]').trigger('click');
    await flushPromises();
    await settle();
  }
  const rowsOf = (w: W) => w.findAll('[data-testid="paste-row"]');
  const saveButton = (w: W) => w.get('[data-testid="paste-save"]');

  it('shows each piece with its resident, how it matched, the reading, the fever and the reasons', async () => {
    const w = await mountScreen();
    expect(w.get('[data-testid="paste-text"]').attributes('placeholder')).toContain('张三 36.5，李四 36.8');
    expect(saveButton(w).attributes('disabled')).toBeDefined();
    await pasteAndMatch(w);
    expect(api.argsOf('match_pasted_readings')).toEqual([{ text: PASTED }]);

    const rows = rowsOf(w);
    expect(rows).toHaveLength(4);
    expect(rows.map((r) => r.attributes('data-problem'))).toEqual(['none', 'none', 'ambiguous', 'not_found']);
    expect(rows.map((r) => r.attributes('data-resident-id'))).toEqual([R1, R2, undefined, undefined]);

    expect(rows[0]!.text()).toContain('3-2-501 王建国 36.5');
    expect(rows[0]!.get('[data-testid="paste-name"]').text()).toBe('王建国');
    expect(rows[0]!.get('[data-testid="paste-address"]').text()).toBe('阳光小区3栋2单元501室');
    expect(rows[0]!.get('[data-testid="paste-matched"]').text()).toBe('房号');
    expect(rows[0]!.get('[data-testid="paste-reading"]').text()).toBe('36.5℃');
    expect(rows[0]!.find('[data-testid="paste-fever"]').exists()).toBe(false);

    expect(rows[1]!.get('[data-testid="paste-matched"]').text()).toBe('拼音');
    expect(rows[1]!.get('[data-testid="paste-reading"]').text()).toBe('38.2℃');
    expect(rows[1]!.get('[data-testid="paste-fever"]').text()).toBe('发热');
    expect(rows[1]!.classes()).toContain('temp-row--fever');

    expect(rows[2]!.get('[data-testid="paste-problem"]').text()).toBe('有多人符合,请选择');
    expect(rows[2]!.findAll('[data-testid="paste-candidate"]').map((c) => c.text())).toEqual([
      '王小明 · 阳光小区3栋2单元501室',
      '陈小明 · 帽儿胡同12号',
    ]);
    expect(rows[2]!.find('[data-testid="paste-include"]').exists()).toBe(false);
    expect(rows[3]!.get('[data-testid="paste-problem"]').text()).toBe('本网格没有此人');
    expect(rows[3]!.find('[data-testid="paste-candidate"]').exists()).toBe(false);

    // Only the ready pieces have a checkbox, ticked.
    const boxes = w.findAll('[data-testid="paste-include"]');
    expect(boxes).toHaveLength(2);
    expect(boxes.every((b) => (b.element as HTMLInputElement).checked)).toBe(true);
    expect(saveButton(w).text()).toBe('保存 2 人(自行上报)');
    expect(saveButton(w).attributes('disabled')).toBeUndefined();
    expect(api.argsOf('record_checks')).toHaveLength(0);
    w.unmount();
  });

  it('saves the ready pieces in one call as reported, in the chosen slot, and keeps the problem rows', async () => {
    const w = await mountScreen();
    await w.get('[data-testid="paste-slot-afternoon"]').trigger('click');
    await pasteAndMatch(w);
    await save(w);

    const recorded = api.argsOf('record_checks');
    expect(recorded).toHaveLength(1);
    expect(recorded[0].slot).toBe('afternoon');
    expect(recorded[0].checks).toEqual([
      { resident: R1, temperature: '36.5', method: 'reported' },
      { resident: R2, temperature: '38.2', method: 'reported' },
    ]);
    expect(toastMessage.value).toBe('已保存 2 人测温(自行上报)');
    // The saved rows are gone; the ones to fix stay, and so does the text.
    expect(rowsOf(w).map((r) => r.attributes('data-problem'))).toEqual(['ambiguous', 'not_found']);
    expect((w.get('[data-testid="paste-text"]').element as HTMLTextAreaElement).value).toBe(PASTED);
    expect(saveButton(w).text()).toBe('保存 0 人(自行上报)');
    expect(saveButton(w).attributes('disabled')).toBeDefined();
    w.unmount();
  });

  it('adds a picked candidate to the next save, and leaves out an unticked piece', async () => {
    const w = await mountScreen();
    await w.get('[data-testid="paste-slot-morning"]').trigger('click');
    await pasteAndMatch(w);

    // Picking is the member's choice, and can be undone.
    await rowsOf(w)[2]!.findAll('[data-testid="paste-candidate"]')[1]!.trigger('click');
    expect(rowsOf(w)[2]!.attributes('data-problem')).toBe('none');
    expect(rowsOf(w)[2]!.attributes('data-resident-id')).toBe(R4);
    expect(rowsOf(w)[2]!.get('[data-testid="paste-name"]').text()).toBe('陈小明');
    expect(saveButton(w).text()).toBe('保存 3 人(自行上报)');
    await rowsOf(w)[2]!.get('[data-testid="paste-unpick"]').trigger('click');
    expect(rowsOf(w)[2]!.attributes('data-problem')).toBe('ambiguous');
    expect(saveButton(w).text()).toBe('保存 2 人(自行上报)');
    await rowsOf(w)[2]!.findAll('[data-testid="paste-candidate"]')[1]!.trigger('click');

    // Leave 李秀英 out.
    await rowsOf(w)[1]!.get('[data-testid="paste-include"]').setValue(false);
    expect(rowsOf(w)[1]!.attributes('data-saving')).toBe('false');
    expect(saveButton(w).text()).toBe('保存 2 人(自行上报)');
    await save(w);

    const recorded = api.argsOf('record_checks');
    expect(recorded).toHaveLength(1);
    expect(recorded[0].slot).toBe('morning');
    expect(recorded[0].checks).toEqual([
      { resident: R1, temperature: '36.5', method: 'reported' },
      { resident: R4, temperature: '36.6', method: 'reported' },
    ]);
    // The left-out piece stays for later, with the one not found.
    const rows = rowsOf(w);
    expect(rows.map((r) => r.attributes('data-resident-id'))).toEqual([R2, undefined]);
    expect((rows[0]!.get('[data-testid="paste-include"]').element as HTMLInputElement).checked).toBe(false);
    w.unmount();
  });

  it('never saves one resident twice, and a pick without a valid reading is not ready', async () => {
    matchAnswer = () => ({
      readings: [
        piece({ line: 1, text: '王建国 36.5', reading: '36.5', tenths: 365, resident: { ...WJG, matched: 'name' } }),
        piece({ line: 2, text: '建国 36.9', reading: '36.9', tenths: 369, problem: 'ambiguous', candidates: [WJG, WXM] }),
        piece({ line: 3, text: '小明', problem: 'ambiguous', candidates: [WXM, CXM] }),
      ],
      ready: 1,
      problems: 2,
    });
    const w = await mountScreen();
    await pasteAndMatch(w, '王建国 36.5\n建国 36.9\n小明');
    expect(rowsOf(w)[0]!.get('[data-testid="paste-matched"]').text()).toBe('姓名');

    // Picking the resident of an earlier piece makes this one repeated.
    await rowsOf(w)[1]!.findAll('[data-testid="paste-candidate"]')[0]!.trigger('click');
    expect(rowsOf(w)[1]!.attributes('data-problem')).toBe('repeated');
    expect(rowsOf(w)[1]!.get('[data-testid="paste-problem"]').text()).toBe('同一人出现多次,请核对后只留一条');
    expect(rowsOf(w)[1]!.find('[data-testid="paste-include"]').exists()).toBe(false);
    // A pick on a piece without a reading does not make it ready.
    await rowsOf(w)[2]!.findAll('[data-testid="paste-candidate"]')[0]!.trigger('click');
    expect(rowsOf(w)[2]!.attributes('data-resident-id')).toBe(R3);
    expect(rowsOf(w)[2]!.attributes('data-problem')).toBe('no_reading');
    expect(rowsOf(w)[2]!.get('[data-testid="paste-problem"]').text()).toBe('没有体温读数');
    expect(saveButton(w).text()).toBe('保存 1 人(自行上报)');
    await save(w);
    expect(api.argsOf('record_checks')[0].checks).toEqual([{ resident: R1, temperature: '36.5', method: 'reported' }]);
    w.unmount();
  });

  it('keeps a row core refused with its reason, and reports a partial save', async () => {
    api = backend({
      match_pasted_readings: () => answer(),
      record_checks: ({ checks }) => ({
        saved: [{ row: 0, resident: checks[0].resident, id: 'check-0', tenths: 365, fever: false }],
        refused: [{ row: 1, resident: checks[1].resident, error: { field: 'resident', code: 'not_found', message: 'x' } }],
      }),
    });
    const w = await mountScreen();
    await pasteAndMatch(w);
    await save(w);
    expect(toastMessage.value).toBe('已保存 1 人,标红的项目未保存,请核对');
    const rows = rowsOf(w);
    expect(rows.map((r) => r.attributes('data-resident-id'))).toEqual([R2, undefined, undefined]);
    expect(rows[0]!.get('[data-testid="paste-refused"]').text()).toBe('没有找到该记录');
    expect(rows[0]!.attributes('data-saving')).toBe('false');
    w.unmount();
  });

  it('shows a too_long error as a message', async () => {
    matchAnswer = () => {
      throw { code: 'too_long', message: 'text too long' };
    };
    const w = await mountScreen();
    await pasteAndMatch(w, '张三 36.5'.repeat(3000));
    expect(w.get('[data-testid="paste-error"]').text()).toContain('内容太长');
    expect(rowsOf(w)).toHaveLength(0);
    expect(saveButton(w).attributes('disabled')).toBeDefined();
    w.unmount();
  });

  it('opens from the households list, where temperature checks start', async () => {
    backend({ list_households: () => [] });
    const router = testRouter();
    await router.push('/households');
    const w = mount(HouseholdsView, { global: { plugins: [router] } });
    await flushPromises();
    const open = w.get('[data-testid="paste-open"]');
    expect(open.text()).toBe('粘贴读数');
    await open.trigger('click');
    await flushPromises();
    expect(router.currentRoute.value.path).toBe('/temperature/paste');
    w.unmount();
  });
});
