import { vi } from 'vitest';

vi.mock('@tauri-apps/api/core', () => ({ invoke: vi.fn() }));
vi.mock('@tauri-apps/api/event', () => {
  const listeners = new Map<string, ((e: { payload: unknown }) => void)[]>();
  return {
    listen: vi.fn(async (name: string, cb: (e: { payload: unknown }) => void) => {
      listeners.set(name, [...(listeners.get(name) ?? []), cb]);
      return () => {
        listeners.set(name, (listeners.get(name) ?? []).filter((x) => x !== cb));
      };
    }),
    /** Test-only: deliver an event to the listeners. */
    __emit: (name: string, payload: unknown) => {
      for (const cb of listeners.get(name) ?? []) cb({ payload });
    },
  };
});
