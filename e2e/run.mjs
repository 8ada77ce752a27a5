// End-to-end test of the real Wangge desktop app over WebDriver (tauri-driver +
// WebKitWebDriver), against a real relay on loopback. Run it through scripts/e2e.sh, which
// installs the tools, builds the bundled UI and the app, and runs this under Xvfb.
//
//   node e2e/run.mjs [--only e2e|day]
//
// Part 1 (e2e): instance A enrolls, adds a household with two residents, records their
// temperatures (one a fever), files a report with a photo and waits for its own sync status
// to say everything is up; instance B (own data dir) enrolls in the same grid and must show
// the household, the fever and the report with its photo.
// Part 3 (chain, with part 1): A's report goes up the chain and back (e2e/chain.mjs):
// leader and community send it up, the centre dispatches it to a department, which
// finishes it with a photo; the centre checks it and reads the statistics.
// Part 4 (notices, with part 1): a centre's 特急 missing-person alert reaches member A as an
// OS notification and a banner; A signs for it and sends a clue with a photo, which the
// centre sees with A's receipt (e2e/notices.mjs).
// Part 5 (campaigns, with part 4): the centre starts a 全员 campaign; A ticks its grid's two
// residents (one tap, one away with a reason); the centre sees the completion and exports
// it (e2e/campaigns.mjs).
// Part 2 (day): a "standard day" on a seeded grid: 20 residents' checks, one visit, one
// report with two photos, the journal; prints the UI actions it took.
// Screenshots go to artifacts/e2e/. Exit code 0 only if every step passed.

import { mkdirSync, mkdtempSync, existsSync, rmSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chain } from './chain.mjs';
import { notices } from './notices.mjs';
import { campaigns } from './campaigns.mjs';
import { NotificationSink } from './lib/notify.mjs';
import { AppInstance } from './lib/app.mjs';
import { makePhoto } from './lib/photos.mjs';
import { killAllNow, run, stopAll } from './lib/procs.mjs';
import { GRID, GRID_2, Relay } from './lib/relay.mjs';
import * as step from './lib/steps.mjs';
import { ActionCounter, waitUntil } from './lib/webdriver.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const artifacts = join(root, 'artifacts', 'e2e');
const APP = process.env.WANGGE_APP_BIN ?? join(root, 'target', 'debug', 'wangge-app');
const RELAY = process.env.WANGGE_RELAY_BIN ?? join(root, 'target', 'debug', 'wangge-relay');
const SEEDER = process.env.WANGGE_SEED_BIN ?? join(root, 'target', 'debug', 'examples', 'seed_relay');
const SINK = process.env.WANGGE_SINK_BIN ?? join(root, 'target', 'debug', 'examples', 'notification_sink');
const only = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : null;
const TOTAL_TIMEOUT_MS = 12 * 60_000;

for (const [what, p] of [['app', APP], ['relay', RELAY], ['seeder', SEEDER], ['notification sink', SINK]]) {
  if (!existsSync(p)) {
    console.error(`missing ${what} binary ${p}: build it first (scripts/e2e.sh does)`);
    process.exit(1);
  }
}

mkdirSync(artifacts, { recursive: true });
for (const f of readdirSync(artifacts)) if (f.endsWith('.png')) rmSync(join(artifacts, f));
const work = mkdtempSync(join(tmpdir(), 'wangge-e2e-'));
const t0 = Date.now();
const results = [];
const open = new Set();

const secs = (ms) => (ms / 1000).toFixed(1) + ' s';
function log(msg) {
  console.log(`[${secs(Date.now() - t0).padStart(7)}] ${msg}`);
}

async function timed(name, fn) {
  const start = Date.now();
  try {
    const v = await fn();
    results.push({ name, ok: true, ms: Date.now() - start });
    log(`ok   ${name} (${secs(Date.now() - start)})`);
    return v;
  } catch (e) {
    results.push({ name, ok: false, ms: Date.now() - start, error: e.message });
    log(`FAIL ${name}: ${e.message}`);
    throw e;
  }
}

