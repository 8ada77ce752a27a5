import { describe, expect, it } from 'vitest';
import { mount, flushPromises } from '@vue/test-utils';
import JournalView from '@/views/JournalView.vue';
import SetupView from '@/views/SetupView.vue';
import HouseholdsView from '@/views/HouseholdsView.vue';
import HomeView from '@/views/HomeView.vue';
import { setAppInfo } from '@/composables/appInfo';
import { backend, testRouter, settle } from './helpers';
import { HH, appInfoFixture as info, checkRow } from './fixtures';

describe('journal', () => {
  it('drafts from the day\u2019s records, saves the edited text for the day, lists history', async () => {
    setAppInfo(info({}));
    let days = ['2026-11-23'];
    const api = backend({
      journal_entry: () => null,
      journal_days: () => days,
      draft_journal: ({ day }) => ({ id: 'j', date: day, member: 'm', items: ['入户走访2户(信息采集2户)', '测温5人、5人次,未发现发热'], notes: '' }),
      save_journal: () => {
        days = ['2026-11-24', ...days];
        return null;
      },
    });
    const w = mount(JournalView, { global: { plugins: [testRouter()] } });
    await flushPromises();
    expect(w.findAll('[data-testid="journal-history-item"]')).toHaveLength(1);
    await w.get('[data-testid="journal-draft"]').trigger('click');
    await flushPromises();
    const text = w.get('[data-testid="journal-text"]');
    expect((text.element as HTMLTextAreaElement).value).toBe('入户走访2户(信息采集2户)\n测温5人、5人次,未发现发热');
    expect(api.argsOf('draft_journal')).toEqual([{ day: '2026-11-24' }]);
    await text.setValue('入户走访2户\n调解邻里纠纷1起');
    await w.get('[data-testid="journal-save"]').trigger('click');
    await flushPromises();
    expect(api.argsOf('save_journal')).toEqual([{ day: '2026-11-24', text: '入户走访2户\n调解邻里纠纷1起' }]);
    expect(w.findAll('[data-testid="journal-history-item"]').map((e) => e.attributes('data-day'))).toEqual([
      '2026-11-24',
      '2026-11-23',
    ]);
  });
});

describe('first run', () => {
  it('prefills the relay address and shows a refused enrollment in Chinese', async () => {
    setAppInfo(info({ state: 'new', prefillRelayUrl: 'http://127.0.0.1:9000' }));
    const api = backend({
      enroll: () => {
        throw { code: 'enroll_code_invalid', message: 'the enrollment code is unknown, used or expired' };
      },
    });
    const w = mount(SetupView, { global: { plugins: [testRouter()] } });
    expect((w.get('[data-testid="setup-relay-url"]').element as HTMLInputElement).value).toBe('http://127.0.0.1:9000');
    await w.get('[data-testid="setup-code"]').setValue(' ABCD-1234 ');
    await w.get('[data-testid="setup-enroll"]').trigger('click');
    await flushPromises();
    // Sent as typed: core trims and checks the form.
    expect(api.argsOf('enroll')).toEqual([{ relayUrl: 'http://127.0.0.1:9000', code: ' ABCD-1234 ' }]);
    expect(w.get('[data-testid="setup-error"]').text()).toBe('注册码无效、已使用或已过期,请向网格中心重新索取');
  });

  it('enrolls with a pasted enrollment link, and says plainly when the relay is not trusted', async () => {
    setAppInfo(info({ state: 'new' }));
    const api = backend({
      enroll_link: () => {
        throw { code: 'enroll_tls_not_pinned', message: "the relay's certificate is not trusted (NotPinned)" };
      },
    });
    const w = mount(SetupView, { global: { plugins: [testRouter()] } });
    const link = 'wangge://enroll?v=1&relay=https%3A%2F%2Fgrid.example.gov.cn&code=ABCD-EFGH&pin=' + 'A'.repeat(43);
    await w.get('[data-testid="setup-relay-url"]').setValue(` ${link} `);
    await w.get('[data-testid="setup-enroll"]').trigger('click');
    await flushPromises();
    expect(api.argsOf('enroll_link')).toEqual([{ link }]);
    expect(api.argsOf('enroll')).toEqual([]);
    expect(w.get('[data-testid="setup-error"]').text()).toBe(
      '服务器密钥与注册链接约定的不符,无法注册,请联系网格中心',
    );
  });

  it('shows what core found wrong with each field of the enrollment form beside it', async () => {
    setAppInfo(info({ state: 'new' }));
    backend({
      enroll: () => {
        throw {
          code: 'invalid',
          message: 'invalid input',
          fields: [
            { field: 'relay_url', code: 'required_field', message: 'is required' },
            { field: 'code', code: 'required_field', message: 'is required' },
          ],
        };
      },
    });
    const w = mount(SetupView, { global: { plugins: [testRouter()] } });
    await w.get('[data-testid="setup-enroll"]').trigger('click');
    await flushPromises();
    expect(w.get('[data-testid="setup-error-relay_url"]').text()).toBe('必填');
    expect(w.get('[data-testid="setup-error-code"]').text()).toBe('必填');
    expect(w.find('[data-testid="setup-error"]').exists()).toBe(false);
  });
});

