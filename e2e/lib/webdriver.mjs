// A small W3C WebDriver client (Node's built-in fetch, no dependencies) for the real app
// behind tauri-driver. Every user action goes through `click`/`type`, which count them.

import { writeFile } from 'node:fs/promises';

const ELEMENT = 'element-6066-11e4-a52e-4f735466cecf';
const REQUEST_TIMEOUT_MS = 60_000;

export class WebDriverError extends Error {
  constructor(what, status, value) {
    super(`${what}: ${value?.error ?? status} ${value?.message ?? ''}`.trim());
    this.code = value?.error;
  }
}

async function call(base, method, path, body) {
  const res = await fetch(base + path, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  const text = await res.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    throw new WebDriverError(`${method} ${path}`, res.status, { message: text.slice(0, 200) });
  }
  if (!res.ok || (json.value && json.value.error)) {
    throw new WebDriverError(`${method} ${path}`, res.status, json.value);
  }
  return json.value;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Polls `fn` until it returns a truthy value; throws after `timeoutMs` saying `what`. */
export async function waitUntil(fn, { timeoutMs = 15_000, intervalMs = 100, what = 'condition' } = {}) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      if (e.fatal) throw e;
      last = e;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${last.message})` : ''}`);
    }
    await sleep(intervalMs);
  }
}

/** Counts of what the driver did as a user would. */
export class ActionCounter {
  constructor() {
    this.clicks = 0;
    this.entries = 0; // text typed into one field in one go
    this.keystrokes = 0; // characters typed
    this.intercepted = 0; // clicks that first hit an overlay
  }
  get actions() {
    return this.clicks + this.entries;
  }
  snapshot() {
    return { clicks: this.clicks, entries: this.entries, keystrokes: this.keystrokes, intercepted: this.intercepted, actions: this.actions };
  }
  since(s) {
    return {
      clicks: this.clicks - s.clicks,
      entries: this.entries - s.entries,
      keystrokes: this.keystrokes - s.keystrokes,
      intercepted: this.intercepted - s.intercepted,
      actions: this.actions - s.actions,
    };
  }
}

export class Element {
  constructor(session, id, label) {
    this.s = session;
    this.id = id;
    this.label = label;
  }
  path(p) {
    return `/session/${this.s.id}/element/${this.id}${p}`;
  }
  attr(name) {
    return this.s.req('GET', this.path(`/attribute/${encodeURIComponent(name)}`));
  }
  prop(name) {
    return this.s.req('GET', this.path(`/property/${encodeURIComponent(name)}`));
  }
  text() {
    return this.s.req('GET', this.path('/text'));
  }
  displayed() {
    return this.s.req('GET', this.path('/displayed'));
  }
  enabled() {
    return this.s.req('GET', this.path('/enabled'));
  }
  async find(css) {
    const v = await this.s.req('POST', this.path('/element'), { using: 'css selector', value: css });
    return new Element(this.s, v[ELEMENT], `${this.label} ${css}`);
  }
  async findAll(css) {
    const v = await this.s.req('POST', this.path('/elements'), { using: 'css selector', value: css });
    return v.map((e) => new Element(this.s, e[ELEMENT], `${this.label} ${css}`));
  }
}

export class Session {
  /** Opens a session on the tauri-driver at `base` for the app binary `application`. */
  static async open(base, application, counter = new ActionCounter()) {
    const v = await call(base, 'POST', '/session', {
      capabilities: { alwaysMatch: { browserName: 'wry', 'tauri:options': { application } } },
    });
    return new Session(base, v.sessionId, counter);
  }

  constructor(base, id, counter) {
    this.base = base;
    this.id = id;
    this.counter = counter;
  }

  req(method, path, body) {
    return call(this.base, method, path, body);
  }

  async close() {
    try {
      await this.req('DELETE', `/session/${this.id}`);
    } catch {
      // the app may already be gone
    }
  }

  execute(script, args = []) {
    return this.req('POST', `/session/${this.id}/execute/sync`, { script, args });
  }

  /** Runs an async script; `done` is its last argument. */
  executeAsync(script, args = []) {
    return this.req('POST', `/session/${this.id}/execute/async`, { script, args });
  }

