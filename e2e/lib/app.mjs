// One instance of the real desktop app: its own data directory (WANGGE_DATA_DIR), its own
// tauri-driver (which starts WebKitWebDriver, which starts the app with this environment).

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, start, stop, waitHttp } from './procs.mjs';
import { Session } from './webdriver.mjs';

export class AppInstance {
  constructor({ name, bin, driverBin = 'tauri-driver', workDir, env = {}, counter }) {
    this.name = name;
    this.bin = bin;
    this.driverBin = driverBin;
    this.dataDir = join(workDir, `${name}-data`);
    this.logDir = workDir;
    this.env = env;
    this.counter = counter;
    mkdirSync(this.dataDir, { recursive: true });
  }

  async open() {
    const port = await freePort();
    const nativePort = await freePort();
    this.driver = start(`tauri-driver ${this.name}`, this.driverBin, ['--port', String(port), '--native-port', String(nativePort)], {
      env: { ...this.env, WANGGE_DATA_DIR: this.dataDir, RUST_LOG: process.env.RUST_LOG ?? 'info' },
      logFile: join(this.logDir, `${this.name}-app.log`),
    });
    const base = `http://127.0.0.1:${port}`;
    await waitHttp(`${base}/status`, this.driver, 30_000);
    this.session = await Session.open(base, this.bin, this.counter);
    return this.session;
  }

  async close() {
    if (this.session) await this.session.close();
    this.session = null;
    if (this.driver) await stop(this.driver);
    this.driver = null;
  }
}