describe('household list', () => {
  it('marks 红心户, shows days since the last visit, and searches residents through core', async () => {
    const api = backend({
      list_households: () => [
        { id: HH, grid: 'g', address: '幸福小区3栋2单元501室', head_name: '张建国', tags: ['elderly', 'dibao'], needs_home_visit: true, resident_count: 2, last_visit_at: null, days_since_visit: 12 },
        { id: 'hh-2', grid: 'g', address: '帽儿胡同12号', head_name: null, tags: [], needs_home_visit: false, resident_count: 1, last_visit_at: null, days_since_visit: null },
      ],
      search_residents: ({ query }) =>
        query === 'zjg'
          ? [{ resident: 'r1', household: HH, grid: 'g', name: '张建国', address: '幸福小区3栋2单元501室', phone_masked: '139****5678', id_masked: null, tags: [], matched: 'pinyin' }]
          : [],
    });
    const w = mount(HouseholdsView, { global: { plugins: [testRouter()] } });
    await flushPromises();
    const items = w.findAll('[data-testid="hh-item"]');
    expect(items.map((i) => i.attributes('data-red-heart'))).toEqual(['true', 'false']);
    expect(items[0]!.text()).toContain('12 天前走访');
    expect(items[0]!.text()).toContain('低保');
    expect(items[1]!.text()).toContain('未走访');

    await w.get('[data-testid="hh-search"]').setValue('zjg');
    await new Promise((r) => setTimeout(r, 200));
    await settle();
    expect(api.argsOf('search_residents')).toEqual([{ query: 'zjg' }]);
    const hits = w.findAll('[data-testid="hh-item"]');
    expect(hits).toHaveLength(1);
    expect(hits[0]!.attributes('data-id')).toBe(HH);
    expect(hits[0]!.text()).toContain('139****5678');
  });
});

describe('sync page', () => {
  it('shows pending counts and the last failure in Chinese, and syncs on demand', async () => {
    const { startSyncStatus } = await import('@/composables/sync');
    const api = backend({
      sync_status: () => ({
        state: 'error',
        online: false,
        docsPending: 7,
        docsWaiting: 0,
        waiting: [],
        photosPending: 2,
        photoBytesPending: 900000,
        lastSuccess: null,
        lastError: 'unauthorized',
        progress: null,
      }),
      sync_now: () => null,
    });
    const SyncView = (await import('@/views/SyncView.vue')).default;
    const w = mount(SyncView, { global: { plugins: [testRouter()] } });
    await startSyncStatus();
    await flushPromises();
    expect(w.get('[data-testid="sync-state"]').attributes('data-state')).toBe('error');
    expect(w.get('[data-testid="sync-docs-pending"]').text()).toBe('7');
    expect(w.get('[data-testid="sync-photos-pending"]').text()).toBe('2');
    expect(w.get('[data-testid="sync-last-success"]').text()).toBe('从未同步');
    expect(w.get('[data-testid="sync-error"]').text()).toBe('设备未授权或已被停用,请联系网格中心');
    await w.get('[data-testid="sync-now"]').trigger('click');
    await flushPromises();
    expect(api.argsOf('sync_now')).toHaveLength(1);
    expect(w.find('[data-testid="sync-docs-waiting"]').exists()).toBe(false);
  });

  it('shows documents the relay does not take yet as kept and waiting, with why', async () => {
    const { startSyncStatus } = await import('@/composables/sync');
    backend({
      sync_status: () => ({
        state: 'synced',
        online: true,
        docsPending: 0,
        docsWaiting: 3,
        waiting: [
          { reason: 'waiting_unknown_kind', count: 2 },
          { reason: 'waiting_scope_forbidden', count: 1 },
        ],
        photosPending: 0,
        photoBytesPending: 0,
        lastSuccess: '2026-12-01T02:00:00Z',
        lastError: null,
        progress: 100,
      }),
    });
    const SyncView = (await import('@/views/SyncView.vue')).default;
    const w = mount(SyncView, { global: { plugins: [testRouter()] } });
    await startSyncStatus();
    await flushPromises();
    expect(w.get('[data-testid="sync-state"]').attributes('data-state')).toBe('synced');
    expect(w.get('[data-testid="sync-docs-waiting"]').text()).toBe('3');
    const reasons = w.findAll('[data-testid="sync-waiting"] li');
    expect(reasons.map((r) => r.attributes('data-reason'))).toEqual(['waiting_unknown_kind', 'waiting_scope_forbidden']);
    expect(reasons[0]!.text()).toBe('服务器版本较旧,暂不接收这类记录;服务器升级后自动上传(2)');
    expect(w.text()).toContain('不会丢失');
  });
});

