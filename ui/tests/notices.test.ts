import { describe, expect, it } from 'vitest';
import { mount, flushPromises } from '@vue/test-utils';
import NoticesView from '@/views/NoticesView.vue';
import NoticeFormView from '@/views/NoticeFormView.vue';
import NoticeView from '@/views/NoticeView.vue';
import UrgentBanner from '@/components/UrgentBanner.vue';
import { setAppInfo } from '@/composables/appInfo';
import { noticeCount, refreshNotices, toAcknowledge } from '@/composables/notices';
import { toastMessage } from '@/composables/toast';
import { syncView } from '@/composables/sync';
import type { NoticeDetail, NoticeRow, RosterEntry } from '@/lib/types';
import { appInfoFixture } from './fixtures';
import { backend, testRouter, settle } from './helpers';

const N1 = '0b6f7c1e-2d3a-4b5c-8d7e-111111111111';
const N2 = '0b6f7c1e-2d3a-4b5c-8d7e-222222222222';
const N3 = '0b6f7c1e-2d3a-4b5c-8d7e-333333333333';
const N4 = '0b6f7c1e-2d3a-4b5c-8d7e-444444444444';
const U1 = 'a1a1a1a1-0000-4000-8000-000000000001';
const U2 = 'b2b2b2b2-0000-4000-8000-000000000002';
const U3 = 'c3c3c3c3-0000-4000-8000-000000000003';
const G1 = '110105001001001';
const G2 = '110105001001002';
const COMMUNITY = '110105001001';
const HASH = 'c'.repeat(64);
const T0 = new Date(2026, 10, 24, 9, 0).getTime();
const MIN = 60_000;
const JPEG = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 0xff, 0xd9]);

const DIRECTORY = [
  { code: '110105001', name: '建外街道', kind: 'division' },
  { code: COMMUNITY, name: '阳光社区', kind: 'division' },
  { code: G1, name: '第一网格', kind: 'grid' },
  { code: G2, name: '第二网格', kind: 'grid' },
];

function row(id: string, p: Partial<NoticeRow> = {}): NoticeRow {
  return {
    id,
    sort: 'notice',
    priority: 'normal',
    title: '关于开展燃气安全排查的通知',
    sender_unit: COMMUNITY,
    sender_unit_name: '阳光社区',
    sent_ms: T0,
    ack_by_ms: null,
    closed: false,
    role: 'recipient',
    mine: 'delivered',
    counts: { total: 0, delivered: 0, read: 0, confirmed: 0 },
    overdue: false,
    reminded: false,
    ...p,
  };
}

function entry(user: string, p: Partial<RosterEntry> = {}): RosterEntry {
  return {
    user,
    name: null,
    role: 'member',
    grid: G1,
    state: 'pending',
    delivered_ms: null,
    read_ms: null,
    confirmed_ms: null,
    reply: null,
    reminded: false,
    ...p,
  };
}

function detail(p: Partial<NoticeDetail> = {}, notice: Partial<NoticeDetail['notice']> = {}): NoticeDetail {
  return {
    notice: {
      id: N1,
      sender: U3,
      sender_role: 'chief-leader',
      sender_unit: COMMUNITY,
      sort: 'notice',
      priority: 'urgent',
      title: '关于开展燃气安全排查的通知',
      text: '请各网格今日内完成辖区燃气安全排查。',
      photos: [],
      grids: [G1],
      audience: 'all',
      sent_ms: T0,
      ack_by_ms: T0 + 30 * MIN,
      person: null,
      ...notice,
    },
    sender_unit_name: '阳光社区',
    role: 'recipient',
    mine: { role: 'member', delivered_ms: T0 + MIN, read_ms: T0 + 2 * MIN, confirmed_ms: null, reply: null },
    mine_state: 'read',
    closed: null,
    counts: { total: 0, delivered: 0, read: 0, confirmed: 0 },
    roster: [],
    clues: [],
    reminders: 0,
    last_reminded: 0,
    reminded: false,
    overdue: false,
    ...p,
  };
}

function chooseFiles(input: { element: Element; trigger: (e: string) => Promise<void> }, files: File[]) {
  Object.defineProperty(input.element, 'files', { value: files, configurable: true });
  return input.trigger('change');
}

