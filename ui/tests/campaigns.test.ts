import { afterEach, describe, expect, it, vi } from 'vitest';
import { enableAutoUnmount, mount, flushPromises, type VueWrapper } from '@vue/test-utils';
import CampaignsView from '@/views/CampaignsView.vue';
import CampaignFormView from '@/views/CampaignFormView.vue';
import CampaignView from '@/views/CampaignView.vue';
import HomeView from '@/views/HomeView.vue';
import NoticesView from '@/views/NoticesView.vue';
import { setAppInfo } from '@/composables/appInfo';
import { toastMessage } from '@/composables/toast';
import { syncView } from '@/composables/sync';
import { byHousehold, matches, normalise } from '@/composables/campaigns';
import type { Campaign, CampaignRow, CampaignView as Page, Completion, RosterItem, UnitCompletion } from '@/lib/types';
import { appInfoFixture } from './fixtures';
import { backend, testRouter, settle } from './helpers';

const C1 = '5c1a0000-0000-4000-8000-000000000001';
const C2 = '5c1a0000-0000-4000-8000-000000000002';
const ME = 'a1a1a1a1-0000-4000-8000-000000000001';
const CREATOR = 'c3c3c3c3-0000-4000-8000-000000000003';
const G1 = '110105001001001';
const G2 = '110105001001002';
const COMMUNITY = '110105001001';
const H1 = '4a000000-0000-4000-8000-000000000001';
const H2 = '4a000000-0000-4000-8000-000000000002';
const P1 = '9e000000-0000-4000-8000-000000000001';
const P2 = '9e000000-0000-4000-8000-000000000002';
const P3 = '9e000000-0000-4000-8000-000000000003';
const P4 = '9e000000-0000-4000-8000-000000000004';
const HASH = 'd'.repeat(64);
const T0 = new Date(2026, 10, 24, 9, 0).getTime();
const HOUR = 3_600_000;
const JPEG = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 0xff, 0xd9]);
const PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0]);

const DIRECTORY = [
  { code: '110105001', name: '建外街道', kind: 'division' },
  { code: COMMUNITY, name: '阳光社区', kind: 'division' },
  { code: G1, name: '第一网格', kind: 'grid' },
  { code: G2, name: '第二网格', kind: 'grid' },
];

function campaign(p: Partial<Campaign> = {}): Campaign {
  return {
    id: C1,
    creator: CREATOR,
    creator_role: 'chief-leader',
    unit: COMMUNITY,
    title: '全员核酸检测',
    text: '今日18点前完成本网格全员核酸检测登记。',
    subject: 'residents',
    options: [
      { code: 'done', label: '已完成', done: true, needs_note: false, needs_proof: false },
      { code: 'not_yet', label: '未完成', done: false, needs_note: false, needs_proof: false },
      { code: 'away', label: '外出', done: false, needs_note: true, needs_proof: false },
      { code: 'exempt', label: '豁免', done: true, needs_note: true, needs_proof: false },
    ],
    common: 'done',
    proof: 'none',
    grids: [],
    started_ms: T0,
    due_ms: T0 + 8 * HOUR,
    ...p,
  };
}

const HOUSEHOLDS: Partial<Campaign> = {
  id: C2,
  title: '防疫物资发放',
  subject: 'households',
  options: [
    { code: 'delivered', label: '已送达', done: true, needs_note: false, needs_proof: true },
    { code: 'absent', label: '无人在家', done: false, needs_note: false, needs_proof: false },
    { code: 'declined', label: '婉拒', done: true, needs_note: true, needs_proof: false },
  ],
  common: 'delivered',
  proof: 'photo_or_signature',
};

function fig(done: number, total: number, exceptions = 0): Completion {
  return { done, total, exceptions, open: total - done };
}

function unit(code: string, name: string | null, c: Completion): UnitCompletion {
  return { code, name, completion: c };
}

function page(p: Partial<Page> = {}, c: Partial<Campaign> = {}): Page {
  return {
    campaign: campaign(c),
    unit_name: null,
    role: 'worker',
    closed: false,
    by_grid: [unit(G1, '第一网格', fig(0, 3))],
    by_community: [unit(COMMUNITY, '阳光社区', fig(0, 3))],
    total: fig(0, 3),
    ...p,
  };
}

