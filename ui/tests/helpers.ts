// Test helpers: a fake Tauri backend behind the mocked `invoke`, and a router.
import { vi } from 'vitest';
import { createMemoryHistory, createRouter, type Router } from 'vue-router';
import { invoke } from '@tauri-apps/api/core';

export type Handler = (args: any) => unknown;

/** Routes each `invoke(cmd, args)` to a handler; an unknown command fails the call. */
export function backend(handlers: Record<string, Handler>) {
  const calls: { cmd: string; args: any }[] = [];
  vi.mocked(invoke).mockImplementation(async (cmd: string, args?: any) => {
    calls.push({ cmd, args });
    const h = handlers[cmd];
    if (!h) throw { code: 'not_found', message: `no handler for ${cmd}` };
    return h(args) as any;
  });
  return {
    calls,
    argsOf: (cmd: string) => calls.filter((c) => c.cmd === cmd).map((c) => c.args),
  };
}

export function testRouter(): Router {
  return createRouter({
    history: createMemoryHistory(),
    routes: [{ path: '/:rest(.*)*', component: { template: '<div />' } }],
  });
}

/** Lets pending promises (mocked invokes) settle. */
export async function settle(times = 5) {
  for (let i = 0; i < times; i++) await new Promise((r) => setTimeout(r, 0));
}
