import { describe, expect, it } from 'vitest';
import { mount, flushPromises } from '@vue/test-utils';
import HouseholdView from '@/views/HouseholdView.vue';
import ResidentFormView from '@/views/ResidentFormView.vue';
import { backend, testRouter, settle } from './helpers';
import { HH, R2, R3, householdView } from './fixtures';

describe('moving out', () => {
  it('takes two taps on the resident form, then marks the resident moved out', async () => {
    const api = backend({
      resident_input: () => ({ name: '李秀英', id_number: '', phone: '', relation: 'spouse', status: 'registered', tags: [], notes: '' }),
      validate_resident: () => [],
      set_moved_out: () => null,
    });
    const router = testRouter();
    const w = mount(ResidentFormView, { props: { household: HH, id: R2 }, global: { plugins: [router] } });
    await flushPromises();
    const btn = w.get('[data-testid="rf-move-out"]');
    expect(btn.text()).toBe('迁出');
    await btn.trigger('click');
    await flushPromises();
    expect(api.argsOf('set_moved_out')).toEqual([]);
    expect(btn.text()).toBe('再点一次确认迁出');
    await btn.trigger('click');
    await flushPromises();
    await settle();
    expect(api.argsOf('set_moved_out')).toEqual([{ resident: R2, movedOut: true }]);
  });

  it('is not offered while adding a resident', async () => {
    backend({ validate_resident: () => [] });
    const w = mount(ResidentFormView, { props: { household: HH }, global: { plugins: [testRouter()] } });
    await flushPromises();
    expect(w.find('[data-testid="rf-move-out"]').exists()).toBe(false);
  });

  it('lists moved-out residents apart in the household and moves one back', async () => {
    let movedOut = true;
    const view = () => {
      const v = householdView();
      v.household.residents = v.household.residents.map((r) => (r.id === R3 ? { ...r, moved_out: movedOut } : r));
      return v;
    };
    const api = backend({
      get_household: view,
      set_moved_out: ({ movedOut: m }) => {
        movedOut = m;
        return null;
      },
    });
    const w = mount(HouseholdView, { props: { id: HH }, global: { plugins: [testRouter()] } });
    await flushPromises();
    await settle();
    expect(w.findAll('[data-testid="res-item"]').map((e) => e.attributes('data-id'))).not.toContain(R3);
    expect(w.find('[data-testid="res-moved-out-item"]').exists()).toBe(false);
    await w.get('[data-testid="res-moved-out-toggle"]').trigger('click');
    const item = w.get('[data-testid="res-moved-out-item"]');
    expect(item.attributes('data-id')).toBe(R3);
    expect(item.text()).toContain('王小明');
    await item.get('[data-testid="res-move-back"]').trigger('click');
    await flushPromises();
    await settle();
    expect(api.argsOf('set_moved_out')).toEqual([{ resident: R3, movedOut: false }]);
    expect(w.findAll('[data-testid="res-item"]').map((e) => e.attributes('data-id'))).toContain(R3);
    expect(w.find('[data-testid="res-moved-out-toggle"]').exists()).toBe(false);
  });
});
