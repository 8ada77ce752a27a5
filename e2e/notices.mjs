// Part 4 (notices, with part 1): a missing-person alert (寻人) from the street's command
// centre to every grid, with a photo. Member A's app, opened again, gets it on its first
// sync and raises the OS notification (checked at a desktop notification server on the
// run's private session bus, e2e/lib/notify.mjs); A opens it from the 特急 banner, signs
// for it (签收) and sends a clue (线索) with a photo. The centre sees A on the receipt
// roster as confirmed and the clue with its photo.

import * as step from './lib/steps.mjs';
import { ActionCounter, waitUntil } from './lib/webdriver.mjs';

const TITLE = '寻找走失老人';

/** Opens the notice titled `title` from the 通知 list, once it has synced in. */
async function openNotice(s, title) {
  await step.goTab(s, 'tab-notices');
  const item = await waitUntil(
    async () => {
      for (const e of await s.all('notice-item')) if ((await e.text()).includes(title)) return e;
      return null;
    },
    { timeoutMs: 60_000, what: `the notice ${title} in the list` },
  );
  await s.click(item);
  await s.el('notice-page', { timeoutMs: 15_000 });
}

export async function notices(ctx, relay, { sink, alertPhoto, cluePhoto }) {
  const { timed, shot, openApp, closeApp } = ctx;
  const centreUser = relay.addUser('指挥中心庚', 'centre', '110105001');
  const centre = await timed('notices: a centre starts the app and enrolls', async () => {
    const app = await openApp({ name: 'notice-centre', counter: new ActionCounter() });
    await step.enroll(app.session, { relayUrl: relay.url, code: relay.code(centreUser) });
    return app;
  });
  const c = centre.session;
  await timed('notices: the centre sends a 特急 missing-person alert with a photo to every grid', async () => {
    await step.goTab(c, 'tab-notices');
    await c.click('notice-new');
    await c.click('notice-sort-missing_person');
    await c.click('notice-priority-critical');
    await c.type('notice-title', TITLE);
    await c.type('notice-text', '请各网格留意,发现线索请立即上报。');
    await c.type('notice-person-name', '赵某某');
    await c.type('notice-person-description', '男,78岁,灰色外套,行动缓慢');
    await c.type('notice-person-place', '建外街道东门');
    await c.type('notice-person-contact', '指挥中心 65001234');
    await c.attachFile('notice-photo-input', alertPhoto);
    await step.waitCount(c, 'notice-photo-thumb', (n) => n === 1, 'the alert photo thumbnail', 60_000);
    await c.click('notice-submit');
    await c.el('notice-page', { timeoutMs: 30_000 });
    const role = await step.attr(c, 'notice-page', 'data-role');
    if (role !== 'sender') throw new Error(`the centre's page reads role ${role}`);
    await shot(centre, 'notice-sent', { clear: true });
  });
  const sentAt = Date.now();
  await timed("notices: the centre's alert syncs up", () => step.waitSynced(c, { since: sentAt, timeoutMs: 120_000 }));
  await timed('notices: the centre closes', () => closeApp(centre));

  const member = await timed("notices: member A's app starts again", () => openApp({ name: 'A', counter: new ActionCounter() }));
  const a = member.session;
  await timed('notices: A gets the OS notification of the alert', async () => {
    const got = await waitUntil(async () => sink.received().find((n) => n.summary.includes(TITLE)), {
      timeoutMs: 90_000,
      what: 'a desktop notification naming the alert',
    });
    if (!got.summary.startsWith('【特急】')) throw new Error(`the notification reads ${JSON.stringify(got.summary)}`);
  });
  await timed('notices: A opens it from the 特急 banner and signs for it (签收)', async () => {
    await waitUntil(async () => (await a.all('urgent-banner')).length > 0, { timeoutMs: 30_000, what: 'the 特急 banner' });
    // The home screen behind it, synced, for the screenshot.
    await waitUntil(async () => (await step.attr(a, 'sync-badge', 'data-state')) === 'synced', { timeoutMs: 60_000, what: 'A synced' });
    await a.el('home-fevers', { timeoutMs: 15_000 });
    await shot(member, 'notice-banner');
    await a.click('urgent-title');
    await a.el('notice-page', { timeoutMs: 15_000 });
    await a.el('notice-person');
    await waitUntil(async () => (await a.all('notice-photo')).length > 0, { timeoutMs: 60_000, what: "the alert's photo on A" });
    await a.type('notice-reply', '收到,正在楼栋间查找');
    await a.click('notice-confirm');
    await a.el('notice-confirmed', { timeoutMs: 15_000 });
  });
  await timed('notices: A sends a clue with a photo (线索)', async () => {
    await a.type('clue-text', '日坛公园北门长椅上有一位相似老人');
    await a.type('clue-place', '日坛公园北门');
    await a.attachFile('clue-photo-input', cluePhoto);
    await step.waitCount(a, 'clue-photo-thumb', (n) => n === 1, 'the clue photo thumbnail', 60_000);
    await a.click('clue-send');
    await waitUntil(async () => (await a.all('toast')).length > 0, { timeoutMs: 15_000, what: 'the clue sent toast' });
    await shot(member, 'notice-clue-sent', { clear: true });
  });
  const clueAt = Date.now();
  await timed("notices: A's receipt and clue sync up", () => step.waitSynced(a, { since: clueAt, timeoutMs: 120_000 }));
  await timed('notices: A closes', () => closeApp(member));

  const again = await timed("notices: the centre's app starts again", () =>
    openApp({ name: 'notice-centre', counter: new ActionCounter() }),
  );
  const c2 = again.session;
  await timed('notices: the centre sees A signed for it and the clue with its photo', async () => {
    await openNotice(c2, TITLE);
    await waitUntil(
      async () => {
        const counts = (await c2.all('notice-counts'))[0];
        return counts && Number(await counts.attr('data-confirmed')) >= 1;
      },
      { timeoutMs: 60_000, what: 'a confirmed receipt on the roster' },
    );
    const rows = await step.waitCount(c2, 'notice-roster-row', (n) => n >= 1, 'the receipt roster');
    const states = await Promise.all(rows.map((r) => r.attr('data-state')));
    if (!states.includes('confirmed')) throw new Error(`roster states ${states.join(',')}`);
    const clue = await waitUntil(async () => (await c2.all('notice-clue'))[0], { timeoutMs: 60_000, what: 'the clue' });
    if (!(await clue.text()).includes('日坛公园北门')) throw new Error(`the clue reads ${await clue.text()}`);
    // The clue's photo bytes come after its record (the photo task fetches them): shown
    // once here, within the page's own retries.
    await waitUntil(
      async () => {
        const img = (await c2.all('notice-clue-photo'))[0];
        return img && (await img.attr('data-loaded')) === 'true';
      },
      { timeoutMs: 120_000, what: "the clue's photo shown on the centre" },
    );
    await c2.execute('document.querySelector(\'[data-testid="notice-roster"]\').scrollIntoView();');
    await shot(again, 'notice-roster', { clear: true });
  });
  await timed('notices: the centre closes again', () => closeApp(again));
}
