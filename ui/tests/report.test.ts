import { describe, expect, it } from 'vitest';
import { mount, flushPromises } from '@vue/test-utils';
import * as event from '@tauri-apps/api/event';
import ReportFormView from '@/views/ReportFormView.vue';
import { backend, testRouter, settle } from './helpers';

const HASH_A = 'a'.repeat(64);
const HASH_B = 'b'.repeat(64);
const JPEG = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 0xff, 0xd9]);

describe('report form', () => {
  it('sends the bytes of each chosen photo to add_photo and files the report with their hashes', async () => {
    const seen: Uint8Array[] = [];
    let next = [HASH_A, HASH_B];
    const api = backend({
      add_photo: (bytes: Uint8Array) => {
        seen.push(bytes);
        (event as unknown as { __emit: (n: string, p: unknown) => void }).__emit('photo://progress', {
          stage: 'decoding',
          done: 1,
          total: 4,
        });
        const hash = next.shift();
        return { hash, bytes: 1000 };
      },
      photo: () => new Uint8Array([0xff, 0xd8, 0xff, 0xd9]).buffer,
      file_report: () => 'report-1',
    });
    const router = testRouter();
    const w = mount(ReportFormView, { global: { plugins: [router] } });

    const input = w.get('[data-testid="rp-photo-input"]');
    expect(input.attributes('type')).toBe('file');
    expect(input.attributes('accept')).toBe('image/*');
    expect(w.get('[data-testid="rp-photo-camera"]').attributes('capture')).toBe('environment');
    const files = [new File([JPEG], 'a.jpg', { type: 'image/jpeg' }), new File([JPEG.slice(0, 5)], 'b.jpg', { type: 'image/jpeg' })];
    Object.defineProperty(input.element, 'files', { value: files, configurable: true });
    await input.trigger('change');
    await flushPromises();
    await settle(10);

    expect(seen).toHaveLength(2);
    expect(Array.from(seen[0]!)).toEqual(Array.from(JPEG));
    expect(seen[1]!.byteLength).toBe(5);
    expect(w.findAll('[data-testid="rp-photo-thumb"]').map((t) => t.attributes('data-hash'))).toEqual([HASH_A, HASH_B]);
    expect(w.find('[data-testid="rp-photo-progress"]').exists()).toBe(false);

    await w.get('[data-testid="rp-category-safety_hazard"]').trigger('click');
    await w.get('[data-testid="rp-severity-serious"]').trigger('click');
    await w.get('[data-testid="rp-place"]').setValue('阳光小区3栋楼道');
    await w.get('[data-testid="rp-description"]').setValue('楼道堆放杂物,堵塞消防通道');
    await w.get('[data-testid="rp-submit"]').trigger('click');
    await flushPromises();

    expect(api.argsOf('file_report')).toEqual([
      {
        input: {
          category: 'safety_hazard',
          severity: 'serious',
          place: '阳光小区3栋楼道',
          gps: null,
          description: '楼道堆放杂物,堵塞消防通道',
          photos: [HASH_A, HASH_B],
        },
      },
    ]);
  });

  it('shows a refused photo in Chinese and files nothing with it', async () => {
    const api = backend({
      add_photo: () => {
        throw { code: 'truncated_image', message: 'truncated' };
      },
    });
    const w = mount(ReportFormView, { global: { plugins: [testRouter()] } });
    const input = w.get('[data-testid="rp-photo-input"]');
    Object.defineProperty(input.element, 'files', { value: [new File([JPEG.slice(0, 3)], 'x.jpg')], configurable: true });
    await input.trigger('change');
    await flushPromises();
    await settle();
    expect(api.argsOf('add_photo')).toHaveLength(1);
    expect(w.get('[data-testid="rp-photo-error"]').text()).toBe('照片文件不完整');
    expect(w.findAll('[data-testid="rp-photo-thumb"]')).toHaveLength(0);
  });
});
