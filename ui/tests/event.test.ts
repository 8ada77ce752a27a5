import { describe, expect, it } from 'vitest';
import { mount, flushPromises } from '@vue/test-utils';
import EventPanel from '@/components/EventPanel.vue';
import TasksView from '@/views/TasksView.vue';
import { setAppInfo } from '@/composables/appInfo';
import { taskCount } from '@/composables/tasks';
import { syncView } from '@/composables/sync';
import { buildAction, emptyForm } from '@/lib/steps';
import { ACTION_FORMS, REFUSAL_TEXT } from '@/bindings/codes';
import type { EventDetail, SyncView, Task } from '@/lib/types';
import { appInfoFixture } from './fixtures';
import { backend, testRouter, settle } from './helpers';

const REPORT = '9d2b6c0e-1f3a-4b5c-8d7e-0a1b2c3d4e5f';
const STEP = '5f1e2d3c-4b5a-4968-8776-655443322110';
const DAY = 24 * 3600 * 1000;
const T0 = Date.UTC(2026, 10, 24, 2, 0);

function offView(): SyncView {
  return {
    state: 'synced',
    online: true,
    docsPending: 0,
    docsWaiting: 0,
    waiting: [],
    photosPending: 0,
    photoBytesPending: 0,
    lastSuccess: null,
    lastError: null,
    progress: null,
    encrypted: null,
    directoryAt: null,
  };
}

function detail(p: Partial<EventDetail> = {}): EventDetail {
  return {
    report: REPORT,
    grid: '110105001001001',
    state: 'pending',
    level: 'grid',
    assignee: null,
    verifier: null,
    first_responsible: null,
    deadline: { stage: 'accept', start_ms: T0, due_ms: T0 + DAY, mark: 'on_time' },
    pending_delay_days: null,
    reworks: 0,
    send_backs: 0,
    supervision: null,
    open_conflicts: [],
    timeline: [
      {
        step: STEP,
        kind: 'file',
        by: 'member-a',
        role: 'member',
        unit: '110105001001001',
        at_ms: T0,
        note: '楼道堆放杂物',
        photos: ['a'.repeat(64)],
        status: { status: 'applied', state: 'pending' },
      },
    ],
    unreadable_steps: 0,
    allowed: ['accept', 'escalate'],
    ...p,
  };
}

function task(report: string, p: Partial<Task> = {}): Task {
  return {
    report,
    grid: '110105001001001',
    category: 'fire_passage',
    category_name: '消防通道堵塞',
    severity: 'normal',
    supervision: null,
    state: 'pending',
    level: 'grid',
    actions: ['accept'],
    deadline: { stage: 'accept', start_ms: T0, due_ms: T0 + DAY, mark: 'on_time' },
    filed_at_ms: T0,
    ...p,
  };
}