describe('notice list', () => {
  it('shows a recipient its own state and 已催收, a sender the counts and 逾期, and counts the badge', async () => {
    setAppInfo(appInfoFixture({ role: 'leader', party: 'leader', mayNotify: true }));
    backend({
      notices: () => [
        row(N1, { priority: 'critical', mine: 'delivered', reminded: true }),
        row(N2, { sort: 'missing_person', priority: 'urgent', mine: 'confirmed', sender_unit_name: null }),
        row(N3, {
          role: 'sender',
          sender_unit: G1,
          sender_unit_name: '第一网格',
          counts: { total: 5, delivered: 4, read: 3, confirmed: 3 },
          overdue: true,
        }),
        row(N4, { closed: true, mine: 'read' }),
      ],
    });
    const router = testRouter();
    const w = mount(NoticesView, { global: { plugins: [router] } });
    await flushPromises();

    const items = w.findAll('[data-testid="notice-item"]');
    expect(items.map((i) => i.attributes('data-id'))).toEqual([N1, N2, N3, N4]);
    const [first, second, sent, closed] = items as [typeof items[0], typeof items[0], typeof items[0], typeof items[0]];
    expect(first.get('[data-testid="notice-priority"]').text()).toBe('特急');
    expect(first.get('[data-testid="notice-priority"]').classes()).toContain('tag--red');
    expect(first.get('[data-testid="notice-state"]').text()).toBe('待签收');
    expect(first.get('[data-testid="notice-reminded"]').text()).toBe('已催收');
    expect(first.text()).toContain('阳光社区');
    expect(second.get('[data-testid="notice-sort"]').text()).toBe('寻人');
    expect(second.get('[data-testid="notice-state"]').text()).toBe('已签收');
    // No name in the directory: the unit's code.
    expect(second.text()).toContain(COMMUNITY);
    expect(sent.find('[data-testid="notice-state"]').exists()).toBe(false);
    expect(sent.get('[data-testid="notice-row-counts"]').text()).toBe('已签收 3/5');
    expect(sent.get('[data-testid="notice-overdue"]').text()).toBe('逾期');
    expect(closed.get('[data-testid="notice-closed"]').text()).toBe('已结束');
    expect(closed.get('[data-testid="notice-state"]').text()).toBe('已读');
    // For the recipient, open and not confirmed: N1 only (N2 confirmed, N3 sent, N4 closed).
    expect(noticeCount.value).toBe(1);

    expect(w.find('[data-testid="notice-new"]').exists()).toBe(true);
    await first.trigger('click');
    await flushPromises();
    expect(router.currentRoute.value.path).toBe('/notices/' + N1);
  });

  it('offers the compose button only to those who send notices', async () => {
    setAppInfo(appInfoFixture({ role: 'member', party: 'member' }));
    backend({ notices: () => [] });
    const w = mount(NoticesView, { global: { plugins: [testRouter()] } });
    await flushPromises();
    expect(w.find('[data-testid="notice-new"]').exists()).toBe(false);
    expect(w.find('[data-testid="notices-empty"]').exists()).toBe(true);
  });
});