  /** Calls one of the app's commands the way the UI does (for reading state back). */
  async invoke(cmd, args = {}) {
    const r = await this.executeAsync(
      `const done = arguments[arguments.length - 1];
       window.__TAURI_INTERNALS__.invoke(arguments[0], arguments[1])
         .then((v) => done({ ok: v }), (e) => done({ err: e }));`,
      [cmd, args],
    );
    if (r && 'err' in r) throw new Error(`${cmd} failed: ${JSON.stringify(r.err)}`);
    return r?.ok;
  }

  async findCss(css) {
    const v = await this.req('POST', `/session/${this.id}/element`, { using: 'css selector', value: css });
    return new Element(this, v[ELEMENT], css);
  }

  async findAllCss(css) {
    const v = await this.req('POST', `/session/${this.id}/elements`, { using: 'css selector', value: css });
    return v.map((e) => new Element(this, e[ELEMENT], css));
  }

  /** All elements with this `data-testid` (plus an optional extra CSS suffix). */
  all(testid, extra = '') {
    return this.findAllCss(`[data-testid="${testid}"]${extra}`);
  }

  /** Waits for a displayed element with this `data-testid`. */
  async el(testid, { timeoutMs = 15_000, extra = '' } = {}) {
    const css = `[data-testid="${testid}"]${extra}`;
    return waitUntil(
      async () => {
        for (const e of await this.findAllCss(css)) {
          if (await e.displayed()) return e;
        }
        return null;
      },
      { timeoutMs, what: `element ${css}` },
    );
  }

  /** Waits until an element with this test id exists in the DOM (displayed or not). */
  async present(testid, { timeoutMs = 15_000, extra = '' } = {}) {
    const css = `[data-testid="${testid}"]${extra}`;
    return waitUntil(async () => (await this.findAllCss(css))[0], { timeoutMs, what: `element ${css}` });
  }

  /** Clicks the element (a test id or an Element), counted as one user action. */
  async click(target, opts) {
    const e = typeof target === 'string' ? await this.el(target, opts) : target;
    await waitUntil(() => e.enabled(), { timeoutMs: 15_000, what: `${e.label} to be enabled` });
    // A tap that lands on something drawn over the element (a toast) does nothing for the
    // member; wait for the overlay to go, then tap. Counted in `intercepted`.
    let blocked = false;
    await waitUntil(
      async () => {
        try {
          await this.req('POST', `/session/${this.id}/element/${e.id}/click`, {});
          return true;
        } catch (err) {
          if (err.code !== 'element click intercepted') {
            err.fatal = true;
            throw err;
          }
          blocked = true;
          return false;
        }
      },
      { timeoutMs: 10_000, intervalMs: 150, what: `${e.label} to take a click (something is drawn over it)` },
    );
    if (blocked) this.counter.intercepted += 1;
    this.counter.clicks += 1;
    return e;
  }

  /** Types `text` into the field (cleared first), counted as one entry of text.length keys. */
  async type(target, text, { clear = true, ...opts } = {}) {
    let e = typeof target === 'string' ? await this.el(target, opts) : target;
    const tag = String(await this.req('GET', `/session/${this.id}/element/${e.id}/name`)).toLowerCase();
    if (tag !== 'input' && tag !== 'textarea') {
      e = await e.find('input, textarea');
    }
    if (clear) await this.req('POST', `/session/${this.id}/element/${e.id}/clear`, {});
    await this.req('POST', `/session/${this.id}/element/${e.id}/value`, { text });
    this.counter.entries += 1;
    this.counter.keystrokes += [...text].length;
    return e;
  }

  /** Hands a file path to an `<input type=file>` (Element Send Keys; not counted as typing). */
  async attachFile(testid, path) {
    const e = await this.present(testid);
    await this.req('POST', `/session/${this.id}/element/${e.id}/value`, { text: path });
    this.counter.clicks += 1; // the member picks one photo: one tap
    return e;
  }

  async screenshot(file) {
    const b64 = await this.req('GET', `/session/${this.id}/screenshot`);
    await writeFile(file, Buffer.from(b64, 'base64'));
    return file;
  }

  /** The current route (hash history). */
  async route() {
    return this.execute('return window.location.hash;');
  }
}