describe('event panel', () => {
  it('shows the state, the clock and one button per allowed step; accept sends its limit', async () => {
    setAppInfo(appInfoFixture({ role: 'leader', party: 'leader', userId: 'leader-1' }));
    const api = backend({
      event_detail: () => detail(),
      take_step: () =>
        detail({
          state: 'in_progress',
          assignee: { kind: 'member', id: 'leader-1' },
          allowed: ['hand_over', 'progress', 'finish'],
        }),
    });
    const w = mount(EventPanel, { props: { report: REPORT }, global: { plugins: [testRouter()] } });
    await flushPromises();

    expect(w.get('[data-testid="event-state"]').text()).toBe('待受理');
    expect(w.get('[data-testid="event-deadline"]').attributes('data-mark')).toBe('on_time');
    expect(w.findAll('[data-testid="event-step"]').map((s) => s.attributes('data-kind'))).toEqual(['file']);
    expect(w.findAll('[data-testid^="event-action-"]').map((b) => b.attributes('data-testid'))).toEqual([
      'event-action-accept',
      'event-action-escalate',
    ]);

    await w.get('[data-testid="event-action-accept"]').trigger('click');
    expect(w.get('[data-testid="event-form"]').attributes('data-kind')).toBe('accept');
    await w.get('[data-testid="event-limit"]').setValue('3');
    await w.get('[data-testid="event-limit-unit-hours"]').trigger('click');
    await w.get('[data-testid="event-submit"]').trigger('click');
    await flushPromises();

    expect(api.argsOf('take_step')).toEqual([{ report: REPORT, action: { kind: 'accept', limit: { working_hours: 3 } } }]);
    expect(w.get('[data-testid="event-state"]').text()).toBe('办理中');
    expect(w.get('[data-testid="event-assignee"]').text()).toContain('本人');
    expect(w.find('[data-testid="event-form"]').exists()).toBe(false);
    expect(w.find('[data-testid="event-action-finish"]').exists()).toBe(true);
  });

  it('builds each form from core\'s table: what it asks for and what it requires', async () => {
    setAppInfo(appInfoFixture({ role: 'centre', party: 'centre' }));
    backend({
      event_detail: () => detail({ state: 'pending', level: 'centre', allowed: ['dispatch', 'supervise', 'escalate'] }),
    });
    const w = mount(EventPanel, { props: { report: REPORT }, global: { plugins: [testRouter()] } });
    await flushPromises();
    const label = () => w.get('[data-testid="event-note"]').element.closest('label')!.querySelector('.ff__label')!.textContent;
    for (const kind of ['dispatch', 'supervise', 'escalate'] as const) {
      await w.get(`[data-testid="event-action-${kind}"]`).trigger('click');
      const form = ACTION_FORMS[kind];
      expect(w.find('[data-testid="event-limit"]').exists()).toBe(form.limit);
      expect(w.find('[data-testid="event-photo-input"]').exists()).toBe(form.photos !== null);
      expect(label()!.endsWith('(选填)')).toBe(!form.textRequired);
    }
    // 上报 to the next level needs its reason; 派遣 a limit and a target.
    expect(ACTION_FORMS.escalate).toMatchObject({ text: 'reason', textRequired: true });
    expect(ACTION_FORMS.dispatch).toMatchObject({ target: 'any', limit: true, textRequired: false });
  });

  it('offers the departments of the directory by name as dispatch targets', async () => {
    setAppInfo(appInfoFixture({ role: 'centre', party: 'centre' }));
    const api = backend({
      directory: () => [
        { code: '110105001', name: '建外街道', kind: 'division' },
        { code: '110105001-cgj', name: '城管科', kind: 'department' },
        { code: '110105001-zjj', name: '住建科', kind: 'department' },
        { code: '110105001001001', name: '第一网格', kind: 'grid' },
      ],
      event_detail: () => detail({ state: 'pending', level: 'centre', allowed: ['dispatch'] }),
      take_step: ({ action }) =>
        detail({ state: 'in_progress', level: 'centre', allowed: [], assignee: action.to }),
    });
    const w = mount(EventPanel, { props: { report: REPORT }, global: { plugins: [testRouter()] } });
    await flushPromises();
    await w.get('[data-testid="event-action-dispatch"]').trigger('click');
    expect(w.findAll('[data-testid^="event-target-unit-"]').map((c) => c.text())).toEqual(['第一网格']);
    await w.get('[data-testid="event-target-kind-department"]').trigger('click');
    expect(w.findAll('[data-testid^="event-target-unit-"]').map((c) => c.text())).toEqual(['城管科', '住建科']);
    await w.get('[data-testid="event-target-unit-110105001-zjj"]').trigger('click');
    expect((w.get('[data-testid="event-target"]').element as HTMLInputElement).value).toBe('110105001-zjj');
    await w.get('[data-testid="event-submit"]').trigger('click');
    await flushPromises();
    expect(api.argsOf('take_step')[0].action.to).toEqual({ kind: 'department', id: '110105001-zjj' });
    // The assignee reads by its name.
    expect(w.get('[data-testid="event-assignee"]').text()).toContain('住建科');
  });

  it('reads the directory again when it arrives after the page opened', async () => {
    setAppInfo(appInfoFixture({ role: 'centre', party: 'centre' }));
    let units: { code: string; name: string; kind: string }[] = [];
    backend({
      directory: () => units,
      event_detail: () => detail({ state: 'pending', level: 'centre', allowed: ['dispatch'] }),
    });
    const w = mount(EventPanel, { props: { report: REPORT }, global: { plugins: [testRouter()] } });
    await flushPromises();
    await w.get('[data-testid="event-action-dispatch"]').trigger('click');
    await w.get('[data-testid="event-target-kind-department"]').trigger('click');
    expect(w.findAll('[data-testid^="event-target-unit-"]')).toHaveLength(0);
    // The photo task fetched it after the documents' round: only the status says so.
    units = [{ code: '110105001-cgj', name: '城管科', kind: 'department' }];
    syncView.value = { ...(syncView.value ?? offView()), directoryAt: '2026-11-24T02:05:00Z' };
    await flushPromises();
    expect(w.findAll('[data-testid^="event-target-unit-"]').map((c) => c.text())).toEqual(['城管科']);
  });

  it('shows a refused step in Chinese from its refusal code and keeps the form open', async () => {
    setAppInfo(appInfoFixture({ role: 'leader', party: 'leader' }));
    backend({
      event_detail: () => detail({ state: 'in_progress', allowed: ['finish'] }),
      take_step: () => {
        throw { code: 'invalid_status', message: 'refused: missing_photo', refusal: 'missing_photo' };
      },
    });
    const w = mount(EventPanel, { props: { report: REPORT }, global: { plugins: [testRouter()] } });
    await flushPromises();
    await w.get('[data-testid="event-action-finish"]').trigger('click');
    expect(w.find('[data-testid="event-photo-input"]').exists()).toBe(true);
    await w.get('[data-testid="event-note"]').setValue('已清理');
    await w.get('[data-testid="event-submit"]').trigger('click');
    await flushPromises();
    expect(w.get('[data-testid="event-error"]').text()).toBe(REFUSAL_TEXT.missing_photo);
    expect(w.find('[data-testid="event-form"]').exists()).toBe(true);
    expect(w.get('[data-testid="event-state"]').text()).toBe('办理中');
  });

  it('marks a conflicting step and lets the dispatcher settle it', async () => {
    setAppInfo(appInfoFixture({ role: 'community', party: 'community', mayFile: false }));
    const conflict = '77777777-7777-4777-8777-777777777777';
    const base = detail();
    const api = backend({
      event_detail: () =>
        detail({
          state: 'in_progress',
          open_conflicts: [conflict],
          allowed: ['settle'],
          timeline: [
            ...base.timeline,
            {
              step: conflict,
              kind: 'send_back',
              by: 'member-a',
              role: 'member',
              unit: '110105001001001',
              at_ms: T0 + 1000,
              note: '',
              photos: [],
              status: { status: 'conflict', refusal: 'wrong_state', lost_to: [STEP], settled: false },
            },
          ],
        }),
      take_step: () => detail({ state: 'in_progress', allowed: [] }),
    });
    const w = mount(EventPanel, { props: { report: REPORT }, global: { plugins: [testRouter()] } });
    await flushPromises();
    const steps = w.findAll('[data-testid="event-step"]');
    expect(steps.map((s) => s.attributes('data-status'))).toEqual(['applied', 'conflict']);
    expect(w.get('[data-testid="event-conflicts"]').text()).toContain('1');
    await w.get('[data-testid="event-action-settle"]').trigger('click');
    await w.get('[data-testid="event-decision-dismiss"]').trigger('click');
    await w.get('[data-testid="event-submit"]').trigger('click');
    await flushPromises();
    expect(api.argsOf('take_step')).toEqual([{ report: REPORT, action: { kind: 'settle', conflict, decision: 'dismiss' } }]);
    expect(w.find('[data-testid="event-no-actions"]').exists()).toBe(true);
  });
});