describe('notice form', () => {
  it('builds a 寻人 draft with grids picked by name, the audience, minutes, photos and the person', async () => {
    setAppInfo(appInfoFixture({ role: 'chief-leader', party: 'community', grids: [] }));
    const api = backend({
      directory: () => DIRECTORY,
      add_photo: () => ({ hash: HASH, size: 1000, width: 800, height: 600, new: true }),
      photo: () => new Uint8Array([0xff, 0xd8, 0xff, 0xd9]).buffer,
      send_notice: () => detail({ role: 'sender', mine: null, mine_state: 'pending' }, { id: N2 }),
    });
    const router = testRouter();
    const w = mount(NoticeFormView, { global: { plugins: [router] } });
    await flushPromises();

    // Grids only, by name.
    expect(w.findAll('[data-testid^="notice-grid-"]').filter((c) => c.element.tagName === 'BUTTON').map((c) => c.text())).toEqual([
      '第一网格',
      '第二网格',
    ]);
    expect(w.find('[data-testid="notice-person-form"]').exists()).toBe(false);
    await w.get('[data-testid="notice-sort-missing_person"]').trigger('click');
    await w.get('[data-testid="notice-priority-critical"]').trigger('click');
    await w.get('[data-testid="notice-title"]').setValue('寻找走失老人');
    await w.get('[data-testid="notice-text"]').setValue('请各网格员留意');
    await w.get(`[data-testid="notice-grid-${G2}"]`).trigger('click');
    expect(w.get('[data-testid="notice-grids-picked"]').text()).toBe('第二网格');
    await w.get('[data-testid="notice-audience-members"]').trigger('click');
    await w.get('[data-testid="notice-ack-minutes"]').setValue('5');
    await w.get('[data-testid="notice-person-name"]').setValue('张大爷');
    await w.get('[data-testid="notice-person-description"]').setValue('78岁,灰色外套');
    await w.get('[data-testid="notice-person-place"]').setValue('阳光小区东门');
    await w.get('[data-testid="notice-person-seen"]').setValue('2026-11-24T08:30');
    await w.get('[data-testid="notice-person-contact"]').setValue('张女士 13800001234');
    await chooseFiles(w.get('[data-testid="notice-photo-input"]'), [new File([JPEG], 'a.jpg', { type: 'image/jpeg' })]);
    await flushPromises();
    await settle(10);
    expect(w.findAll('[data-testid="notice-photo-thumb"]').map((t) => t.attributes('data-hash'))).toEqual([HASH]);

    await w.get('[data-testid="notice-submit"]').trigger('click');
    await flushPromises();
    expect(api.argsOf('send_notice')).toEqual([
      {
        draft: {
          sort: 'missing_person',
          priority: 'critical',
          title: '寻找走失老人',
          text: '请各网格员留意',
          photos: [HASH],
          grids: [G2],
          audience: 'members',
          ack_minutes: 5,
          person: {
            name: '张大爷',
            description: '78岁,灰色外套',
            last_seen_place: '阳光小区东门',
            last_seen_ms: new Date(2026, 10, 24, 8, 30).getTime(),
            contact: '张女士 13800001234',
          },
        },
      },
    ]);
    expect(router.currentRoute.value.path).toBe('/notices/' + N2);
  });

  it('sends to every grid with the default time when none is picked, and shows core\'s field problems beside the fields', async () => {
    setAppInfo(appInfoFixture({ role: 'leader', party: 'leader', mayNotify: true }));
    const api = backend({
      directory: () => DIRECTORY,
      send_notice: () => {
        throw {
          code: 'invalid',
          message: 'invalid',
          fields: [
            { field: 'title', code: 'required_field', message: 'a title is needed' },
            { field: 'grids', code: 'scope_wrong_level', message: 'a leader of several grids sends to one of them at a time' },
          ],
        };
      },
    });
    const router = testRouter();
    await router.push('/notices/new');
    const w = mount(NoticeFormView, { global: { plugins: [router] } });
    await flushPromises();
    expect(w.get('[data-testid="notice-grids-picked"]').text()).toBe('不选即发往全部网格');
    await w.get('[data-testid="notice-submit"]').trigger('click');
    await flushPromises();
    expect(api.argsOf('send_notice')[0].draft).toMatchObject({ sort: 'notice', priority: 'normal', grids: [], audience: 'all', ack_minutes: null, person: null });
    expect(w.get('[data-testid="notice-error-title"]').text()).toBe('必填');
    expect(w.get('[data-testid="notice-error-grids"]').text()).toBe('所选网格或区划与角色不符');
    expect(router.currentRoute.value.path).toBe('/notices/new');

    // Minutes that are not a number are not sent.
    await w.get('[data-testid="notice-ack-minutes"]').setValue('十分钟');
    await w.get('[data-testid="notice-submit"]').trigger('click');
    await flushPromises();
    expect(w.get('[data-testid="notice-error-ack"]').text()).toBe('请填写整数分钟数');
    expect(api.argsOf('send_notice')).toHaveLength(1);
  });
});