let shotNo = 0;
/** Screenshot of the app's window; `clear` first waits (bounded) for any toast to go. */
async function shot(app, name, { clear = false } = {}) {
  if (clear) {
    await waitUntil(async () => (await app.session.all('toast')).length === 0 && (await app.session.all('toast-error')).length === 0, {
      timeoutMs: 8_000,
      what: 'the toast to go before the screenshot',
    });
  }
  shotNo += 1;
  const file = join(artifacts, `${String(shotNo).padStart(2, '0')}-${name}.png`);
  await app.session.screenshot(file);
  log(`     screenshot ${file}`);
  return file;
}

async function openApp(opts) {
  const app = new AppInstance({ bin: APP, workDir: work, ...opts });
  open.add(app);
  await app.open();
  return app;
}

async function closeApp(app) {
  open.delete(app);
  await app.close();
}

/** Part 1: enroll, household + 2 residents, temperatures with a fever, report with photo, sync; a second instance sees it all. */
async function e2e(relay) {
  const counter = new ActionCounter();
  const userA = relay.addMember('网格员甲');
  const userB = relay.addMember('网格员乙');
  const photo = makePhoto(work, 'hazard.jpg', 11);
  const household = { estate: '幸福小区', building: '3', unit: '2', room: '501' };
  const people = [
    { name: '张建国', idNumber: step.inventedIdNumber('19580312', '123'), phone: '13912345678', relation: 'head', reading: '365' },
    { name: '李秀英', idNumber: step.inventedIdNumber('19610705', '246'), phone: '', relation: 'spouse', reading: '382' },
  ];

  const a = await timed('A: start the app', () => openApp({ name: 'A', counter }));
  const s = a.session;
  await timed('A: enroll against the relay', async () => {
    await s.el('setup-relay-url', { timeoutMs: 30_000 });
    await shot(a, 'setup');
    await step.enroll(s, { relayUrl: relay.url, code: relay.code(userA) });
    await shot(a, 'home-enrolled');
  });
  const hhId = await timed('A: add a household', () => step.newHousehold(s, household));
  await timed('A: add two residents', async () => {
    for (const p of people) await step.addResident(s, p);
    const names = await Promise.all((await s.all('res-item')).map((e) => e.text()));
    for (const p of people) {
      if (!names.some((n) => n.includes(p.name))) throw new Error(`resident ${p.name} not listed on the household page`);
    }
    await shot(a, 'household');
  });
  await timed('A: record temperatures, one a fever', async () => {
    await s.click('hh-go-temperature');
    // The morning round, whatever the hour the run starts (the screen picks the slot by the
    // clock; B pastes the afternoon's readings below).
    await s.click('temp-slot-morning');
    await step.enterTemperatures(s, people.map((p) => p.reading));
    await shot(a, 'temperatures-entered');
    await step.saveTemperatures(s, 2);
    // core's fever decision marks the row (as soon as entered, or once saved)
    const rows = await step.waitCount(s, 'temp-row', (n) => n === 2, 'two temperature rows');
    await waitUntil(async () => (await rows[1].attr('data-fever')) === 'true', { what: 'the 38.2 row to be marked a fever' });
    if ((await rows[0].attr('data-fever')) === 'true') throw new Error('36.5 marked as a fever');
    const fevers = await step.waitCount(s, 'fever-item', (n) => n === 1, 'one fever listed after saving');
    const text = await fevers[0].text();
    if (!text.includes(people[1].name) || !text.includes('38.2')) throw new Error(`fever row reads ${text}`);
    await shot(a, 'temperatures-fever');
  });
  const report = await timed('A: file a report with a photo', async () => {
    await step.fileReport(s, {
      category: 'safety_hazard',
      severity: 'serious',
      place: '幸福小区3号楼楼道',
      description: '楼道堆放杂物,堵塞消防通道',
      photos: [photo],
    });
    const img = await s.el('report-photo', { timeoutMs: 30_000 });
    await waitUntil(async () => (await img.attr('data-loaded')) === 'true', { what: 'the report photo to show' });
    const hash = await img.attr('data-hash');
    const m = /#\/reports\/([^/?]+)$/.exec(await s.route());
    await shot(a, 'report-filed');
    return { id: m?.[1], hash };
  });
  const wroteAt = Date.now();
  await timed('A: sync finishes (sync badge: synced, nothing pending)', async () => {
    await step.waitSynced(s, { since: wroteAt, timeoutMs: 120_000 });
    await s.click('sync-badge');
    await s.el('sync-state');
    await shot(a, 'sync-synced');
  });
  await timed('A: close', () => closeApp(a));

  const b = await timed('B: start a second instance (own data dir, relay URL prefilled)', () =>
    openApp({ name: 'B', counter: new ActionCounter(), env: { WANGGE_RELAY_URL: relay.url } }),
  );
  const t = b.session;
  await timed('B: enroll in the same grid', async () => {
    await step.enroll(t, { relayUrl: relay.url, code: relay.code(userB), expectPrefill: true });
  });
  await timed('B: sync finishes', () => step.waitSynced(t, { timeoutMs: 120_000 }));
  await timed('B: shows the household and its residents', async () => {
    await step.goTab(t, 'tab-households');
    const item = await waitUntil(
      async () => {
        for (const e of await t.all('hh-item')) if ((await e.attr('data-id')) === hhId) return e;
        return null;
      },
      { timeoutMs: 30_000, what: `household ${hhId} in B's list` },
    );
    await shot(b, 'B-households', { clear: true });
    await t.click(item);
    await step.waitCount(t, 'res-item', (n) => n === 2, 'two residents on B');
    const names = await Promise.all((await t.all('res-item')).map((e) => e.text()));
    for (const p of people) {
      if (!names.some((n) => n.includes(p.name))) throw new Error(`B does not list ${p.name}`);
    }
    await shot(b, 'B-household', { clear: true });
  });
  await timed('B: shows the fever', async () => {
    await t.click('hh-go-temperature');
    const fevers = await step.waitCount(t, 'fever-item', (n) => n === 1, 'one fever on B');
    const text = await fevers[0].text();
    if (!text.includes(people[1].name) || !text.includes('38.2')) throw new Error(`B's fever row reads ${text}`);
    await shot(b, 'B-fever', { clear: true });
    await step.goTab(t, 'tab-home');
    await waitUntil(async () => (await step.attr(t, 'home-fevers', 'data-count')) === '1', { what: 'B home: 1 fever' });
    await shot(b, 'B-home', { clear: true });
  });
  await timed('B: pastes afternoon readings reported by phone, matched and saved in one go', async () => {
    await step.goTab(t, 'tab-households');
    await t.click('paste-open');
    await t.click('paste-slot-afternoon');
    await t.type('paste-text', `${people[0].name} 36.6，${people[1].name} 37.9`);
    await t.click('paste-match');
    const rows = await step.waitCount(t, 'paste-row', (n) => n === 2, 'two pasted readings');
    for (const r of rows) {
      if ((await r.attr('data-problem')) !== 'none') throw new Error(`a pasted reading has a problem: ${await r.text()}`);
    }
    if ((await rows[1].attr('data-fever')) !== 'true') throw new Error('37.9 not marked a fever');
    await shot(b, 'B-paste', { clear: true });
    await t.click('paste-save');
    await waitUntil(
      async () => {
        const toast = await t.all('toast');
        return toast.length > 0 && (await toast[0].text()).includes('2');
      },
      { timeoutMs: 15_000, what: 'the saved toast for 2 pasted readings' },
    );
    // Both fevers of the day on the household's check screen: A's morning one, B's afternoon one.
    await step.goTab(t, 'tab-households');
    const item = await waitUntil(
      async () => {
        for (const e of await t.all('hh-item')) if ((await e.attr('data-id')) === hhId) return e;
        return null;
      },
      { what: `household ${hhId} in B's list` },
    );
    await t.click(item);
    await t.click('hh-go-temperature');
    const fevers = await step.waitCount(t, 'fever-item', (n) => n === 2, 'two fevers after the paste');
    const slots = await Promise.all(fevers.map((f) => f.attr('data-slot')));
    if (!slots.includes('morning') || !slots.includes('afternoon')) throw new Error(`fever slots ${slots.join(',')}`);
  });
  await timed('B: shows the report with its photo', async () => {
    // The photo's bytes may reach B after the report's document: like a member who sees
    // "not synced yet", reopen the report until it shows (bounded).
    const deadline = Date.now() + 90_000;
    for (let attempt = 1; ; attempt++) {
      await step.goTab(t, 'tab-reports');
      const item = await waitUntil(
        async () => {
          for (const e of await t.all('report-item')) if ((await e.attr('data-id')) === report.id) return e;
          return null;
        },
        { timeoutMs: 30_000, what: `report ${report.id} in B's list` },
      );
      await t.click(item);
      const img = await t.el('report-photo', { timeoutMs: 30_000 });
      if ((await img.attr('data-hash')) !== report.hash) throw new Error('B shows a different photo');
      try {
        await waitUntil(async () => (await img.attr('data-loaded')) === 'true', {
          timeoutMs: Math.max(1000, Math.min(15_000, deadline - Date.now())),
          what: `the report's photo bytes to show on B (attempt ${attempt})`,
        });
        break;
      } catch (e) {
        if (Date.now() >= deadline) throw e;
      }
    }
    await shot(b, 'B-report-photo', { clear: true });
  });
  await timed('B: close', () => closeApp(b));
  return { ...report, grid: GRID };
}