describe('step forms', () => {
  it('shapes each action as core reads it', () => {
    const f = { ...emptyForm(), note: ' 请尽快处理 ', target: ' 110105001001002 ', amount: '7' };
    expect(buildAction('dispatch', f)).toEqual({
      kind: 'dispatch',
      to: { kind: 'grid', id: '110105001001002' },
      limit: { working_days: 7 },
      note: '请尽快处理',
    });
    expect(buildAction('dispatch', { ...f, targetKind: 'department', target: 'chengguan' })).toMatchObject({
      to: { kind: 'department', id: 'chengguan' },
    });
    expect(buildAction('hand_over', f)).toEqual({ kind: 'hand_over', member: '110105001001002', note: '请尽快处理' });
    expect(buildAction('request_delay', { ...f, amount: 'x' })).toEqual({ kind: 'request_delay', days: 0, reason: '请尽快处理' });
    expect(buildAction('rate', f)).toBeNull();
    expect(buildAction('rate', { ...f, rating: 'unsatisfied' })).toEqual({ kind: 'rate', rating: 'unsatisfied', note: '请尽快处理' });
    expect(buildAction('settle', f)).toBeNull();
    expect(buildAction('file', f)).toBeNull();
    expect(buildAction('approve_delay', f)).toEqual({ kind: 'approve_delay' });
  });
});

describe('to-do list', () => {
  it('counts each tab, shows overdue and supervised, and opens the report', async () => {
    setAppInfo(appInfoFixture({ role: 'leader', party: 'leader' }));
    backend({
      my_tasks: () => [
        task('r-1', { deadline: { stage: 'handle', start_ms: T0, due_ms: T0 + DAY, mark: 'overdue' }, state: 'in_progress', actions: ['finish'] }),
        task('r-2', { supervision: 'red' }),
        task('r-3', { state: 'awaiting_check', actions: ['verify', 'reject_check'], deadline: null }),
      ],
    });
    const router = testRouter();
    const w = mount(TasksView, { global: { plugins: [router] } });
    await flushPromises();
    await settle();

    const count = (t: string) => w.get(`[data-testid="tasks-tab-${t}"]`).attributes('data-count');
    expect(count('all')).toBe('3');
    expect(count('pending')).toBe('1');
    expect(count('overdue')).toBe('1');
    expect(count('supervised')).toBe('1');
    expect(w.find('[data-testid="tasks-tab-closed"]').exists()).toBe(false);
    expect(taskCount.value).toBe(3);

    await w.get('[data-testid="tasks-tab-overdue"]').trigger('click');
    const items = w.findAll('[data-testid="task-item"]');
    expect(items.map((i) => i.attributes('data-id'))).toEqual(['r-1']);
    expect(items[0]!.text()).toContain('超期');
    await items[0]!.trigger('click');
    await flushPromises();
    expect(router.currentRoute.value.path).toBe('/reports/r-1');
  });
});
