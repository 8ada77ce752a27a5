import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { mount, flushPromises } from '@vue/test-utils';
import ResidentFormView from '@/views/ResidentFormView.vue';
import { zh } from '@/i18n/zh-CN';
import { backend, testRouter } from './helpers';
import { HH } from './fixtures';

describe('resident form validation', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('asks core as the user types (debounced) and shows its codes in Chinese', async () => {
    // What core answers for this input, while typing and when saving.
    const problems = (input: { name: string; id_number: string; phone: string }) => {
      const errs = [];
      if (!input.name.trim()) errs.push({ field: 'name', code: 'required_field', message: 'is required' });
      if (input.id_number === '110105194912310022')
        errs.push({ field: 'id_number', code: 'id_number_bad_check', message: 'check character does not match' });
      if (input.phone === '12345') errs.push({ field: 'phone', code: 'invalid_phone', message: 'bad' });
      return errs;
    };
    const api = backend({
      validate_resident: ({ input }) => problems(input),
      add_resident: ({ input }) => {
        throw { code: 'invalid', message: 'invalid input', fields: problems(input) };
      },
    });
    const router = testRouter();
    const w = mount(ResidentFormView, { props: { household: HH }, global: { plugins: [router] } });

    const id = w.get('[data-testid="rf-id-number"]');
    await id.setValue('1101051949123100');
    await id.setValue('11010519491231002');
    await id.setValue('110105194912310022');
    // nothing asked before the debounce delay, one call after it
    vi.advanceTimersByTime(100);
    expect(api.argsOf('validate_resident')).toHaveLength(0);
    vi.advanceTimersByTime(60);
    await flushPromises();
    expect(api.argsOf('validate_resident')).toHaveLength(1);
    expect(api.argsOf('validate_resident')[0].input.id_number).toBe('110105194912310022');

    // only the field the user touched shows its error, in Chinese
    expect(w.get('[data-testid="rf-error-id_number"]').text()).toBe('身份证号校验位不对,请核对每一位');
    expect(w.find('[data-testid="rf-error-name"]').exists()).toBe(false);

    await w.get('[data-testid="rf-phone"]').setValue('12345');
    vi.advanceTimersByTime(200);
    await flushPromises();
    expect(w.get('[data-testid="rf-error-phone"]').text()).toBe(zh.errors.invalid_phone);

    // saving asks core once; its refusal shows every error, untouched fields included
    const judged = api.argsOf('validate_resident').length;
    await w.get('[data-testid="rf-save"]').trigger('click');
    await flushPromises();
    expect(api.argsOf('add_resident')).toHaveLength(1);
    expect(api.argsOf('validate_resident')).toHaveLength(judged);
    expect(w.get('[data-testid="rf-error-name"]').text()).toBe('必填');
    expect(w.get('[data-testid="rf-error-phone"]').text()).toBe(zh.errors.invalid_phone);

    // fixing the number clears its message
    await id.setValue('110105194912310021');
    vi.advanceTimersByTime(200);
    await flushPromises();
    expect(w.find('[data-testid="rf-error-id_number"]').exists()).toBe(false);
  });

});

describe('validation results and typing', () => {
  afterEach(() => vi.useRealTimers());

  it('drops a message for a value typed over while core was judging it', async () => {
    vi.useFakeTimers();
    let release: (v: unknown) => void = () => undefined;
    const api = backend({
      validate_resident: ({ input }) =>
        input.phone === '139'
          ? new Promise((r) => {
              release = () => r([{ field: 'phone', code: 'invalid_phone', message: 'bad' }]);
            })
          : [],
    });
    const w = mount(ResidentFormView, { props: { household: HH }, global: { plugins: [testRouter()] } });
    const phone = w.get('[data-testid="rf-phone"]');
    await phone.setValue('139');
    vi.advanceTimersByTime(160); // core is asked about "139" and has not answered yet
    await phone.setValue('13912345678');
    release(undefined);
    await flushPromises();
    expect(w.find('[data-testid="rf-error-phone"]').exists()).toBe(false);
    vi.advanceTimersByTime(160);
    await flushPromises();
    expect(api.argsOf('validate_resident').map((a) => a.input.phone)).toEqual(['139', '13912345678']);
    expect(w.find('[data-testid="rf-error-phone"]').exists()).toBe(false);
  });
});
