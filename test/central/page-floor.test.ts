// The console's page with real agent processes on two carriers (test/central/world.ts) and Debian's Chromium, three
// operators at once: a national operator, a provincial one (p-01) and a viewer, each in their own browser context.
// What they read: the provincial page holds only its province; talk buttons pressed on the simulated panels come
// into the floor queue in the same order on every page; a grant clicked on one page shows on the others, with the
// hall's answer; revoke empties the queue; a group
// action is sent only after its confirmation and its answers are counted on the page; a roll call every hall answers
// lists none missing as soon as it counts none missing; the viewer has no buttons; logging out and in again on the
// same page leaves one console in its memory.
import t from 'tap';
import { startWorld, PASSWORD, HALLS, HANOI, eventually, type World } from './world.js';
import { launchChromium } from '../../lab/chromium.js';
import { openConsole, cellColors, liveInstances, logIn, reloadToLogin, type ConsolePage } from '../../lab/console-page.js';
import { pressButton } from '../../lab/hall-capabilities.js';
import type { Browser, Page } from 'playwright-core';

// The browser starts while the world does; the three operators log in at once, each in their own context.
const [w, browser]: [World, Browser] = await Promise.all([
  startWorld().then((x) => (t.teardown(() => x.close()), x)),
  launchChromium().then((b) => (t.teardown(() => b.close()), b)),
]);
const [nat, hanoi, viewer]: ConsolePage[] = await Promise.all([
  openConsole(browser, w.central.url, 'nat', PASSWORD),
  openConsole(browser, w.central.url, 'hanoi', PASSWORD),
  openConsole(browser, w.central.url, 'watch', PASSWORD),
]);
const pages = { nat, hanoi, viewer };

const brokerOf = (box: string) => w.brokers[HALLS.find((x) => x.id === box)!.carrier].url;
/** The floor queue as a page lists it, top to bottom: box and shown status. */
const queueOf = (p: Page) =>
  p.$$eval('.floor-entry', (els) => els.map((e) => `${(e as HTMLElement).dataset.box} ${e.querySelector('.badge')!.textContent}`));
const waitQueue = async (p: Page, want: string[], what: string) => {
  let shown: string[] = [];
  await eventually(async () => JSON.stringify((shown = await queueOf(p))) === JSON.stringify(want), `${what}: ${JSON.stringify(want)}`, 15000).catch((err) => {
    throw new Error(`${err.message} (shows ${JSON.stringify(shown)})`);
  });
};

t.test('the provincial page holds only its province', async (t) => {
  const grids = await hanoi.page.$$eval('canvas.grid', (els) => els.map((e) => (e as HTMLElement).dataset.group));
  t.same(grids, ['p-01'], 'one wall grid: p-01');
  const colors = await cellColors(hanoi.page, HALLS.map((h) => h.id));
  t.same(Object.keys(colors).filter((b) => colors[b] !== null).sort(), [...HANOI].sort(), 'its three halls drawn, no other');
  t.match(await hanoi.page.textContent('.total .heard-of'), /^0 of 3 heard$/);
  t.same(await hanoi.page.$$eval('.chip', (els) => els.map((e) => (e as HTMLElement).dataset.group)), ['p-01'], 'only its group counted');
  await hanoi.page.click('.tab[data-view=list]');
  await hanoi.page.waitForSelector('.list-rows .list-row');
  t.same((await hanoi.page.$$eval('.list-rows .list-row', (els) => els.map((e) => (e as HTMLElement).dataset.box))).sort(), [...HANOI].sort(), 'the list too');
  await hanoi.page.click('.tab[data-view=wall]');
  t.equal(await nat.page.textContent('.total .heard-of'), '0 of 5 heard', 'the national page holds all five');
  t.notOk(await hanoi.page.$('.scope option[value="@all"]'), 'no "all halls" scope for a provincial operator');
});

t.test('talk pressed on three halls: the same queue, in arrival order, on every page', async (t) => {
  // Across both carriers; each press waits for the one before to be queued, so arrival order is known.
  const order = ['vn-10002', 'vn-10003', 'vn-10001'];
  for (const [i, box] of order.entries()) {
    await pressButton(brokerOf(box), box, 'talk');
    await waitQueue(nat.page, order.slice(0, i + 1).map((b) => `${b} asks`), 'the national page');
  }
  const want = order.map((b) => `${b} asks`);
  for (const [name, p] of Object.entries(pages)) {
    await waitQueue(p.page, want, name);
    t.same(await queueOf(p.page), want, `${name}: the same order`);
  }
  t.same(
    (await w.nat.get('/api/floor')).body.queue.map((e: any) => e.box),
    order,
    "the server's order",
  );
});