/** The tick core answers with (its clock, this device's user). */
function tickStored({ answer, note = '', photos = [] }: { answer: string; note?: string; photos?: string[] }) {
  return { answer, at_ms: T0 + HOUR, by: ME, note: note.trim(), photos };
}

function item(subject: string, name: string, initials: string, pinyin: string, household: string, address: string, p: Partial<RosterItem> = {}): RosterItem {
  return { subject, household, name, initials, pinyin, address, grid: G1, tick: null, done: false, ...p };
}

const ROSTER = (): RosterItem[] => [
  item(P1, '张三', 'zs', 'zhangsan', H1, '阳光小区3栋1单元101'),
  item(P2, '张小红', 'zxh', 'zhangxiaohong', H1, '阳光小区3栋1单元101'),
  item(P3, '李四', 'ls', 'lisi', H2, '阳光小区3栋1单元102'),
];

function row(id: string, p: Partial<CampaignRow> = {}): CampaignRow {
  return {
    id,
    title: '全员核酸检测',
    subject: 'residents',
    unit: COMMUNITY,
    unit_name: '阳光社区',
    due_ms: T0 + 8 * HOUR,
    closed: false,
    role: 'worker',
    completion: fig(12, 30, 1),
    ...p,
  };
}

const ids = (w: VueWrapper, testid: string, attr = 'data-subject') => w.findAll(`[data-testid="${testid}"]`).map((e) => e.attributes(attr));

enableAutoUnmount(afterEach);
afterEach(() => {
  vi.restoreAllMocks();
  syncView.value = null;
});

describe('campaign list', () => {
  it('shows each campaign with its subject, unit, due time, 已结束 and a completion bar, and opens it', async () => {
    setAppInfo(appInfoFixture({ role: 'chief-leader', party: 'community', mayCampaign: true }));
    backend({
      campaigns: () => [
        row(C1),
        row(C2, { title: '防疫物资发放', subject: 'households', unit_name: null, closed: true, role: 'creator', completion: fig(0, 0) }),
      ],
    });
    const router = testRouter();
    const w = mount(CampaignsView, { global: { plugins: [router] } });
    await flushPromises();

    const rows = w.findAll('[data-testid="campaign-row"]');
    expect(rows.map((r) => r.attributes('data-id'))).toEqual([C1, C2]);
    const [first, second] = rows as [(typeof rows)[0], (typeof rows)[0]];
    expect(first.get('[data-testid="campaign-row-subject"]').text()).toBe('按人');
    expect(first.text()).toContain('全员核酸检测');
    expect(first.text()).toContain('阳光社区');
    expect(first.get('[data-testid="campaign-row-due"]').text()).toBe('截止 11-24 17:00');
    const bar = first.get('[data-testid="campaign-row-bar"]');
    expect(bar.attributes()).toMatchObject({ 'data-done': '12', 'data-total': '30', 'data-percent': '40' });
    expect(bar.text()).toBe('12/30 · 40%');
    expect((bar.get('.bar__fill').element as HTMLElement).style.width).toBe('40%');
    expect(first.find('[data-testid="campaign-row-closed"]').exists()).toBe(false);
    expect(second.get('[data-testid="campaign-row-subject"]').text()).toBe('按户');
    expect(second.text()).toContain(COMMUNITY);
    expect(second.get('[data-testid="campaign-row-closed"]').text()).toBe('已结束');
    expect(second.get('[data-testid="campaign-row-bar"]').text()).toBe('0/0 · —');

    expect(w.find('[data-testid="campaign-new"]').exists()).toBe(true);
    await first.trigger('click');
    await flushPromises();
    expect(router.currentRoute.value.path).toBe('/campaigns/' + C1);
  });

  it('shows the present-and-away tallies by grid, community and in all', async () => {
    setAppInfo(appInfoFixture({ role: 'centre', party: 'centre' }));
    const r = (code: string, name: string | null, total: number, away: number) => ({
      code,
      name,
      total,
      registered: total - 2,
      long_term: 1,
      floating: 1,
      away,
      present: total - away,
    });
    backend({
      campaigns: () => [],
      presence: () => ({
        by_grid: [r(G1, '第一网格', 10, 2), r('110105001001002', null, 5, 0)],
        by_community: [r(COMMUNITY, '阳光社区', 15, 2)],
        total: r('', null, 15, 2),
      }),
    });
    const w = mount(CampaignsView, { global: { plugins: [testRouter()] } });
    await flushPromises();
    const rows = w.findAll('[data-testid="presence-row"]');
    // One community: its row would repeat the total, so the grids alone and the total.
    expect(rows.map((x) => x.attributes('data-code'))).toEqual([G1, '110105001001002']);
    expect(rows[0]!.text()).toContain('第一网格');
    expect(rows[0]!.findAll('td').map((c) => c.text())).toEqual(['第一网格', '10', '8', '1', '1', '2', '8']);
    expect(rows[1]!.text()).toContain('110105001001002');
    const total = w.get('[data-testid="presence-total"]');
    expect(total.attributes()).toMatchObject({ 'data-total': '15', 'data-away': '2', 'data-present': '13' });
  });

  it('offers the start button only to those who start campaigns', async () => {
    setAppInfo(appInfoFixture());
    backend({ campaigns: () => [], presence: () => ({ by_grid: [], by_community: [], total: { code: '', name: null, total: 0, registered: 0, long_term: 0, floating: 0, away: 0, present: 0 } }) });
    const w = mount(CampaignsView, { global: { plugins: [testRouter()] } });
    await flushPromises();
    expect(w.find('[data-testid="campaign-new"]').exists()).toBe(false);
    expect(w.find('[data-testid="campaigns-empty"]').exists()).toBe(true);
  });
});