describe('notice page', () => {
  it('lets the recipient confirm with a reply, then shows 已签收 and the time', async () => {
    setAppInfo(appInfoFixture());
    const api = backend({
      directory: () => DIRECTORY,
      notice_detail: () => detail(),
      confirm_notice: ({ reply }) =>
        detail({
          mine: { role: 'member', delivered_ms: T0 + MIN, read_ms: T0 + 2 * MIN, confirmed_ms: T0 + 3 * MIN, reply },
          mine_state: 'confirmed',
        }),
      notices: () => [],
      notices_to_acknowledge: () => [],
    });
    const w = mount(NoticeView, { props: { id: N1 }, global: { plugins: [testRouter()] } });
    await flushPromises();
    expect(w.get('[data-testid="notice-title"]').text()).toBe('关于开展燃气安全排查的通知');
    expect(w.get('[data-testid="notice-text"]').text()).toBe('请各网格今日内完成辖区燃气安全排查。');
    expect(w.get('[data-testid="notice-deadline"]').text()).toContain('2026-11-24 09:30');
    expect(w.find('[data-testid="notice-roster"]').exists()).toBe(false);
    expect(w.find('[data-testid="notice-remind"]').exists()).toBe(false);
    expect(w.find('[data-testid="clue-form"]').exists()).toBe(false);

    await w.get('[data-testid="notice-reply"]').setValue('已收到,马上落实');
    await w.get('[data-testid="notice-confirm"]').trigger('click');
    await flushPromises();
    expect(api.argsOf('confirm_notice')).toEqual([{ id: N1, reply: '已收到,马上落实' }]);
    expect(w.find('[data-testid="notice-confirm"]').exists()).toBe(false);
    expect(w.get('[data-testid="notice-confirmed"]').text()).toContain('已签收 2026-11-24 09:03');
    expect(w.text()).toContain('已收到,马上落实');
    expect(w.get('[data-testid="notice-page"]').attributes('data-state')).toBe('confirmed');
    // The badge and banner are read again after it.
    expect(api.argsOf('notices_to_acknowledge').length).toBeGreaterThan(0);
  });

  it('shows a 寻人 alert\'s person and sends a clue with its place and photo', async () => {
    setAppInfo(appInfoFixture());
    const missing = {
      sort: 'missing_person' as const,
      priority: 'critical' as const,
      title: '寻找走失老人',
      person: { name: '张大爷', description: '78岁,灰色外套', last_seen_place: '阳光小区东门', last_seen_ms: T0, contact: '张女士 13800001234' },
    };
    const api = backend({
      directory: () => DIRECTORY,
      notice_detail: () => detail({}, missing),
      add_photo: () => ({ hash: HASH, size: 1000, width: 800, height: 600, new: true }),
      photo: () => new Uint8Array([0xff, 0xd8, 0xff, 0xd9]).buffer,
      send_clue: ({ text, place, photos }) =>
        detail(
          { clues: [{ clue: { id: 'clue-1', by: U1, at_ms: T0 + 5 * MIN, text, place, photos }, by_name: '李网格', grid: G1 }] },
          missing,
        ),
      notices: () => [],
      notices_to_acknowledge: () => [],
    });
    const w = mount(NoticeView, { props: { id: N1 }, global: { plugins: [testRouter()] } });
    await flushPromises();
    const person = w.get('[data-testid="notice-person"]');
    expect(person.text()).toContain('张大爷');
    expect(person.text()).toContain('阳光小区东门');
    expect(w.get('[data-testid="notice-person-call"]').attributes('href')).toBe('tel:13800001234');

    await w.get('[data-testid="clue-text"]').setValue('公园东门见到一位穿灰色外套的老人');
    await w.get('[data-testid="clue-place"]').setValue('公园东门');
    await chooseFiles(w.get('[data-testid="clue-photo-input"]'), [new File([JPEG], 'c.jpg', { type: 'image/jpeg' })]);
    await flushPromises();
    await settle(10);
    await w.get('[data-testid="clue-send"]').trigger('click');
    await flushPromises();
    expect(api.argsOf('send_clue')).toEqual([{ id: N1, text: '公园东门见到一位穿灰色外套的老人', place: '公园东门', photos: [HASH] }]);
    // The form is cleared; the clue shows with who sent it.
    expect((w.get('[data-testid="clue-text"]').element as HTMLTextAreaElement).value).toBe('');
    expect(w.findAll('[data-testid="clue-photo-thumb"]')).toHaveLength(0);
    const clue = w.get('[data-testid="notice-clue"]');
    expect(clue.text()).toContain('李网格');
    expect(clue.text()).toContain('第一网格');
    expect(toastMessage.value).toBe('线索已发送');
  });

  it('shows the sender the counts and roster, reminds those who have not confirmed, and closes in two taps', async () => {
    setAppInfo(appInfoFixture({ role: 'chief-leader', party: 'community', userId: U3 }));
    const roster = [
      entry(U1, { name: '李网格', state: 'read', delivered_ms: T0 + MIN, read_ms: T0 + 4 * MIN }),
      entry(U2, { grid: G2, state: 'pending' }),
      entry(U3.replace('c3', 'd4'), { name: '王网格', role: 'leader', state: 'confirmed', delivered_ms: T0, read_ms: T0, confirmed_ms: T0 + 6 * MIN, reply: '收到' }),
    ];
    const sender = (p: Partial<NoticeDetail> = {}) =>
      detail({ role: 'sender', mine: null, mine_state: 'pending', counts: { total: 3, delivered: 2, read: 2, confirmed: 1 }, roster, overdue: true, ...p });
    let after = sender();
    const api = backend({
      directory: () => DIRECTORY,
      notice_detail: () => after,
      remind_notice: () =>
        (after = sender({ reminders: 1, last_reminded: 2, roster: roster.map((e) => ({ ...e, reminded: e.state !== 'confirmed' })) })),
      close_notice: ({ note }) => (after = sender({ reminders: 1, closed: { at_ms: T0 + 60 * MIN, note } })),
      notices: () => [],
      notices_to_acknowledge: () => [],
    });
    const w = mount(NoticeView, { props: { id: N1 }, global: { plugins: [testRouter()] } });
    await flushPromises();

    expect(w.get('[data-testid="notice-counts"]').text()).toContain('已签收 1/3');
    expect(w.get('[data-testid="notice-overdue"]').text()).toBe('逾期');
    expect(w.find('[data-testid="notice-confirm"]').exists()).toBe(false);
    const rows = w.findAll('[data-testid="notice-roster-row"]');
    expect(rows.map((r) => r.attributes('data-state'))).toEqual(['read', 'pending', 'confirmed']);
    expect(rows[0]!.text()).toContain('李网格');
    expect(rows[0]!.text()).toContain('第一网格');
    expect(rows[0]!.text()).toContain('已读');
    expect(rows[0]!.text()).toContain('2026-11-24 09:04');
    // No name in the directory: the start of the user's id.
    expect(rows[1]!.text()).toContain('b2b2b2b2');
    expect(rows[1]!.text()).toContain('第二网格');
    expect(rows[1]!.text()).toContain('未送达');
    expect(rows[2]!.text()).toContain('网格长');
    expect(rows[2]!.text()).toContain('收到');

    await w.get('[data-testid="notice-remind"]').trigger('click');
    await flushPromises();
    expect(api.argsOf('remind_notice')).toEqual([{ id: N1 }]);
    expect(toastMessage.value).toBe('已向 2 人催收');
    expect(w.findAll('[data-testid="notice-roster-reminded"]')).toHaveLength(2);
    expect(w.get('[data-testid="notice-reminders"]').text()).toBe('已催收 1 次');

    await w.get('[data-testid="notice-close-note"]').setValue('已全部落实');
    await w.get('[data-testid="notice-close"]').trigger('click');
    expect(api.argsOf('close_notice')).toEqual([]);
    expect(w.get('[data-testid="notice-close"]').text()).toBe('再点一次确认结束');
    await w.get('[data-testid="notice-close"]').trigger('click');
    await flushPromises();
    expect(api.argsOf('close_notice')).toEqual([{ id: N1, note: '已全部落实' }]);
    expect(w.get('[data-testid="notice-closed"]').text()).toContain('已全部落实');
    expect(w.find('[data-testid="notice-remind"]').exists()).toBe(false);
  });

  it('shows receipts as they arrive: the page is read again after each sync round', async () => {
    setAppInfo(appInfoFixture({ role: 'leader', party: 'leader', mayNotify: true }));
    let confirmed = 0;
    backend({
      directory: () => DIRECTORY,
      notice_detail: () =>
        detail({
          role: 'sender',
          mine: null,
          counts: { total: 2, delivered: 2, read: 2, confirmed },
          roster: [entry(U1, { state: confirmed ? 'confirmed' : 'read' }), entry(U2, { state: 'read' })],
        }),
    });
    const w = mount(NoticeView, { props: { id: N1 }, global: { plugins: [testRouter()] } });
    await flushPromises();
    expect(w.get('[data-testid="notice-counts"]').attributes('data-confirmed')).toBe('0');
    confirmed = 1;
    syncView.value = {
      state: 'synced',
      online: true,
      docsPending: 0,
      docsWaiting: 0,
      waiting: [],
      photosPending: 0,
      photoBytesPending: 0,
      lastSuccess: '2026-11-24T01:10:00Z',
      lastError: null,
      progress: null,
      encrypted: null,
      directoryAt: null,
    };
    await flushPromises();
    expect(w.get('[data-testid="notice-counts"]').text()).toContain('已签收 1/2');
  });

  it('disables 一键催收 once everyone has confirmed', async () => {
    setAppInfo(appInfoFixture({ role: 'leader', party: 'leader', mayNotify: true }));
    backend({
      directory: () => DIRECTORY,
      notice_detail: () =>
        detail({
          role: 'sender',
          mine: null,
          counts: { total: 1, delivered: 1, read: 1, confirmed: 1 },
          roster: [entry(U1, { name: '李网格', state: 'confirmed', confirmed_ms: T0 })],
        }),
    });
    const w = mount(NoticeView, { props: { id: N1 }, global: { plugins: [testRouter()] } });
    await flushPromises();
    expect(w.get('[data-testid="notice-remind"]').attributes('disabled')).toBeDefined();
  });
});

