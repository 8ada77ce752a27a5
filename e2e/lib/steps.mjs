// What a grid member does in the app, one function per screen, through the test ids of
// the app contract. Each step waits (bounded) for the screen it leads to.

import { waitUntil } from './webdriver.mjs';

/** An invented ID number with a valid GB 11643 check character. */
export function inventedIdNumber(birth, serial) {
  const first17 = `110105${birth}${serial}`;
  if (!/^\d{17}$/.test(first17)) throw new Error('bad invented ID');
  const w = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  const sum = [...first17].reduce((s, d, i) => s + Number(d) * w[i], 0);
  return first17 + '10X98765432'[sum % 11];
}

export async function attr(s, testid, name, opts) {
  return (await s.el(testid, opts)).attr(name);
}

/** Waits until the number of `testid` elements satisfies `pred`; returns them. */
export async function waitCount(s, testid, pred, what, timeoutMs = 15_000) {
  return waitUntil(
    async () => {
      const els = await s.all(testid);
      return pred(els.length) ? els : null;
    },
    { timeoutMs, what },
  );
}

/** Taps the nav bar's back arrow (the pages without a tab bar have one). */
export async function back(s) {
  await s.click(await waitUntil(async () => (await s.findAllCss('.van-nav-bar__left'))[0], { what: 'the back arrow' }));
}

/** Goes to a tab, backing out of pages without a tab bar first (each back is a tap). */
export async function goTab(s, testid) {
  for (let i = 0; i < 5; i++) {
    for (const e of await s.all(testid)) {
      if (await e.displayed()) {
        await s.click(e);
        return;
      }
    }
    if ((await s.findAllCss('.van-nav-bar__left')).length === 0) break;
    const before = await s.route();
    await back(s);
    await waitUntil(async () => (await s.route()) !== before, { what: 'the back navigation' });
  }
  await s.click(testid); // waits, then fails with the test id in the message
}

/** First-run enrollment. Leaves the app on its home screen. */
export async function enroll(s, { relayUrl, code, expectPrefill = false }) {
  const url = await s.el('setup-relay-url', { timeoutMs: 30_000 });
  if (expectPrefill) {
    const v = await url.prop('value');
    if (v !== relayUrl) throw new Error(`relay URL not prefilled from WANGGE_RELAY_URL: got ${JSON.stringify(v)}`);
  } else {
    await s.type(url, relayUrl);
  }
  await s.type('setup-code', code);
  await s.click('setup-enroll');
  await waitUntil(
    async () => {
      const errs = await s.all('setup-error');
      if (errs.length) {
        const e = new Error(`enrollment refused: ${await errs[0].text()}`);
        e.fatal = true;
        throw e;
      }
      return (await s.all('tab-home')).length > 0;
    },
    { timeoutMs: 30_000, what: 'the home screen after enrollment' },
  );
}

export async function newHousehold(s, { estate, building, unit, room }) {
  await goTab(s, 'tab-households');
  await s.click('hh-add');
  await s.click('hhf-kind-flat');
  await s.type('hhf-estate', estate);
  await s.type('hhf-building', building);
  await s.type('hhf-unit', unit);
  await s.type('hhf-room', room);
  await s.click('hhf-save');
  await s.el('hh-title');
  const hash = await s.route();
  const m = /#\/households\/([^/?]+)$/.exec(hash);
  if (!m) throw new Error(`not on a household page after saving: ${hash}`);
  return m[1];
}

/** Adds a resident from the household page; returns to it. */
export async function addResident(s, { name, idNumber, phone, relation }) {
  const before = (await s.all('res-item')).length;
  await s.click('res-add');
  await s.type('rf-name', name);
  if (idNumber) await s.type('rf-id-number', idNumber);
  if (phone) await s.type('rf-phone', phone);
  await s.click(`rf-relation-${relation}`);
  await s.click('rf-save');
  await waitUntil(
    async () => {
      const errs = await s.findAllCss('[data-testid^="rf-error-"]');
      if (errs.length) {
        const texts = await Promise.all(errs.map(async (e) => `${await e.attr('data-testid')}`));
        const e = new Error(`resident form refused: ${texts.join(', ')}`);
        e.fatal = true;
        throw e;
      }
      return (await s.all('hh-title')).length > 0 && (await s.all('res-item')).length === before + 1;
    },
    { timeoutMs: 15_000, what: `${before + 1} residents on the household page` },
  );
}