describe('the way in', () => {
  it('is on the home page, saying how many run, and on the notices page', async () => {
    setAppInfo(appInfoFixture());
    backend({
      day_summary: () => ({ date: '2026-11-24', checks_done: 0, checks_due: 0, fevers: 0, visits: 0, reports_filed: 0, open_reports: 0 }),
      campaigns: () => [row(C1), row(C2, { closed: true })],
      notices: () => [],
    });
    const router = testRouter();
    const home = mount(HomeView, { global: { plugins: [router] } });
    await flushPromises();
    const entry = home.get('[data-testid="home-campaigns"]');
    expect(entry.attributes('data-count')).toBe('1');
    expect(entry.text()).toContain('1 项进行中');
    await entry.trigger('click');
    await flushPromises();
    expect(router.currentRoute.value.path).toBe('/campaigns');

    await router.push('/notices');
    const notices = mount(NoticesView, { global: { plugins: [router] } });
    await flushPromises();
    await notices.get('[data-testid="notices-campaigns"]').trigger('click');
    await flushPromises();
    expect(router.currentRoute.value.path).toBe('/campaigns');
  });
});

describe('campaign form', () => {
  it('builds the draft: title, text, 按户, grids picked by name, hours', async () => {
    setAppInfo(appInfoFixture({ role: 'chief-leader', party: 'community', grids: [], mayCampaign: true }));
    const api = backend({
      directory: () => DIRECTORY,
      start_campaign: ({ draft }) => page({ role: 'creator' }, { ...HOUSEHOLDS, title: draft.title }),
    });
    const router = testRouter();
    const w = mount(CampaignFormView, { global: { plugins: [router] } });
    await flushPromises();

    const chips = w.findAll('[data-testid^="campaign-grid-"]').filter((c) => c.element.tagName === 'BUTTON');
    expect(chips.map((c) => c.text())).toEqual(['第一网格', '第二网格']);
    expect(w.get('[data-testid="campaign-subject-residents"]').text()).toBe('全员(按人)');
    expect(w.get('[data-testid="campaign-subject-residents"]').attributes('data-selected')).toBe('true');
    expect((w.get('[data-testid="campaign-due-hours"]').element as HTMLInputElement).value).toBe('8');

    await w.get('[data-testid="campaign-title"]').setValue('防疫物资发放');
    await w.get('[data-testid="campaign-text"]').setValue('每户一份,送达请拍照或签名');
    await w.get('[data-testid="campaign-subject-households"]').trigger('click');
    await w.get(`[data-testid="campaign-grid-${G2}"]`).trigger('click');
    expect(w.get('[data-testid="campaign-grids-picked"]').text()).toBe('第二网格');
    await w.get('[data-testid="campaign-due-hours"]').setValue('24');
    await w.get('[data-testid="campaign-submit"]').trigger('click');
    await flushPromises();

    expect(api.argsOf('start_campaign')).toEqual([
      { draft: { title: '防疫物资发放', text: '每户一份,送达请拍照或签名', subject: 'households', grids: [G2], due_hours: 24 } },
    ]);
    expect(router.currentRoute.value.path).toBe('/campaigns/' + C2);
  });

  it('sends every grid and 8 hours by default, and shows core\'s field problems beside the fields', async () => {
    setAppInfo(appInfoFixture({ role: 'centre', party: 'centre', grids: [], mayCampaign: true }));
    const api = backend({
      directory: () => DIRECTORY,
      start_campaign: () => {
        throw {
          code: 'invalid',
          message: 'invalid',
          fields: [
            { field: 'title', code: 'required_field', message: 'a title is needed' },
            { field: 'due_hours', code: 'invalid_value', message: '1 hour to 90 days' },
          ],
        };
      },
    });
    const router = testRouter();
    await router.push('/campaigns/new');
    const w = mount(CampaignFormView, { global: { plugins: [router] } });
    await flushPromises();
    expect(w.get('[data-testid="campaign-grids-picked"]').text()).toBe('不选即本单位全部网格');
    await w.get('[data-testid="campaign-submit"]').trigger('click');
    await flushPromises();
    expect(api.argsOf('start_campaign')[0].draft).toEqual({ title: '', text: '', subject: 'residents', grids: [], due_hours: 8 });
    expect(w.get('[data-testid="campaign-error-title"]').text()).toBe('必填');
    expect(w.get('[data-testid="campaign-error-due-hours"]').text()).toBe('所选内容不适用于该字段');
    expect(router.currentRoute.value.path).toBe('/campaigns/new');

    // Hours that are not a whole number are not sent.
    await w.get('[data-testid="campaign-due-hours"]').setValue('八');
    await w.get('[data-testid="campaign-submit"]').trigger('click');
    await flushPromises();
    expect(w.get('[data-testid="campaign-error-due-hours"]').text()).toBe('请填写整数小时数');
    expect(api.argsOf('start_campaign')).toHaveLength(1);
  });
});

