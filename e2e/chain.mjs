// Part 3 (chain): the report instance A filed in part 1 goes up the chain of command and
// back, each party in its own app instance enrolled at the same relay: the grid leader
// and the community send it up (上报), the street's command centre dispatches it (派遣) to
// its 城管 department, which finishes it (办结) with an after-photo, and the centre checks
// it (核查通过) and reads the month's statistics (统计分析). Every step goes through the event
// page's own buttons and is synced by the app itself.

import { COMMUNITY, DEPARTMENT, STREET } from './lib/relay.mjs';
import * as step from './lib/steps.mjs';
import { ActionCounter, waitUntil } from './lib/webdriver.mjs';

/** Opens the event `reportId` from the to-do list (待办), once it has synced in. */
async function openTask(s, reportId) {
  await step.goTab(s, 'tab-tasks');
  const item = await waitUntil(
    async () => {
      for (const e of await s.all('task-item')) if ((await e.attr('data-id')) === reportId) return e;
      return null;
    },
    { timeoutMs: 60_000, what: `event ${reportId} in the to-do list` },
  );
  await s.click(item);
  await s.el('event-panel', { timeoutMs: 15_000 });
}

/** Takes the step `kind` through its form (`fill` types into it); waits for it in the timeline. */
async function takeStep(s, kind, fill = async () => {}) {
  const before = (await s.all('event-step')).length;
  await s.click(`event-action-${kind}`);
  await s.el('event-form');
  await fill();
  await s.click('event-submit');
  await waitUntil(
    async () => {
      const errs = await s.all('event-error');
      if (errs.length) {
        const e = new Error(`${kind} refused: ${await errs[0].text()}`);
        e.fatal = true;
        throw e;
      }
      return (await s.all('event-step')).length > before;
    },
    { timeoutMs: 20_000, what: `the ${kind} step in the timeline` },
  );
}

export async function chain(ctx, relay, report, photo) {
  const { timed, shot, openApp, closeApp } = ctx;
  relay.addDepartment(DEPARTMENT, '城管科');
  const people = {
    leader: relay.addUser('网格长甲', 'leader', report.grid),
    community: relay.addUser('社区丁', 'chief-leader', COMMUNITY),
    centre: relay.addUser('指挥中心戊', 'centre', STREET),
    dept: relay.addUser('城管科己', 'department', DEPARTMENT),
  };
  /** `who` starts (enrolling the first time), does `work` and syncs before closing. */
  async function as(who, label, work, { enroll = true } = {}) {
    const app = await timed(`chain: ${label} starts the app`, () => openApp({ name: who, counter: new ActionCounter() }));
    const s = app.session;
    if (enroll) await timed(`chain: ${label} enrolls`, () => step.enroll(s, { relayUrl: relay.url, code: relay.code(people[who]) }));
    await work(app, s);
    const wroteAt = Date.now();
    await timed(`chain: ${label}'s steps sync up`, () => step.waitSynced(s, { since: wroteAt, timeoutMs: 120_000 }));
    await timed(`chain: ${label} closes`, () => closeApp(app));
  }
  const note = (text) => async (s) => s.type('event-note', text);

  await as('leader', 'grid leader', async (app, s) => {
    await timed('chain: the leader sends the report up to the community (上报)', async () => {
      await openTask(s, report.id);
      await takeStep(s, 'escalate', () => note('需要社区协调')(s));
    });
  });
  await as('community', 'community', async (app, s) => {
    await timed('chain: the community sends it up to the centre (上报)', async () => {
      await openTask(s, report.id);
      await takeStep(s, 'escalate', () => note('需要执法部门处理')(s));
    });
  });
  await as('centre', 'command centre', async (app, s) => {
    await timed('chain: the centre dispatches it to the 城管 department (派遣)', async () => {
      await openTask(s, report.id);
      await takeStep(s, 'dispatch', async () => {
        await s.click('event-target-kind-department');
        // Picked by name from the directory the relay sent (the code field is the fallback).
        await s.click(await s.el(`event-target-unit-${DEPARTMENT}`, { timeoutMs: 30_000 }));
        const typed = await (await s.el('event-target')).prop('value');
        if (typed !== DEPARTMENT) throw new Error(`picking 城管科 set the target to ${JSON.stringify(typed)}`);
        await note('请城管科处理')(s);
      });
      const assignee = await (await s.el('event-assignee')).text();
      if (!assignee.includes('城管科')) throw new Error(`assignee reads ${JSON.stringify(assignee)}, not the department's name`);
      await shot(app, 'chain-dispatched', { clear: true });
    });
  });
  await as('dept', '城管 department', async (app, s) => {
    await timed('chain: the department finishes it with an after-photo (办结)', async () => {
      await openTask(s, report.id);
      await takeStep(s, 'finish', async () => {
        await note('已清理楼道杂物')(s);
        await s.attachFile('event-photo-input', photo);
        await step.waitCount(s, 'event-photo-thumb', (n) => n >= 1, 'the after-photo thumbnail', 120_000);
      });
      const state = await (await s.el('event-state')).text();
      if (state !== '待核查') throw new Error(`state reads ${JSON.stringify(state)}, not 待核查`);
      const tasks = await s.invoke('my_tasks');
      if (tasks.length !== 0) throw new Error(`the department still has ${tasks.length} to-dos`);
      await shot(app, 'chain-finished', { clear: true });
    });
  });
  await as(
    'centre',
    'command centre',
    async (app, s) => {
      await timed('chain: the centre checks it and closes it (核查通过)', async () => {
        await openTask(s, report.id);
        await takeStep(s, 'verify');
        const state = await (await s.el('event-state')).text();
        if (state !== '已结案') throw new Error(`state reads ${JSON.stringify(state)}, not 已结案`);
        const kinds = [];
        for (const e of await s.all('event-step')) kinds.push(await e.attr('data-kind'));
        const want = ['file', 'escalate', 'escalate', 'dispatch', 'finish', 'verify'];
        if (kinds.join() !== want.join()) throw new Error(`timeline ${kinds.join()} is not ${want.join()}`);
        await shot(app, 'chain-closed', { clear: true });
      });
      await timed('chain: the centre reads the month\u2019s statistics (统计分析)', async () => {
        await step.goTab(s, 'tab-tasks');
        await s.click('open-stats');
        const reports = await waitUntil(async () => (await s.all('stats-reports'))[0], { what: 'the statistics cards' });
        const text = await reports.text();
        if (!text.startsWith('1')) throw new Error(`上报 card reads ${JSON.stringify(text)}`);
        await step.waitCount(s, 'stats-row', (n) => n >= 2, 'a grid row and a category row');
        await shot(app, 'chain-stats');
      });
    },
    { enroll: false },
  );
}
