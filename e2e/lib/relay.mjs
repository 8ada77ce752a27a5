// The real relay (`wangge-relay serve`) on a free loopback port with its SQLite file in a
// work dir, set up through its `admin` subcommands.

import { join } from 'node:path';
import { freePort, run, start, waitHttp } from './procs.mjs';

export const DISTRICT = '110105';
export const STREET = '110105001';
export const COMMUNITY = '110105001001';
export const GRID = '110105001001001';
export const GRID_2 = '110105001001002';
export const DEPARTMENT = '110105001-cgj';

export class Relay {
  constructor(bin, dir) {
    this.bin = bin;
    this.dir = dir;
    this.env = { WANGGE_DATABASE: `sqlite:${join(dir, 'relay.db')}`, RUST_LOG: 'info' };
  }

  admin(...args) {
    return run(this.bin, ['admin', ...args], { env: this.env });
  }

  /** Division → street → community → grids, as the district's admin sets them up. */
  setupGrids() {
    this.admin('add-division', '--code', DISTRICT, '--name', '朝阳区');
    this.admin('add-division', '--code', STREET, '--name', '建外街道');
    this.admin('add-division', '--code', COMMUNITY, '--name', '幸福社区');
    this.admin('add-grid', '--code', GRID, '--name', '第一网格');
    this.admin('add-grid', '--code', GRID_2, '--name', '第二网格');
  }

  /** Adds a member of `grid`; returns the user id. */
  addMember(name, grid = GRID) {
    const id = this.admin('add-user', '--name', name, '--role', 'member', '--scope', grid);
    if (!/^[0-9a-f-]{36}$/.test(id)) throw new Error(`add-user printed no user id: ${id}`);
    return id;
  }

  /** Adds a user with `role` for `scope` (grid, community, division or department code); returns the user id. */
  addUser(name, role, scope) {
    const id = this.admin('add-user', '--name', name, '--role', role, '--scope', scope);
    if (!/^[0-9a-f-]{36}$/.test(id)) throw new Error(`add-user printed no user id: ${id}`);
    return id;
  }

  /** Adds a department (职能部门) of a division. */
  addDepartment(code, name) {
    this.admin('add-department', '--code', code, '--name', name);
  }

  /** A one-time enrollment code for `user`. */
  code(user) {
    const c = this.admin('enroll-code', '--user', user, '--ttl-hours', '2');
    if (!c) throw new Error('enroll-code printed nothing');
    return c;
  }

  async start() {
    this.port = await freePort();
    this.url = `http://127.0.0.1:${this.port}`;
    this.proc = start('relay', this.bin, ['serve'], {
      env: { ...this.env, WANGGE_LISTEN: `127.0.0.1:${this.port}` },
      cwd: this.dir,
      logFile: join(this.dir, 'relay.log'),
    });
    await waitHttp(`${this.url}/healthz`, this.proc, 30_000);
    return this.url;
  }
}