describe('a member ticking off the roster', () => {
  function worker(extra: Record<string, (a: any) => unknown> = {}) {
    setAppInfo(appInfoFixture({ userId: ME }));
    return backend({
      directory: () => DIRECTORY,
      campaign_view: () => page(),
      campaign_roster: () => ROSTER(),
      tick_campaign: tickStored,
      ...extra,
    });
  }

  it('lists the grid by household address and ticks one person with one tap, in place', async () => {
    const api = worker();
    const w = mount(CampaignView, { props: { id: C1 }, global: { plugins: [testRouter()] } });
    await flushPromises();

    expect(w.get('[data-testid="campaign-page"]').attributes('data-role')).toBe('worker');
    expect(api.argsOf('campaign_roster')).toEqual([{ id: C1, grid: null }]);
    const households = w.findAll('[data-testid="campaign-household"]');
    expect(households.map((h) => h.attributes('data-household'))).toEqual([H1, H2]);
    expect(households[0]!.text()).toContain('阳光小区3栋1单元101');
    expect(ids(w, 'campaign-roster-item')).toEqual([P1, P2, P3]);
    const progress = w.get('[data-testid="campaign-progress"]');
    expect(progress.attributes()).toMatchObject({ 'data-done': '0', 'data-total': '3' });

    const tap = w.get(`[data-testid="campaign-tick-${P1}"]`);
    expect(tap.text()).toBe('已完成');
    await tap.trigger('click');
    await flushPromises();
    expect(api.argsOf('tick_campaign')).toEqual([{ id: C1, subject: P1, answer: 'done', note: '', photos: [] }]);
    const first = w.get(`[data-testid="campaign-roster-item"][data-subject="${P1}"]`);
    expect(first.attributes('data-done')).toBe('true');
    expect(first.attributes('data-answer')).toBe('done');
    expect(w.get(`[data-testid="campaign-answer-${P1}"]`).text()).toMatch(/已完成\s*\d\d-\d\d \d\d:\d\d/);
    expect(w.find(`[data-testid="campaign-tick-${P1}"]`).exists()).toBe(false);
    expect(w.get('[data-testid="campaign-progress"]').attributes('data-done')).toBe('1');
    // No reload per tap.
    expect(api.argsOf('campaign_roster')).toHaveLength(1);
    expect(api.argsOf('campaign_view')).toHaveLength(1);
  });

  it('asks the reason of an exception from the more-menu, and sends it with the tick', async () => {
    const api = worker();
    const w = mount(CampaignView, { props: { id: C1 }, global: { plugins: [testRouter()] } });
    await flushPromises();

    await w.get(`[data-testid="campaign-more-${P3}"]`).trigger('click');
    expect(w.findAll('[data-testid^="campaign-option-"]').map((o) => o.text())).toEqual(['已完成', '未完成', '外出', '豁免']);
    await w.get('[data-testid="campaign-option-away"]').trigger('click');
    await flushPromises();
    expect(api.argsOf('tick_campaign')).toEqual([]);
    expect(w.get('[data-testid="campaign-note-ok"]').attributes('disabled')).toBeDefined();
    await w.get('[data-testid="campaign-note"]').setValue('外出务工,下周返回');
    await w.get('[data-testid="campaign-note-ok"]').trigger('click');
    await flushPromises();
    expect(api.argsOf('tick_campaign')).toEqual([{ id: C1, subject: P3, answer: 'away', note: '外出务工,下周返回', photos: [] }]);
    expect(w.find('[data-testid="campaign-panel"]').exists()).toBe(false);
    const answer = w.get(`[data-testid="campaign-answer-${P3}"]`);
    expect(answer.text()).toContain('外出');
    expect(answer.text()).toContain('外出务工,下周返回');
    // Away is not done: the one tap stays to give the common answer when they are back.
    expect(w.get(`[data-testid="campaign-roster-item"][data-subject="${P3}"]`).attributes('data-done')).toBe('false');
    expect(w.find(`[data-testid="campaign-tick-${P3}"]`).exists()).toBe(true);
    expect(w.get('[data-testid="campaign-progress"]').attributes('data-done')).toBe('0');
  });

  it('finds people by pinyin initials, full pinyin, name or address, and keeps to those not done', async () => {
    worker({
      campaign_roster: () => {
        const r = ROSTER();
        r[1] = { ...r[1]!, done: true, tick: { answer: 'done', at_ms: T0, by: ME, note: '', photos: [] } };
        return r;
      },
    });
    const w = mount(CampaignView, { props: { id: C1 }, global: { plugins: [testRouter()] } });
    await flushPromises();
    const search = w.get('[data-testid="campaign-search"]');

    await search.setValue('zs');
    expect(ids(w, 'campaign-roster-item')).toEqual([P1]);
    await search.setValue('ZX');
    expect(ids(w, 'campaign-roster-item')).toEqual([P2]);
    await search.setValue('li si');
    expect(ids(w, 'campaign-roster-item')).toEqual([P3]);
    await search.setValue('张');
    expect(ids(w, 'campaign-roster-item')).toEqual([P1, P2]);
    await search.setValue('102');
    expect(ids(w, 'campaign-roster-item')).toEqual([P3]);
    await search.setValue('wang');
    expect(ids(w, 'campaign-roster-item')).toEqual([]);
    expect(w.find('[data-testid="campaign-no-hits"]').exists()).toBe(true);

    await search.setValue('');
    await w.get('[data-testid="campaign-filter-open"]').trigger('click');
    expect(ids(w, 'campaign-roster-item')).toEqual([P1, P3]);
    // One ticked under the filter stays in view (with its answer) until the filter changes.
    await w.get(`[data-testid="campaign-tick-${P1}"]`).trigger('click');
    await flushPromises();
    expect(ids(w, 'campaign-roster-item')).toEqual([P1, P3]);
    await w.get('[data-testid="campaign-filter-all"]').trigger('click');
    await w.get('[data-testid="campaign-filter-open"]').trigger('click');
    expect(ids(w, 'campaign-roster-item')).toEqual([P3]);
  });

  it('reads the roster again after a sync round: others\' ticks come in', async () => {
    let roster = ROSTER();
    const api = worker({ campaign_roster: () => roster });
    const w = mount(CampaignView, { props: { id: C1 }, global: { plugins: [testRouter()] } });
    await flushPromises();
    roster = roster.map((r) => (r.subject === P3 ? { ...r, done: true, tick: { answer: 'done', at_ms: T0, by: CREATOR, note: '', photos: [] } } : r));
    syncView.value = {
      state: 'synced',
      online: true,
      docsPending: 0,
      docsWaiting: 0,
      waiting: [],
      photosPending: 0,
      photoBytesPending: 0,
      lastSuccess: '2026-11-24T02:00:00Z',
      lastError: null,
      progress: null,
      encrypted: null,
      directoryAt: null,
    };
    await flushPromises();
    expect(api.argsOf('campaign_roster')).toHaveLength(2);
    expect(w.get('[data-testid="campaign-progress"]').attributes('data-done')).toBe('1');
  });

  it('shows an ended campaign without tick buttons', async () => {
    worker({ campaign_view: () => page({ closed: true }) });
    const w = mount(CampaignView, { props: { id: C1 }, global: { plugins: [testRouter()] } });
    await flushPromises();
    expect(w.get('[data-testid="campaign-closed"]').text()).toBe('已结束');
    expect(w.findAll('[data-testid^="campaign-tick-"]')).toHaveLength(0);
    expect(w.findAll('[data-testid^="campaign-more-"]')).toHaveLength(0);
  });
});