t.test('a grant clicked on the provincial page shows on every page; revoke empties the queue', async (t) => {
  const box = 'vn-10003';
  await hanoi.page.click(`.floor-entry[data-box="${box}"] .floor-grant`);
  const want = ['vn-10002 asks', `${box} on air`, 'vn-10001 asks'];
  for (const [name, p] of Object.entries(pages)) await waitQueue(p.page, want, `${name} after the grant`);
  t.pass('granted: "on air" on all three pages, the order kept');
  // These halls run without media: the agent refuses the floor outside a meeting (or, older, does not know
  // floor.grant); either way its answer is what the page shows under the entry. page-preview.test.ts grants the
  // floor to a hall in a meeting and sees its tally go on air.
  const err = await eventually(async () => (await nat.page.textContent(`.floor-entry[data-box="${box}"] .floor-error`).catch(() => null)) ?? '', 'the hall\'s answer shown', 15000);
  t.match(err, /floor\.grant/, `the hall's answer is shown: ${err}`);
  for (const b of ['vn-10002', box, 'vn-10001']) {
    await nat.page.click(`.floor-entry[data-box="${b}"] .floor-revoke`);
    await eventually(async () => !(await nat.page.$(`.floor-entry[data-box="${b}"]`)), `${b} gone from the queue`);
  }
  for (const [name, p] of Object.entries(pages)) await eventually(async () => (await queueOf(p.page)).length === 0, `${name}: queue empty`);
  const steps = (await w.nat.get('/api/floor/log')).body.filter((l: any) => ['request', 'grant', 'revoke'].includes(l.action));
  t.same(steps.map((l: any) => `${l.action} ${l.box} ${l.operator ?? ''}`.trim()), [
    'request vn-10002',
    'request vn-10003',
    'request vn-10001',
    'grant vn-10003 hanoi',
    'revoke vn-10002 nat',
    'revoke vn-10003 nat',
    'revoke vn-10001 nat',
  ]);
});

t.test('call on a hall by its code: "called on" on every page', async (t) => {
  await nat.page.fill('.floor .floor-code', 'vn-30001');
  await nat.page.click('.floor .floor-call');
  await waitQueue(nat.page, ['vn-30001 called on'], 'national page');
  await waitQueue(viewer.page, ['vn-30001 called on'], 'viewer page');
  t.same(await queueOf(hanoi.page), [], 'not on the provincial page: another province');
  await nat.page.click('.floor-entry[data-box="vn-30001"] .floor-revoke');
  await waitQueue(viewer.page, [], 'revoked');
});

t.test('a readiness sweep from the page: counts, a bar per province, the CSV report', async (t) => {
  const p = nat.page;
  await p.selectOption('.readiness select.scope', 'p-01');
  await p.fill('.readiness .rd-seconds', '1');
  await p.click('.readiness .rd-start');
  const count = (k: string) => p.textContent(`.rd-counts [data-count=${k}] strong`);
  // Stressed run 93: still pending after 60 s. Found since: the start's own answer (pending 3), read after the live
  // feed's last counts, was drawn over them, and progress is sent only when it changes (page-progress.test.ts); and a
  // page whose feed came back got no progress in its new snapshot (operations.test.ts). What the page showed and
  // what it failed to fetch are said if it happens again.
  await eventually(async () => (await count('pending')) === '0', 'the sweep done', 60000, 250).catch(async (err) => {
    const panel = ((await p.textContent('.readiness').catch(() => null)) ?? '').replace(/\s+/g, ' ').slice(0, 400);
    throw new Error(`${err.message} (the panel shows ${JSON.stringify(panel)}; failed requests: ${nat.failed.join(' | ') || 'none'})`);
  });
  // These halls run without media: their selftest is refused, so each fails with that reason.
  t.same([await count('passed'), await count('failed'), await count('offline')], ['0', '3', '0']);
  await eventually(async () => (await p.$$eval('.rd-failed li', (els) => els.length)) === 3, 'the failures listed');
  t.match(await p.textContent('.rd-failed'), /selftest not available/);
  t.equal(await p.getAttribute('canvas.rd-chart', 'data-groups'), '1', 'one province in the chart');
  const href = (await p.getAttribute('.rd-csv', 'href'))!;
  const csv = await p.evaluate((u) => fetch(u).then((r) => r.text()), href);
  const lines = csv.trim().split(/\r?\n/);
  t.equal(lines[0], 'box,name,carrier,groups,status,reason,loss_pct,rtt_ms,at');
  t.same(lines.slice(1).map((l) => l.split(',')[0]).sort(), [...HANOI].sort(), 'one line per hall, from the link the page shows');
});