/** Part 2: a standard day on a seeded grid; returns the action counts. */
async function standardDay(relay) {
  const seedUser = relay.addMember('种子设备', GRID_2);
  const member = relay.addMember('网格员丙', GRID_2);
  await timed('day: seed grid 2 through a seeding device', async () => {
    const out = run(SEEDER, [relay.url, relay.code(seedUser), join(work, 'seed'), '8'], { timeoutMs: 180_000 });
    log(`     ${out.split('\n').join(' / ')}`);
  });
  const photos = [makePhoto(work, 'day-1.jpg', 21, 'gray-khaki'), makePhoto(work, 'day-2.jpg', 22, 'navy-wheat')];
  const counter = new ActionCounter();
  const c = await timed('day: start the app', () => openApp({ name: 'C', counter, env: { WANGGE_RELAY_URL: relay.url } }));
  const s = c.session;
  await timed('day: enroll', () => step.enroll(s, { relayUrl: relay.url, code: relay.code(member), expectPrefill: true }));
  await timed('day: sync the grid down', () => step.waitSynced(s, { timeoutMs: 120_000 }));
  const start = counter.snapshot();
  const phases = {};
  const back = () => step.back(s);

  await timed('day: 20 residents\u2019 temperature checks', async () => {
    const p0 = counter.snapshot();
    let checked = 0;
    let i = 0;
    // The home screen's checks card opens the first household due; then household after
    // household from the check screen: save, and on to the next one due (address order).
    await s.click('home-checks');
    while (checked < 20) {
      const rows = await step.waitCount(s, 'temp-row', (n) => n > 0, 'temperature rows');
      const n = Math.min(rows.length, 20 - checked);
      const readings = Array.from({ length: n }, (_, k) => (k % 2 ? '366' : '365'));
      await step.enterTemperatures(s, readings);
      const went = await step.saveTemperaturesAndNext(s);
      checked += n;
      i += 1;
      if (went === 'done' && checked < 20) throw new Error(`the grid was done after ${checked} checks`);
    }
    phases.checks = { ...counter.since(p0), households: i };
    await shot(c, 'day-households');
  });
  await timed('day: one visit', async () => {
    const p0 = counter.snapshot();
    await step.goTab(s, 'tab-households');
    const items = await step.waitCount(s, 'hh-item', (n) => n > 0, 'households');
    await s.click(items[0]);
    await s.click('hh-go-visit');
    await s.click('visit-purpose-safety_patrol');
    await s.type('visit-notes', '检查燃气阀门和烟感报警器');
    // One need: typed and saved with the visit (a need typed but not added is kept).
    await s.type('visit-need-text', '更换烟感报警器');
    await s.click('visit-save');
    await s.el('toast');
    phases.visit = counter.since(p0);
  });
  await timed('day: one report with two photos', async () => {
    const p0 = counter.snapshot();
    await step.fileReport(s, {
      category: 'urban_property',
      severity: 'minor',
      place: '和平里5号楼东侧',
      description: '路灯损坏,夜间照明不足',
      photos,
    });
    await step.waitCount(s, 'report-photo', (n) => n === 2, 'two photos on the report page', 30_000);
    phases.report = counter.since(p0);
    await shot(c, 'day-report');
  });
  await timed('day: the journal', async () => {
    const p0 = counter.snapshot();
    await step.goTab(s, 'tab-journal');
    const text = await s.el('journal-text');
    await s.click('journal-draft');
    await waitUntil(async () => ((await text.prop('value')) ?? '').length > 0, { what: 'a drafted journal' });
    await s.click('journal-save');
    await s.el('toast');
    phases.journal = counter.since(p0);
    await shot(c, 'day-journal');
  });
  const wroteAt = Date.now();
  await timed('day: sync finishes', () => step.waitSynced(s, { since: wroteAt, timeoutMs: 180_000 }));
  await timed('day: close', () => closeApp(c));
  return { total: counter.since(start), phases };
}

