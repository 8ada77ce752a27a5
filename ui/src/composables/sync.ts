// Sync status: the latest SyncView, from `sync_status` and the `sync://status` event.
import { ref, watch } from 'vue';
import type { UnlistenFn } from '@tauri-apps/api/event';
import { api } from '@/lib/api';
import type { SyncState, SyncView } from '@/lib/types';
import { zh } from '@/i18n/zh-CN';

export const syncView = ref<SyncView | null>(null);
let unlisten: UnlistenFn | null = null;

export interface Badge {
  state: SyncState;
  text: string;
  /** Colour class: green synced, blue busy, grey off/offline, red error. */
  tone: 'ok' | 'busy' | 'idle' | 'bad';
  docsPending: number;
  photosPending: number;
}

/** What the badge shows for a SyncView (null: not known yet → off). */
export function badgeFor(view: SyncView | null): Badge {
  const state: SyncState = view?.state ?? 'off';
  const docsPending = view?.docsPending ?? 0;
  const photosPending = view?.photosPending ?? 0;
  const pending = docsPending + photosPending;
  const tone: Badge['tone'] =
    state === 'synced' ? 'ok' : state === 'syncing' ? 'busy' : state === 'error' ? 'bad' : 'idle';
  let text = zh.syncState[state] ?? state;
  if (pending > 0 && state !== 'synced') text = `${text} · ${pending}`;
  return { state, text, tone, docsPending, photosPending };
}

/** Starts following sync status (idempotent). */
export async function startSyncStatus(): Promise<void> {
  if (!unlisten) {
    unlisten = await api.onSyncStatus((view) => {
      syncView.value = view;
    });
  }
  try {
    syncView.value = await api.syncStatus();
  } catch {
    // No engine yet (demo or first run): the badge shows "off".
  }
}

export function stopSyncStatus() {
  unlisten?.();
  unlisten = null;
}

/**
 * Runs `cb` whenever a sync round completes (records from other devices may have arrived)
 * or the directory of units by name was fetched (it can come after the round).
 */
export function onSyncRound(cb: () => void) {
  watch(
    () => [syncView.value?.lastSuccess ?? null, syncView.value?.directoryAt ?? null] as const,
    ([round, dir], [roundBefore, dirBefore]) => {
      if ((round && round !== roundBefore) || (dir && dir !== dirBefore)) cb();
    },
  );
}