/** On a temperature page: types each reading on the keypad (`365` → 3 taps), then saves. */
export async function enterTemperatures(s, readings) {
  const rows = await waitCount(s, 'temp-row', (n) => n >= readings.length, `${readings.length} temperature rows`);
  for (let i = 0; i < readings.length; i++) {
    if ((await rows[i].attr('data-current')) !== 'true') await s.click(rows[i]);
    for (const ch of readings[i]) {
      await s.click(ch === '.' ? 'key-dot' : `key-${ch}`);
    }
  }
  // core's fever decision shows on the row before saving
  return rows;
}

export async function saveTemperatures(s, count) {
  await s.click('temp-save');
  await waitUntil(
    async () => {
      const toast = await s.all('toast');
      return toast.length > 0 && (await toast[0].text()).includes(String(count));
    },
    { timeoutMs: 15_000, what: `the saved toast for ${count} checks` },
  );
}

/**
 * Saves the check screen's readings and goes on to the next household due: waits until
 * another household's check screen has loaded ('next') or, the grid done, home ('done').
 */
export async function saveTemperaturesAndNext(s) {
  const route = await s.route();
  const title = await (await s.el('temp-household')).text();
  await s.click('temp-save-next');
  return waitUntil(
    async () => {
      const now = await s.route();
      if (now === route) return null;
      if (/#\/(\?.*)?$/.test(now)) return 'done'; // the grid is done: back home
      const t = await s.all('temp-household');
      if (t.length > 0 && (await t[0].text()) !== '' && (await t[0].text()) !== title) return 'next';
      return null;
    },
    { timeoutMs: 15_000, what: 'the next household due, or the grid done' },
  );
}

/** Files a report with photos; waits for each photo's thumbnail; returns to the report page. */
export async function fileReport(s, { category, severity, place, description, photos }) {
  await goTab(s, 'tab-reports');
  await s.click('report-new');
  await s.click(`rp-category-${category}`);
  await s.click(`rp-severity-${severity}`);
  await s.type('rp-place', place);
  await s.type('rp-description', description);
  for (let i = 0; i < photos.length; i++) {
    await s.attachFile('rp-photo-input', photos[i]);
    await waitCount(s, 'rp-photo-thumb', (n) => n >= i + 1, `thumbnail of photo ${i + 1}`, 120_000);
  }
  await s.click('rp-submit');
}

/**
 * Waits for the app's own sync status to say everything is up, docs and photos: the badge
 * shows `synced` with nothing pending, and (when `since` is given) the engine's last
 * success is no older than `since`, so a badge left over from before a write cannot pass.
 */
export async function waitSynced(s, { since = null, timeoutMs = 120_000 } = {}) {
  let last = '';
  let askedAt = 0;
  try {
    await waitUntil(
      async () => {
        const badge = (await s.all('sync-badge'))[0];
        if (!badge) return false;
        const state = await badge.attr('data-state');
        const docs = await badge.attr('data-docs-pending');
        const photos = await badge.attr('data-photos-pending');
        last = `state=${state} docs-pending=${docs} photos-pending=${photos}`;
        if (!(state === 'synced' && docs === '0' && photos === '0')) return false;
        if (since === null) return true;
        const view = await s.invoke('sync_status');
        last += ` lastSuccess=${view?.lastSuccess}`;
        if (view?.lastSuccess && Date.parse(view.lastSuccess) >= since) return true;
        // Synced, but counted before `since`: on loopback the sync often finishes before
        // the test reads the clock. Ask the engine for a fresh count (what 立即同步 does),
        // which reads every document as stored now, instead of waiting for its next poll.
        if (Date.now() - askedAt > 1000) {
          askedAt = Date.now();
          await s.invoke('sync_now');
        }
        return false;
      },
      { timeoutMs, intervalMs: 250, what: 'the sync badge to show synced with nothing pending' },
    );
  } catch (e) {
    throw new Error(`${e.message}; last seen ${last}`);
  }
}