describe('特急 banner', () => {
  it('asks for the first notice to acknowledge, confirms it with no reply and goes once none is left', async () => {
    setAppInfo(appInfoFixture());
    let waiting = [row(N1, { priority: 'critical', title: '紧急:暴雨转移' }), row(N2, { reminded: true, title: '燃气排查' })];
    const api = backend({
      notices: () => waiting,
      notices_to_acknowledge: () => waiting,
      confirm_notice: ({ id }) => {
        waiting = waiting.filter((r) => r.id !== id);
        return detail({ mine_state: 'confirmed' });
      },
    });
    const router = testRouter();
    const w = mount(UrgentBanner, { global: { plugins: [router] } });
    await refreshNotices();
    await flushPromises();

    const banner = w.get('[data-testid="urgent-banner"]');
    expect(banner.attributes('data-id')).toBe(N1);
    expect(banner.text()).toContain('特急');
    expect(banner.text()).toContain('紧急:暴雨转移');
    expect(banner.text()).toContain('另有 1 条待签收');
    expect(noticeCount.value).toBe(2);

    await w.get('[data-testid="urgent-confirm"]').trigger('click');
    await flushPromises();
    expect(api.argsOf('confirm_notice')).toEqual([{ id: N1, reply: '' }]);
    expect(w.get('[data-testid="urgent-banner"]').attributes('data-id')).toBe(N2);
    expect(w.text()).toContain('催收');

    await w.get('[data-testid="urgent-title"]').trigger('click');
    await flushPromises();
    expect(router.currentRoute.value.path).toBe('/notices/' + N2);
    // On that notice's own page the banner steps aside for its 签收.
    expect(w.find('[data-testid="urgent-banner"]').exists()).toBe(false);

    waiting = [];
    await refreshNotices();
    await flushPromises();
    expect(toAcknowledge.value).toEqual([]);
    expect(w.find('[data-testid="urgent-banner"]').exists()).toBe(false);
  });
});