async function main() {
  const relay = new Relay(RELAY, work);
  await timed('relay: set up divisions, grids and start on loopback', async () => {
    relay.setupGrids();
    await relay.start();
    log(`     relay ${relay.url}, work dir ${work}`);
  });
  let failed = false;
  if (only !== 'day') {
    try {
      const report = await e2e(relay);
      const after = makePhoto(work, 'after.jpg', 31, 'gray-khaki');
      await chain({ timed, shot, openApp, closeApp }, relay, report, after);
      const sink = new NotificationSink(SINK, work);
      await timed('notices: a desktop notification server on the run\u2019s session bus', () => sink.start());
      await notices({ timed, shot, openApp, closeApp }, relay, {
        sink,
        alertPhoto: makePhoto(work, 'missing.jpg', 41, 'khaki-navy'),
        cluePhoto: makePhoto(work, 'sighting.jpg', 43, 'teal-orange'),
      });
      await campaigns({ timed, shot, openApp, closeApp });
    } catch {
      failed = true;
      for (const app of open) {
        try {
          await shot(app, `FAIL-${app.name}`);
        } catch {
          // no window to take
        }
        await closeApp(app);
      }
    }
  }
  let day = null;
  if (only !== 'e2e') {
    try {
      day = await standardDay(relay);
    } catch {
      failed = true;
      for (const app of open) {
        try {
          await shot(app, `FAIL-${app.name}`);
        } catch {
          // no window to take
        }
        await closeApp(app);
      }
    }
  }
  await stopAll();
  try {
    await timed('relay: logged no error during normal use', async () => {
      const text = readFileSync(join(relay.dir, 'relay.log'), 'utf8').replace(/\x1b\[[0-9;]*m/g, '');
      const errors = text.split('\n').filter((l) => / ERROR /.test(l));
      if (errors.length) throw new Error(`${errors.length} ERROR lines, first: ${errors[0].slice(0, 300)}`);
    });
  } catch {
    failed = true;
  }
  console.log('\n== results ==');
  for (const r of results) console.log(`${r.ok ? 'ok  ' : 'FAIL'} ${secs(r.ms).padStart(8)}  ${r.name}${r.ok ? '' : `\n      ${r.error}`}`);
  if (day) {
    const t = day.total;
    console.log(
      `\nstandard day: ${t.actions} UI actions (${t.clicks} clicks/taps + ${t.entries} text entries; ${t.keystrokes} characters typed)`,
    );
    if (t.intercepted) console.log(`  ${t.intercepted} taps first landed on an overlay (a toast) and had to wait for it to go`);
    for (const [k, v] of Object.entries(day.phases)) {
      console.log(`  ${k.padEnd(8)} ${String(v.actions).padStart(4)} actions (${v.clicks} clicks, ${v.entries} entries)${v.households ? `, ${v.households} households` : ''}`);
    }
  }
  const passed = results.filter((r) => r.ok).length;
  const failedN = results.length - passed;
  console.log(`\nscreenshots: ${artifacts}\nlogs: ${work}`);
  console.log(`${passed} passed, ${failedN} failed`);
  process.exitCode = failed || failedN > 0 ? 1 : 0;
}

const watchdog = setTimeout(() => {
  console.error(`e2e: gave up after ${TOTAL_TIMEOUT_MS / 60000} minutes`);
  killAllNow();
  process.exit(1);
}, TOTAL_TIMEOUT_MS);
watchdog.unref();
process.on('SIGINT', () => {
  killAllNow();
  process.exit(130);
});
process.on('SIGTERM', () => {
  killAllNow();
  process.exit(143);
});
process.on('exit', killAllNow);

main().catch((e) => {
  console.error(e);
  killAllNow();
  process.exit(1);
});
