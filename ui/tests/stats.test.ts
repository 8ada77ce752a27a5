import { describe, expect, it } from 'vitest';
import { mount, flushPromises } from '@vue/test-utils';
import StatsView from '@/views/StatsView.vue';
import TasksView from '@/views/TasksView.vue';
import { setAppInfo } from '@/composables/appInfo';
import { toastMessage } from '@/composables/toast';
import { percent, periodOf } from '@/lib/period';
import type { Figures, StatsRow, StatsView as Stats } from '@/lib/types';
import { appInfoFixture } from './fixtures';
import { backend, testRouter, settle } from './helpers';

function figures(p: Partial<Figures> = {}): Figures {
  return {
    reports: 0,
    accepted: 0,
    due: 0,
    deferred: 0,
    closed: 0,
    closed_on_time: 0,
    overdue: 0,
    closed_in_period: 0,
    reworked: 0,
    visits: 0,
    satisfied: 0,
    median_handling_ms: null,
    ...p,
  };
}

function row(code: string, name: string, f: Figures): StatsRow {
  const r = (numerator: number, denominator: number) => ({ numerator, denominator });
  return {
    code,
    name,
    figures: f,
    closure: r(f.closed, f.due - f.deferred),
    onTime: r(f.closed_on_time, f.closed),
    rework: r(f.reworked, f.closed_in_period),
    satisfaction: r(f.satisfied, f.visits),
  };
}

function stats(from: string, to: string): Stats {
  const a = figures({ reports: 3, due: 2, closed: 1, closed_on_time: 1, overdue: 1, visits: 1, satisfied: 1, median_handling_ms: 5_400_000 });
  const b = figures({ reports: 1 });
  const total = figures({ reports: 4, due: 2, closed: 1, closed_on_time: 1, overdue: 1, visits: 1, satisfied: 1, median_handling_ms: 5_400_000 });
  return {
    from,
    to,
    total: row('', '合计', total),
    byGrid: [row('110105001001001', '110105001001001', a), row('110105002001001', '110105002001001', b)],
    byCommunity: [row('110105001001', '幸福社区', a), row('110105002001', '和平社区', b)],
    byCategory: [row('safety', '安全隐患', total)],
  };
}

describe('the statistics periods', () => {
  it('count months and weeks back from the device today', () => {
    expect(periodOf('this_month', '2026-11-24')).toEqual({ from: '2026-11-01', to: '2026-11-30' });
    expect(periodOf('last_month', '2026-01-05')).toEqual({ from: '2025-12-01', to: '2025-12-31' });
    expect(periodOf('last_month', '2028-03-10')).toEqual({ from: '2028-02-01', to: '2028-02-29' });
    expect(periodOf('last_7', '2026-03-02')).toEqual({ from: '2026-02-24', to: '2026-03-02' });
    expect(periodOf('this_year', '2026-11-24')).toEqual({ from: '2026-01-01', to: '2026-12-31' });
  });

  it('show a rate with nothing below the line as none, never 0 %', () => {
    expect(percent({ numerator: 0, denominator: 0 }, '—')).toBe('—');
    expect(percent({ numerator: 1, denominator: 3 }, '—')).toBe('33.3%');
  });
});

describe('the statistics screen', () => {
  it('shows the figures of the chosen period, by grid and category, and exports them', async () => {
    setAppInfo(appInfoFixture({ party: 'centre', role: 'centre', mayFile: false, mayCount: true, today: '2026-11-24' }));
    toastMessage.value = null;
    const be = backend({
      event_stats: ({ from, to }) => stats(from, to),
      export_stats: ({ from, to }) => ({ path: `/data/exports/事件统计_${from}_${to}.xlsx`, name: 'x.xlsx', bytes: 5120 }),
    });
    const w = mount(StatsView, { global: { plugins: [testRouter()] } });
    await flushPromises();
    await settle();

    expect(be.argsOf('event_stats')).toEqual([{ from: '2026-11-01', to: '2026-11-30' }]);
    expect(w.get('[data-testid="stats-period"]').text()).toBe('2026-11-01 至 2026-11-30');
    const card = (id: string) => w.get(`[data-testid="stats-${id}"] .stats-card__value`).text();
    expect(card('reports')).toBe('4');
    expect(card('closure')).toBe('50.0%');
    expect(card('on-time')).toBe('100.0%');
    expect(card('overdue')).toBe('1');
    expect(card('satisfaction')).toBe('100.0%');
    expect(card('handling')).toBe('1.5 小时');

    const grid = w.get('[data-testid="stats-by-grid"]').findAll('[data-testid="stats-row"]');
    expect(grid.map((r) => r.attributes('data-code'))).toEqual(['110105001001001', '110105002001001']);
    // Grid B had nothing due: its closure rate reads none.
    expect(grid[1]!.findAll('td').map((c) => c.text())).toEqual(['110105002001001', '1', '0', '—', '0', '—']);
    const communities = w.get('[data-testid="stats-by-community"]').findAll('[data-testid="stats-row"]');
    expect(communities.map((r) => r.findAll('td')[0]!.text())).toEqual(['幸福社区', '和平社区']);
    expect(w.get('[data-testid="stats-by-category"]').text()).toContain('安全隐患');

    await w.get('[data-testid="stats-period-last_month"]').trigger('click');
    await flushPromises();
    expect(be.argsOf('event_stats').at(-1)).toEqual({ from: '2026-10-01', to: '2026-10-31' });

    await w.get('[data-testid="stats-export"]').trigger('click');
    await flushPromises();
    expect(be.argsOf('export_stats')).toEqual([{ from: '2026-10-01', to: '2026-10-31' }]);
    expect(toastMessage.value).toBe('已导出:/data/exports/事件统计_2026-10-01_2026-10-31.xlsx');
  });

  it('shows a refusal in Chinese and is offered on the to-do page to leaders, not members', async () => {
    setAppInfo(appInfoFixture({ party: 'leader', role: 'leader', mayCount: true }));
    backend({
      event_stats: () => {
        throw { code: 'invalid', message: 'period', fields: [{ field: 'period', code: 'invalid_value', message: 'x' }] };
      },
      my_tasks: () => [],
    });
    const w = mount(StatsView, { global: { plugins: [testRouter()] } });
    await flushPromises();
    await settle();
    expect(w.find('[data-testid="stats-error"]').exists()).toBe(true);
    expect(w.get('[data-testid="stats-error"]').text()).not.toContain('period');

    const tasks = mount(TasksView, { global: { plugins: [testRouter()] } });
    await flushPromises();
    expect(tasks.find('[data-testid="open-stats"]').exists()).toBe(true);
    setAppInfo(appInfoFixture({ party: 'member', mayCount: false }));
    await flushPromises();
    expect(tasks.find('[data-testid="open-stats"]').exists()).toBe(false);
  });
});
