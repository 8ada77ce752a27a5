// Child processes on loopback: free ports, logged children in their own process groups
// (so a child's children end with it), bounded waits for HTTP endpoints.

import { spawn, execFileSync } from 'node:child_process';
import { openSync, closeSync } from 'node:fs';
import net from 'node:net';
import { waitUntil } from './webdriver.mjs';

const children = new Set();

export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** Starts `cmd args` with output to `logFile`; it is stopped by `stopAll`. */
export function start(name, cmd, args, { env = {}, cwd, logFile } = {}) {
  const fd = openSync(logFile, 'a');
  const child = spawn(cmd, args, {
    cwd,
    env: { ...process.env, ...env },
    stdio: ['ignore', fd, fd],
    detached: true, // own process group: stopping it stops what it started
  });
  closeSync(fd);
  const proc = { name, child, logFile, exited: null };
  child.on('exit', (code, signal) => {
    proc.exited = { code, signal };
  });
  children.add(proc);
  return proc;
}

function killGroup(proc, signal) {
  try {
    process.kill(-proc.child.pid, signal);
  } catch {
    // already gone
  }
}

/** Stops one child (SIGTERM, then SIGKILL after `graceMs`). */
export async function stop(proc, graceMs = 3000) {
  if (!children.has(proc)) return;
  children.delete(proc);
  if (proc.exited) {
    killGroup(proc, 'SIGKILL'); // its grandchildren, if any are left
    return;
  }
  const gone = new Promise((r) => proc.child.once('exit', r));
  killGroup(proc, 'SIGTERM');
  const timer = new Promise((r) => setTimeout(r, graceMs, 'timeout'));
  if ((await Promise.race([gone, timer])) === 'timeout') {
    killGroup(proc, 'SIGKILL');
    await Promise.race([gone, new Promise((r) => setTimeout(r, 2000))]);
  }
}

export async function stopAll() {
  for (const p of [...children].reverse()) await stop(p);
}

/** Synchronous stop for process exit handlers. */
export function killAllNow() {
  for (const p of children) killGroup(p, 'SIGKILL');
  children.clear();
}

/** Waits until `url` answers 2xx, or the process exits, or the timeout. */
export async function waitHttp(url, proc, timeoutMs = 30_000) {
  await waitUntil(
    async () => {
      if (proc?.exited) {
        const e = new Error(`${proc.name} exited (${JSON.stringify(proc.exited)}); see ${proc.logFile}`);
        e.fatal = true;
        throw e;
      }
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      return res.ok;
    },
    { timeoutMs, intervalMs: 100, what: `${url} to answer` },
  );
}

/** Runs a command to completion and returns its trimmed stdout. */
export function run(cmd, args, { env = {}, cwd, timeoutMs = 60_000 } = {}) {
  return execFileSync(cmd, args, {
    cwd,
    env: { ...process.env, ...env },
    encoding: 'utf8',
    timeout: timeoutMs,
    stdio: ['ignore', 'pipe', 'pipe'],
  }).trim();
}
