import { describe, expect, it } from 'vitest';
import { mount, flushPromises } from '@vue/test-utils';
import HouseholdView from '@/views/HouseholdView.vue';
import { backend, testRouter, settle } from './helpers';
import { HH, R2, householdView } from './fixtures';

describe('conflict picker', () => {
  it('shows both values of a field edited on two devices and resolves with the one picked', async () => {
    let conflicts = [
      {
        resident: R2,
        field: 'phone',
        values: [
          { type: 'str', value: '13812341234' },
          { type: 'str', value: '13987654321' },
        ],
      },
    ];
    const api = backend({
      get_household: () => householdView(conflicts as never),
      resolve_conflict: () => {
        conflicts = [];
        return null;
      },
    });
    const router = testRouter();
    const w = mount(HouseholdView, { props: { id: HH }, global: { plugins: [router] } });
    await flushPromises();
    await settle();

    const box = w.get('[data-testid="conflict-phone"]');
    expect(box.text()).toContain('李秀英');
    const picks = box.findAll('[data-testid="conflict-pick"]');
    expect(picks.map((p) => p.text())).toEqual(['13812341234', '13987654321']);

    await picks[1]!.trigger('click');
    await flushPromises();
    await settle();
    expect(api.argsOf('resolve_conflict')).toEqual([
      { resident: R2, field: 'phone', value: { type: 'str', value: '13987654321' } },
    ]);
    // the household is read again and the conflict is gone
    expect(api.argsOf('get_household')).toHaveLength(2);
    expect(w.find('[data-testid="conflict-phone"]').exists()).toBe(false);
    expect(w.findAll('[data-testid="res-item"]')).toHaveLength(3);
  });
});
