// Part 5 (campaigns, with parts 1 and 4): the street's command centre starts a roster
// campaign (专项任务, 全员核酸) over every resident; member A's app, opened again, has it
// with the grid's roster from the ledger already on the device: A ticks one resident with
// one tap and marks the other away (外出) with a reason. The centre sees the completion by
// grid, exports it as `.xlsx`, and reads the present-and-away tallies (在区人口): one of the
// two away.

import * as step from './lib/steps.mjs';
import { ActionCounter, waitUntil } from './lib/webdriver.mjs';

const TITLE = '全员核酸检测';

/** Opens the campaign titled `title` from the home screen's 专项任务 card. */
async function openCampaign(s, title) {
  await step.goTab(s, 'tab-home');
  await s.click('home-campaigns');
  const row = await waitUntil(
    async () => {
      for (const e of await s.all('campaign-row')) if ((await e.text()).includes(title)) return e;
      return null;
    },
    { timeoutMs: 60_000, what: `the campaign ${title} in the list` },
  );
  await s.click(row);
  await s.el('campaign-page', { timeoutMs: 15_000 });
}

export async function campaigns(ctx) {
  const { timed, shot, openApp, closeApp } = ctx;
  const centre = await timed("campaigns: the centre's app starts again", () =>
    openApp({ name: 'notice-centre', counter: new ActionCounter() }),
  );
  const c = centre.session;
  await timed('campaigns: the centre starts a 全员 campaign over every resident of its street', async () => {
    await step.goTab(c, 'tab-home');
    await c.click('home-campaigns');
    await c.click('campaign-new');
    await c.type('campaign-title', TITLE);
    await c.type('campaign-text', '今日18时前完成,外出人员注明去向');
    await c.click('campaign-subject-residents');
    await c.type('campaign-due-hours', '8');
    await c.click('campaign-submit');
    await c.el('campaign-page', { timeoutMs: 30_000 });
    const role = await step.attr(c, 'campaign-page', 'data-role');
    if (role !== 'creator') throw new Error(`the centre's campaign page reads role ${role}`);
  });
  const startedAt = Date.now();
  await timed("campaigns: the centre's campaign syncs up", () => step.waitSynced(c, { since: startedAt, timeoutMs: 120_000 }));
  await timed('campaigns: the centre closes', () => closeApp(centre));

  const member = await timed("campaigns: member A's app starts again", () => openApp({ name: 'A', counter: new ActionCounter() }));
  const a = member.session;
  await timed("campaigns: A ticks the grid's residents off: one tap, and one away with a reason", async () => {
    await waitUntil(async () => (await step.attr(a, 'sync-badge', 'data-state')) === 'synced', { timeoutMs: 60_000, what: 'A synced' });
    await openCampaign(a, TITLE);
    const items = await step.waitCount(a, 'campaign-roster-item', (n) => n === 2, "the grid's two residents on the roster", 30_000);
    const [first, second] = await Promise.all(items.map((i) => i.attr('data-subject')));
    await a.click(`campaign-tick-${first}`);
    await waitUntil(async () => (await step.attr(a, 'campaign-progress', 'data-done')) === '1', { what: 'one of two done' });
    await a.click(`campaign-more-${second}`);
    await a.click('campaign-option-away');
    await a.type('campaign-note', '在外地探亲');
    await a.click('campaign-note-ok');
    await waitUntil(
      async () => {
        for (const i of await a.all('campaign-roster-item')) {
          if ((await i.attr('data-subject')) === second) return (await i.attr('data-answer')) === 'away';
        }
        return false;
      },
      { what: 'the second resident marked away' },
    );
    const total = await step.attr(a, 'campaign-progress', 'data-total');
    if (total !== '2') throw new Error(`the roster counts ${total}, not 2`);
    await shot(member, 'campaign-roster', { clear: true });
  });
  const tickedAt = Date.now();
  await timed("campaigns: A's ticks sync up", () => step.waitSynced(a, { since: tickedAt, timeoutMs: 120_000 }));
  await timed('campaigns: A closes', () => closeApp(member));

  const again = await timed("campaigns: the centre's app starts again", () =>
    openApp({ name: 'notice-centre', counter: new ActionCounter() }),
  );
  const c2 = again.session;
  await timed('campaigns: the centre sees the completion by grid and exports it (.xlsx)', async () => {
    await openCampaign(c2, TITLE);
    await waitUntil(
      async () => {
        const t = (await c2.all('campaign-total'))[0];
        return t && (await t.attr('data-done')) === '1' && (await t.attr('data-total')) === '2';
      },
      { timeoutMs: 60_000, what: 'the completion 1 of 2 on the centre' },
    );
    const rows = await step.waitCount(c2, 'campaign-grid-row', (n) => n >= 1, 'a grid row');
    if ((await rows[0].attr('data-done')) !== '1') throw new Error('the grid row does not count the tick');
    await c2.click('campaign-export');
    const exported = await c2.el('campaign-exported', { timeoutMs: 30_000 });
    if (!(await exported.text()).includes('.xlsx')) throw new Error(`the export reads ${await exported.text()}`);
    await shot(again, 'campaign-completion', { clear: true });
  });
  await timed('campaigns: the centre reads the present-and-away tallies (在区人口)', async () => {
    await step.back(c2);
    const total = await c2.el('presence-total', { timeoutMs: 15_000 });
    const [all, away, present] = await Promise.all(['data-total', 'data-away', 'data-present'].map((a) => total.attr(a)));
    if (all !== '2' || away !== '1' || present !== '1') throw new Error(`在区人口 reads total ${all}, away ${away}, present ${present}`);
    await c2.execute('document.querySelector(\'[data-testid="presence"]\').scrollIntoView();');
    await shot(again, 'presence', { clear: true });
  });
  await timed('campaigns: the centre closes again', () => closeApp(again));
}