describe('household form and visit', () => {
  it('creates a courtyard household with the street fields and 红心户', async () => {
    const HouseholdFormView = (await import('@/views/HouseholdFormView.vue')).default;
    const api = backend({ validate_household: () => [], create_household: () => 'new-hh' });
    const router = testRouter();
    await router.push('/households/new');
    const w = mount(HouseholdFormView, { global: { plugins: [router] } });
    expect(w.find('[data-testid="hhf-street"]').exists()).toBe(false);
    await w.get('[data-testid="hhf-kind-street"]').trigger('click');
    expect(w.find('[data-testid="hhf-building"]').exists()).toBe(false);
    await w.get('[data-testid="hhf-street"]').setValue('帽儿胡同');
    await w.get('[data-testid="hhf-number"]').setValue('12');
    await w.get('[data-testid="hhf-red-heart"]').setValue(true);
    await w.get('[data-testid="hhf-tag-dibao"]').trigger('click');
    await w.get('[data-testid="hhf-save"]').trigger('click');
    await flushPromises();
    expect(api.argsOf('create_household')).toEqual([
      { input: { address: { kind: 'street', street: '帽儿胡同', number: '12' }, tags: ['dibao'], needs_home_visit: true, notes: '' } },
    ]);
    expect(router.currentRoute.value.path).toBe('/households/new-hh');
  });

  it('records a visit with its purpose and the needs collected, a typed need included', async () => {
    const VisitView = (await import('@/views/VisitView.vue')).default;
    const { householdView } = await import('./fixtures');
    const api = backend({ get_household: () => householdView(), record_visit: () => 'visit-1' });
    const w = mount(VisitView, { props: { id: HH }, global: { plugins: [testRouter()] } });
    await flushPromises();
    await w.get('[data-testid="visit-purpose-safety_patrol"]').trigger('click');
    await w.get('[data-testid="visit-notes"]').setValue('检查燃气阀门');
    await w.get('[data-testid="visit-need-text"]').setValue('更换烟感报警器');
    await w.get('[data-testid="visit-need-add"]').trigger('click');
    expect(w.findAll('[data-testid="visit-need-item"]')).toHaveLength(1);
    await w.get('[data-testid="visit-need-text"]').setValue('代办医保卡');
    await w.get('[data-testid="visit-save"]').trigger('click');
    await flushPromises();
    expect(api.argsOf('record_visit')).toEqual([
      { input: { household: HH, purpose: 'safety_patrol', notes: '检查燃气阀门', needs: ['更换烟感报警器', '代办医保卡'] } },
    ]);
  });
});

describe('home', () => {
  it('lists fevers; one whose household has not synced yet says so and opens nothing', async () => {
    setAppInfo(info({}));
    backend({
      day_summary: () => ({ date: '2026-11-24', checks_done: 2, checks_due: 5, fevers: 2, visits: 0, reports_filed: 0, open_reports: 0 }),
      fever_list: () => [checkRow('r1', '王建国', 381, true), { ...checkRow('r9', '', 379, true), household: null }],
    });
    const router = testRouter();
    const w = mount(HomeView, { global: { plugins: [router] } });
    await flushPromises();
    const items = w.findAll('[data-testid="home-fever-item"]');
    expect(items).toHaveLength(2);
    expect(items[0].text()).toContain('王建国');
    expect(items[1].text()).toContain('住户资料同步中');
    expect(items[1].text()).toContain('37.9');
    await items[1].trigger('click');
    await settle();
    expect(router.currentRoute.value.fullPath).toBe('/');
    await items[0].trigger('click');
    await settle();
    expect(router.currentRoute.value.fullPath).toBe('/households/' + HH);
  });

  it('the checks card opens the first household with readings due, or the list when none is', async () => {
    setAppInfo(info({}));
    let due: string | null = HH;
    const api = backend({
      day_summary: () => ({ date: '2026-11-24', checks_done: 2, checks_due: 5, fevers: 0, visits: 0, reports_filed: 0, open_reports: 0 }),
      next_household_due: () => due,
    });
    const router = testRouter();
    const w = mount(HomeView, { global: { plugins: [router] } });
    await flushPromises();
    await w.get('[data-testid="home-checks"]').trigger('click');
    await settle();
    expect(api.argsOf('next_household_due')[0].household).toBeNull();
    expect(router.currentRoute.value.path).toBe('/households/' + HH + '/temperature');
    expect(['morning', 'afternoon']).toContain(router.currentRoute.value.query.slot);
    due = null;
    await router.push('/');
    await w.get('[data-testid="home-checks"]').trigger('click');
    await settle();
    expect(router.currentRoute.value.fullPath).toBe('/households');
  });
});
