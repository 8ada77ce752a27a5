// The desktop notification server of the run: the app's OS notifications go over the
// session bus (org.freedesktop.Notifications) to src-tauri/examples/notification_sink.rs,
// which writes each as one JSON line. scripts/e2e.sh runs everything under
// dbus-run-session, so the bus is private to the run.

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { start } from './procs.mjs';
import { waitUntil } from './webdriver.mjs';

export class NotificationSink {
  constructor(bin, dir) {
    this.bin = bin;
    this.log = join(dir, 'notifications.jsonl');
    this.out = join(dir, 'notification-sink.log');
  }

  async start() {
    if (!process.env.DBUS_SESSION_BUS_ADDRESS) {
      throw new Error('no session bus: run the end-to-end test through scripts/e2e.sh (dbus-run-session)');
    }
    if (!existsSync(this.bin)) throw new Error(`missing notification sink ${this.bin}: build the examples first`);
    this.proc = start('notification sink', this.bin, [this.log], { logFile: this.out });
    await waitUntil(
      async () => {
        if (this.proc.exited) throw new Error(`the notification sink exited: ${readFileSync(this.out, 'utf8').slice(0, 300)}`);
        return existsSync(this.out) && readFileSync(this.out, 'utf8').includes('ready');
      },
      { timeoutMs: 15_000, what: 'the notification sink to own its bus name' },
    );
  }

  /** Every notification received so far: `{app, summary, body}`. */
  received() {
    if (!existsSync(this.log)) return [];
    return readFileSync(this.log, 'utf8')
      .split('\n')
      .filter((l) => l.trim())
      .map((l) => JSON.parse(l));
  }
}