describe('a households campaign asks proof', () => {
  const HOUSE = (): RosterItem[] => [
    item(H1, '张三', '', '', H1, '阳光小区3栋1单元101'),
    item(H2, '李四', '', '', H2, '阳光小区3栋1单元102'),
  ];

  /** Core's answer to a delivery without a photo or signature. */
  function tickNeedsProof({ answer, photos }: { answer: string; photos: string[] }) {
    if (answer === 'delivered' && photos.length === 0) {
      throw { code: 'invalid', message: 'invalid', fields: [{ field: 'photos', code: 'required_field', message: 'a photo or signature is needed' }] };
    }
    return tickStored({ answer, note: '', photos });
  }

  function households() {
    setAppInfo(appInfoFixture({ userId: ME }));
    return backend({
      directory: () => DIRECTORY,
      campaign_view: () => page({}, HOUSEHOLDS),
      campaign_roster: () => HOUSE(),
      tick_campaign: tickNeedsProof,
      add_photo: () => ({ hash: HASH, size: 1000, width: 600, height: 200, new: true }),
      photo: () => JPEG.buffer,
    });
  }

  it('takes a signature drawn on the screen, stored as a photo, as the proof of a delivery', async () => {
    // happy-dom draws nothing: a context that takes strokes, and a canvas that gives PNG bytes.
    const strokes: string[] = [];
    const g = new Proxy({} as Record<string, unknown>, {
      get: (t, k: string) => (k in t ? t[k] : (...a: unknown[]) => strokes.push(`${k}(${a.length})`)),
      set: (t, k: string, v) => ((t[k] = v), true),
    });
    vi.spyOn(HTMLCanvasElement.prototype, 'getContext').mockReturnValue(g as unknown as CanvasRenderingContext2D);
    HTMLCanvasElement.prototype.toBlob = function (cb: BlobCallback) {
      cb(new Blob([PNG], { type: 'image/png' }));
    };
    const api = households();
    const w = mount(CampaignView, { props: { id: C2 }, global: { plugins: [testRouter()] } });
    await flushPromises();
    expect(w.get('[data-testid="campaign-page"]').attributes('data-subject')).toBe('households');
    expect(w.get(`[data-testid="campaign-roster-item"][data-subject="${H1}"]`).text()).toContain('户主:张三');

    await w.get(`[data-testid="campaign-tick-${H1}"]`).trigger('click');
    await flushPromises();
    // A delivery needs proof (its answer says so): the panel opens for it, no red text.
    expect(w.get('[data-testid="campaign-panel"]').attributes('data-answer')).toBe('delivered');
    expect(w.find('[data-testid="campaign-photo-error"]').exists()).toBe(false);
    expect(w.get('[data-testid="campaign-proof-ok"]').attributes('disabled')).toBeDefined();

    await w.get('[data-testid="campaign-sign"]').trigger('click');
    const pad = w.get('[data-testid="signature-pad"]');
    expect(w.get('[data-testid="signature-ok"]').attributes('disabled')).toBeDefined();
    await pad.trigger('pointerdown', { clientX: 10, clientY: 10, pointerId: 1 });
    await pad.trigger('pointermove', { clientX: 40, clientY: 30, pointerId: 1 });
    await pad.trigger('pointerup', { pointerId: 1 });
    expect(pad.attributes('data-strokes')).toBe('1');
    expect(strokes).toContain('lineTo(2)');
    await w.get('[data-testid="signature-ok"]').trigger('click');
    await flushPromises();
    await settle();

    const sent = api.calls.filter((c) => c.cmd === 'add_photo').map((c) => c.args as Uint8Array);
    expect(sent).toHaveLength(1);
    expect(Array.from(sent[0]!.slice(0, 4))).toEqual([0x89, 0x50, 0x4e, 0x47]);
    // Asked before anything is sent: the one tick carries the signature.
    expect(api.argsOf('tick_campaign')).toEqual([{ id: C2, subject: H1, answer: 'delivered', note: '', photos: [HASH] }]);
    expect(w.find('[data-testid="campaign-panel"]').exists()).toBe(false);
    expect(w.get(`[data-testid="campaign-answer-${H1}"]`).text()).toContain('已送达');
    expect(w.get('[data-testid="campaign-progress"]').attributes('data-done')).toBe('1');
  });

  it('takes a photo as the proof, and a refusal asks no proof', async () => {
    const api = households();
    const w = mount(CampaignView, { props: { id: C2 }, global: { plugins: [testRouter()] } });
    await flushPromises();

    await w.get(`[data-testid="campaign-tick-${H2}"]`).trigger('click');
    await flushPromises();
    const input = w.get('[data-testid="campaign-photo-input"]');
    Object.defineProperty(input.element, 'files', { value: [new File([JPEG], 'p.jpg', { type: 'image/jpeg' })], configurable: true });
    await input.trigger('change');
    await flushPromises();
    await settle(10);
    expect(w.findAll('[data-testid="campaign-photo-thumb"]')).toHaveLength(1);
    await w.get('[data-testid="campaign-proof-ok"]').trigger('click');
    await flushPromises();
    expect(api.argsOf('tick_campaign').at(-1)).toEqual({ id: C2, subject: H2, answer: 'delivered', note: '', photos: [HASH] });
    expect(w.get(`[data-testid="campaign-roster-item"][data-subject="${H2}"]`).attributes('data-done')).toBe('true');

    // 婉拒: a reason, no proof.
    await w.get(`[data-testid="campaign-more-${H1}"]`).trigger('click');
    await w.get('[data-testid="campaign-option-declined"]').trigger('click');
    expect(w.find('[data-testid="campaign-sign"]').exists()).toBe(false);
    await w.get('[data-testid="campaign-note"]').setValue('已自备');
    await w.get('[data-testid="campaign-note-ok"]').trigger('click');
    await flushPromises();
    expect(api.argsOf('tick_campaign').at(-1)).toEqual({ id: C2, subject: H1, answer: 'declined', note: '已自备', photos: [] });
  });
});