t.test('a group action is sent only once confirmed; its answers are counted on the page', async (t) => {
  const p = nat.page;
  await p.selectOption('.actions .action-which', 'display-off');
  await p.selectOption('.actions select.scope', 'p-01');
  await p.click('.actions .action-send');
  await p.waitForSelector('dialog.confirm[open]');
  t.equal(await p.textContent('dialog.confirm .confirm-text'), 'Send “Display off” to 3 halls?');
  await p.click('dialog.confirm button[value=no]');
  const commandsSent = async () => (await w.nat.get('/api/audit?limit=50')).body.filter((a: any) => a.action === 'command').length;
  t.equal(await commandsSent(), 0, 'cancelled: nothing sent');
  await p.click('.actions .action-send');
  await p.click('dialog.confirm button[value=yes]');
  const line = await eventually(async () => {
    const s = (await p.textContent('.actions .action-progress')) ?? '';
    return /3 of 3 answered/.test(s) && s;
  }, 'three answers counted on the page', 20000);
  t.equal(line, 'Display off: 3 of 3 answered, 0 failed');
  t.equal(await commandsSent(), 1, 'sent once');
});

t.test('a roll call every hall answers: the missing list is empty the moment the count says 0 missing', async (t) => {
  const p = nat.page;
  t.equal((await w.nat.post('/api/meetings', { title: 'roll call', bridge: 'http://127.0.0.1:9/janus', room: 1 })).status, 200);
  await p.waitForSelector('.rollcall .rc-start:not([disabled])');
  await p.selectOption('.rollcall select.scope', '@all');
  await p.click('.rollcall .rc-start');
  // Read in every frame until the count shows 0 missing, and then what the list shows in that same frame.
  const seen = await p.waitForFunction(
    () =>
      document.querySelector('.rc-counts [data-count=missing] strong')?.textContent === '0' && {
        answered: document.querySelector('.rc-counts [data-count=answered] strong')!.textContent,
        listed: document.querySelectorAll('.rollcall .missing-list li').length,
        heading: document.querySelector('.rollcall h3')?.textContent ?? null,
      },
    undefined,
    { polling: 'raf', timeout: 20000 },
  );
  t.same(await seen.jsonValue(), { answered: String(HALLS.length), listed: 0, heading: 'Missing halls (0)' }, 'all answered, none listed missing');
});

t.test("the viewer's page has no action buttons, and shows everything else", async (t) => {
  const p = viewer.page;
  t.equal(await p.$$eval('.side button, .meeting-bar button, .meeting-bar form, .floor-grant, .floor-revoke', (els) => els.length), 0, 'no buttons in the panels or the meeting bar');
  t.equal(await p.textContent('.total .heard-of'), '0 of 5 heard');
  await p.click(`canvas.grid[data-group="p-02"]`, { position: { x: 3, y: 3 } });
  await p.waitForSelector('.detail:not([hidden]) .detail-name');
  t.equal(await p.textContent('.detail-name'), HALLS.find((h) => h.id === 'vn-20001')!.name, 'a hall opens on click');
  t.notOk(await p.$('.detail .detail-actions'), 'and its detail has no actions');
});

t.test('logout and login again on the same page: the first console is let go, the second counts', async (t) => {
  // A page of its own: the handles the other tests hold on their pages' elements would keep those consoles alive.
  const c = await openConsole(browser, w.central.url, 'hanoi', PASSWORD);
  t.teardown(() => c.close());
  const p = c.page;
  const models = () => liveInstances(p, 'window.diemcau.model');
  t.equal(await models(), 1, 'one model before');
  await p.click('header .logout');
  await (await p.waitForSelector('form.login'))?.dispose();
  await logIn(p, 'hanoi', PASSWORD);
  await eventually(async () => (await p.textContent('.total .heard-of')) === '0 of 3 heard', 'the counts of the second console', 10000);
  // The first console's timers (its status line's 10 s at most) may hold it a while; nothing may hold it for good.
  let n = 0;
  await eventually(async () => (n = await models()) === 1, 'one model: nothing holds the first console', 20000, 1000).catch(() => {});
  t.equal(n, 1, 'one model after: nothing holds the first console');
  t.same(c.errors, [], 'no page errors');
});

t.test('logout: back to the login form, and the session is gone', async (t) => {
  const p = viewer.page;
  await p.click('header .logout');
  await (await p.waitForSelector('form.login'))?.dispose();
  await reloadToLogin(viewer);
  t.equal(await p.evaluate(() => fetch('/api/me').then((r) => r.status)), 401);
});

t.test('no page errors', async (t) => {
  for (const [name, p] of Object.entries(pages)) t.same(p.errors, [], name);
});
