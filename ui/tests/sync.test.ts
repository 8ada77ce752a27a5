import { describe, expect, it } from 'vitest';
import { mount, flushPromises } from '@vue/test-utils';
import * as event from '@tauri-apps/api/event';
import SyncBadge from '@/components/SyncBadge.vue';
import SyncPage from '@/views/SyncView.vue';
import { badgeFor, startSyncStatus, syncView } from '@/composables/sync';
import type { SyncView } from '@/lib/types';
import { backend, testRouter } from './helpers';

function view(p: Partial<SyncView>): SyncView {
  return {
    state: 'offline',
    online: false,
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
    ...p,
  };
}

describe('sync badge', () => {
  it('maps each sync state to its Chinese label and tone', () => {
    expect(badgeFor(null)).toMatchObject({ state: 'off', text: '未注册', tone: 'idle' });
    expect(badgeFor(view({ state: 'synced', online: true }))).toMatchObject({ text: '已同步', tone: 'ok' });
    expect(badgeFor(view({ state: 'syncing', docsPending: 3, photosPending: 2 }))).toMatchObject({
      text: '同步中 · 5',
      tone: 'busy',
      docsPending: 3,
      photosPending: 2,
    });
    expect(badgeFor(view({ state: 'offline', docsPending: 1 }))).toMatchObject({ text: '离线 · 1', tone: 'idle' });
    expect(badgeFor(view({ state: 'error', lastError: 'unauthorized' }))).toMatchObject({ text: '同步出错', tone: 'bad' });
  });

  it('follows sync://status events with its data attributes', async () => {
    backend({ sync_status: () => view({ state: 'offline', docsPending: 4 }) });
    const w = mount(SyncBadge, { global: { plugins: [testRouter()] } });
    await startSyncStatus();
    await flushPromises();
    const b = w.get('[data-testid="sync-badge"]');
    expect(b.attributes('data-state')).toBe('offline');
    expect(b.attributes('data-docs-pending')).toBe('4');

    (event as unknown as { __emit: (n: string, p: unknown) => void }).__emit(
      'sync://status',
      view({ state: 'synced', online: true, docsPending: 0, photosPending: 0 }),
    );
    await flushPromises();
    expect(b.attributes('data-state')).toBe('synced');
    expect(b.attributes('data-docs-pending')).toBe('0');
    expect(b.classes()).toContain('sync-badge--ok');
    expect(syncView.value?.online).toBe(true);
  });
});

describe('sync page', () => {
  it('says whether the link to the relay is encrypted, and nothing before the first connection', async () => {
    for (const [encrypted, text] of [
      [true, '已加密'],
      [false, '未加密(仅限本机或网格中心准许的内网)'],
    ] as const) {
      backend({ sync_status: () => view({ state: 'synced', online: true, encrypted }) });
      await startSyncStatus();
      const w = mount(SyncPage, { global: { plugins: [testRouter()] } });
      await flushPromises();
      expect(w.get('[data-testid="sync-encrypted"]').text()).toBe(text);
      expect(w.get('[data-testid="sync-encrypted"]').attributes('data-value')).toBe(String(encrypted));
    }
    backend({ sync_status: () => view({ state: 'offline' }) });
    await startSyncStatus();
    const w = mount(SyncPage, { global: { plugins: [testRouter()] } });
    await flushPromises();
    expect(w.find('[data-testid="sync-encrypted"]').exists()).toBe(false);
  });
});