describe('the creator following a campaign', () => {
  const creatorPage = (p: Partial<Page> = {}) =>
    page({
      role: 'creator',
      by_grid: [unit(G1, '第一网格', fig(80, 100, 3)), unit(G2, '第二网格', fig(20, 50, 1))],
      by_community: [unit(COMMUNITY, '阳光社区', fig(100, 150, 4))],
      total: fig(100, 150, 4),
      ...p,
    });

  it('sees completion by grid and community, who is not reached in a grid, and exports', async () => {
    setAppInfo(appInfoFixture({ role: 'chief-leader', party: 'community', userId: CREATOR, mayCampaign: true, grids: [] }));
    const api = backend({
      directory: () => DIRECTORY,
      campaign_view: () => creatorPage(),
      campaign_roster: () => [
        item(P1, '张三', 'zs', 'zhangsan', H1, '阳光小区3栋1单元101', { grid: G2, done: true, tick: { answer: 'done', at_ms: T0, by: ME, note: '', photos: [] } }),
        item(P2, '张小红', 'zxh', 'zhangxiaohong', H1, '阳光小区3栋1单元101', { grid: G2, tick: { answer: 'away', at_ms: T0 + HOUR, by: ME, note: '在外地上学', photos: [] } }),
        item(P3, '李四', 'ls', 'lisi', H2, '阳光小区3栋1单元102', { grid: G2 }),
        item(P4, '王五', 'ww', 'wangwu', H2, '阳光小区3栋1单元102', { grid: G2, done: true, tick: { answer: 'exempt', at_ms: T0, by: ME, note: '卧床', photos: [] } }),
      ],
      export_campaign: () => ({ path: '/home/u/网格通/专项任务_全员核酸检测.xlsx', name: '专项任务_全员核酸检测.xlsx', bytes: 9000 }),
      close_campaign: () => creatorPage({ closed: true }),
    });
    const w = mount(CampaignView, { props: { id: C1 }, global: { plugins: [testRouter()] } });
    await flushPromises();

    expect(w.find('[data-testid="campaign-roster"]').exists()).toBe(false);
    expect(w.get('[data-testid="campaign-total"]').attributes()).toMatchObject({ 'data-done': '100', 'data-total': '150', 'data-exceptions': '4', 'data-open': '50' });
    expect(w.get('[data-testid="campaign-total"]').text()).toContain('100/150 · 67%');
    const grids = w.findAll('[data-testid="campaign-grid-row"]');
    expect(grids.map((g) => [g.attributes('data-code'), g.attributes('data-done'), g.attributes('data-total')])).toEqual([
      [G1, '80', '100'],
      [G2, '20', '50'],
    ]);
    expect(grids[0]!.text()).toContain('第一网格');
    expect(grids[1]!.text()).toContain('40%');
    expect(w.get('[data-testid="campaign-community-row"]').text()).toContain('阳光社区');
    expect(w.find('[data-testid="campaign-chart"]').exists()).toBe(true);

    await grids[1]!.trigger('click');
    await flushPromises();
    expect(api.argsOf('campaign_roster')).toEqual([{ id: C1, grid: G2 }]);
    expect(w.get(`[data-testid="campaign-grid-row"][data-code="${G2}"]`).attributes('data-selected')).toBe('true');
    const open = w.findAll('[data-testid="campaign-open-row"]');
    expect(open.map((o) => o.attributes('data-subject'))).toEqual([P2, P3]);
    expect(open[0]!.text()).toContain('外出');
    expect(open[0]!.text()).toContain('在外地上学');
    expect(open[1]!.text()).toContain('未登记');
    const exception = w.get('[data-testid="campaign-exception-row"]');
    expect(exception.text()).toContain('豁免');
    expect(exception.text()).toContain('卧床');

    await w.get('[data-testid="campaign-export"]').trigger('click');
    await flushPromises();
    expect(api.argsOf('export_campaign')).toEqual([{ id: C1 }]);
    expect(w.get('[data-testid="campaign-exported"]').text()).toContain('专项任务_全员核酸检测.xlsx');
    expect(toastMessage.value).toContain('/home/u/网格通/专项任务_全员核酸检测.xlsx');

    // Ending it takes two taps.
    await w.get('[data-testid="campaign-close"]').trigger('click');
    expect(api.argsOf('close_campaign')).toEqual([]);
    expect(w.get('[data-testid="campaign-close"]').text()).toBe('再点一次确认结束');
    await w.get('[data-testid="campaign-close"]').trigger('click');
    await flushPromises();
    expect(api.argsOf('close_campaign')).toEqual([{ id: C1 }]);
    expect(w.get('[data-testid="campaign-closed"]').text()).toBe('已结束');
    expect(w.find('[data-testid="campaign-close"]').exists()).toBe(false);
  });

  it('lets the unit above follow it but not end it', async () => {
    setAppInfo(appInfoFixture({ role: 'centre', party: 'centre', grids: [], mayCampaign: true }));
    backend({ directory: () => DIRECTORY, campaign_view: () => creatorPage({ role: 'overseer' }) });
    const w = mount(CampaignView, { props: { id: C1 }, global: { plugins: [testRouter()] } });
    await flushPromises();
    expect(w.findAll('[data-testid="campaign-grid-row"]')).toHaveLength(2);
    expect(w.find('[data-testid="campaign-export"]').exists()).toBe(true);
    expect(w.find('[data-testid="campaign-close"]').exists()).toBe(false);
  });
});

describe('roster helpers', () => {
  it('group consecutive people of a household and match queries as typed', () => {
    const r = ROSTER();
    expect(byHousehold(r).map((g) => g.items.length)).toEqual([2, 1]);
    expect(matches(r[0]!, normalise(' Zhang San '))).toBe(true);
    expect(matches(r[0]!, normalise('san'))).toBe(false);
    expect(matches(r[0]!, normalise('3栋'))).toBe(true);
  });
});
