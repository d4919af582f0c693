// The console's page at some scale, in Debian's Chromium: 600 real agents (in one process, as the fleet bench runs
// them) on two carriers in 12 provinces, some stopped, and 60 boxes speaking the wire protocol in meeting states
// (in meeting, seen, heard, problem) that answer roll calls. What an operator reads: the wall draws every hall in its
// state's colour (the canvas pixel of each cell against the legend), a change repaints that cell and not the wall,
// hover names the hall and a click opens it; the list is virtualized, sortable and filtered like the wall; a
// provincial page shows only its province; an incident can be suppressed; a roll call started from the page over
// the filtered halls counts live and lists the missing. Screenshots of the wall and of the roll call go to docs/img/.
import t from 'tap';
import { mkdtemp, rm, mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startBroker } from '../../lab/mosquitto.js';
import { addOperator, ConsoleClient, startCentral, writeCentralConfig } from '../../lab/central.js';
import { startInProcessHalls, stopInProcessHalls } from '../../lab/in-process-halls.js';
import { WireBox, media } from '../../lab/wire-box.js';
import { launchChromium } from '../../lab/chromium.js';
import { openConsole, legendColors, cellColors, cellOnScreen, distinctColors, near, WALL_DRAWN } from '../../lab/console-page.js';
import { PASSWORD, eventually } from './world.js';

const N = 600;
const W = 60;
const IMG = fileURLToPath(new URL('../../../docs/img/', import.meta.url));
// The browser starts while the world does (awaited once the halls are in the console).
const browserUp = launchChromium().then((b) => (t.teardown(() => b.close()), b));
const dir = await mkdtemp(join(tmpdir(), 'diemcau-page-wall-'));
t.teardown(() => rm(dir, { recursive: true, force: true }));
const brokers = await Promise.all([startBroker(), startBroker()]);
t.teardown(() => Promise.all(brokers.map((b) => b.cleanup())));
const PROVINCES = ['Hà Nội', 'Hải Phòng', 'Huế', 'Đà Nẵng', 'Cần Thơ', 'TP Hồ Chí Minh', 'Quảng Ninh', 'Nghệ An', 'Thanh Hóa', 'Lào Cai', 'Đắk Lắk', 'An Giang'];
await writeFile(join(dir, 'groups.json'), JSON.stringify(Object.fromEntries(PROVINCES.map((n, i) => [`p-${String(i).padStart(2, '0')}`, n]))));
const configPath = await writeCentralConfig(dir, {
  carriers: [{ name: 'viettel', url: brokers[0].url }, { name: 'vnpt', url: brokers[1].url }],
  incidentAfterS: 1,
  groupsFile: 'groups.json',
});
await addOperator(configPath, 'nat', 'national', PASSWORD);
await addOperator(configPath, 'quang', 'provincial', PASSWORD, ['p-03']);
const server = await startCentral(configPath);
t.teardown(() => server.stop());
const api = await ConsoleClient.login(server.url, 'nat', PASSWORD);

const halls = await startInProcessHalls(N, brokers.map((b) => b.url), { provinces: 12 });
t.teardown(() => stopInProcessHalls(halls));
const onlineCount = async () => ((await api.get('/api/groups')).body as any[]).reduce((s, g) => s + g.counts.online, 0);
// Every agent connected before some stop (an Agent stopped while it connects throws from its connect handler).
await eventually(async () => (await onlineCount()) === N, `${N} agents online`, 90000, 200);
const stopped = halls.filter((_, i) => i % 25 === 7);
await stopInProcessHalls(stopped);

// Wire boxes: five per province, one of each meeting state and a second heard; every tenth says nothing to a roll call.
// They connect at once; then each tells its presence and state in turn, so that the console meets them in id order.
const KINDS = ['in-meeting', 'seen', 'heard', 'problem', 'heard'] as const;
const wires: WireBox[] = [];
t.teardown(() => Promise.all(wires.map((b) => b.close())));
await Promise.all(
  Array.from({ length: W }, async (_, i) => {
    const id = `vn-w${String(i).padStart(4, '0')}`;
    const province = `p-${String(i % 12).padStart(2, '0')}`;
    const silent = i % 10 === 3;
    const heard = KINDS[i % 5] === 'heard';
    wires[i] = await WireBox.connect(brokers[i % 2].url, id, `Hội trường xã Hòa Bình ${i}`, [province], (name, args) =>
      name === 'rollcall' && !silent ? { ok: true, result: { id: args.id, heard, seen: true, media: { status: 'joined' }, at: new Date().toISOString() } } : null,
    );
  }),
);
for (let i = 0; i < W; i++) {
  const box = wires[i];
  await box.presence('online');
  const kind = KINDS[i % 5];
  await box.publishState({
    media: kind === 'in-meeting' ? media({ status: 'joining', seen: false, heard: false }) : kind === 'seen' ? media({ heard: false }) : media(),
    devices: kind === 'problem' ? { display: { kind: 'display', health: { status: 'missing', code: 'disconnected', message: 'display port gone', since: 1 } } } : {},
  });
}
const TOTAL = N + W;
await eventually(async () => {
  const r = (await api.get('/api/groups')).body as any[];
  const c = r.reduce((s, g) => ({ total: s.total + g.counts.total, offline: s.offline + g.counts.offline }), { total: 0, offline: 0 });
  return c.total === TOTAL && c.offline === stopped.length;
}, `${TOTAL} halls in the console, ${stopped.length} offline`, 90000, 500);

const browser = await browserUp;
const nat = await openConsole(browser, server.url, 'nat', PASSWORD);
const p = nat.page;
const rows = async () => (await api.get(`/api/halls?limit=${TOTAL}`)).body.halls as Array<{ box: string; state: string; name: string; groups: string[] }>;
const stats = () => p.evaluate(() => ({ ...(window as any).diemcau.wall.stats }));

t.test('the wall draws every hall in the colour of its state', async (t) => {
  const legend = await legendColors(p);
  t.equal(Object.keys(legend).length, 6, 'six states in the legend');
  const all = await rows();
  t.equal(all.length, TOTAL);
  let c: Record<string, [number, number, number] | null> = {};
  await eventually(async () => {
    c = await cellColors(p, all.map((r) => r.box));
    return all.every((r) => near(c[r.box], legend[r.state]));
  }, 'every cell the colour of its hall', 10000).catch(() => {});
  const wrong = all.filter((r) => !near(c[r.box], legend[r.state]));
  t.same(wrong.slice(0, 5).map((r) => `${r.box} ${r.state} ${JSON.stringify(c[r.box])}`), [], `all ${TOTAL} halls drawn in their state's colour`);
  const by = (s: string) => all.filter((r) => r.state === s).length;
  t.same([by('offline'), by('in-meeting'), by('seen'), by('heard'), by('problem')], [stopped.length, 12, 12, 24, 12], 'every state on the wall');
  t.equal(await p.textContent('.total .heard-of'), `24 of ${TOTAL} heard`);
  t.equal(await p.$$eval('canvas.grid', (els) => els.length), 12, 'one grid per province');
  const marks = await p.evaluate((name) => performance.getEntriesByName(name).map((m) => (m as PerformanceMark).detail), WALL_DRAWN);
  t.same(marks, [{ halls: TOTAL }], `the page marked ${WALL_DRAWN} once, with every hall drawn`);
});

t.test('a change repaints the hall\'s cell, not the wall; hover names the hall, a click opens it', async (t) => {
  const box = wires[2]; // heard
  const legend = await legendColors(p);
  const before = await stats();
  await box.publishState({ media: media({ status: 'failed', error: { code: 'disconnected', message: 'bridge gone' } }) });
  await eventually(async () => near((await cellColors(p, [box.id]))[box.id], legend.problem), 'the cell turns red');
  const after = await stats();
  t.equal(after.layouts, before.layouts, 'no full repaint');
  t.ok(after.cellsPainted - before.cellsPainted >= 1 && after.cellsPainted - before.cellsPainted <= 5, `cells painted: ${after.cellsPainted - before.cellsPainted}`);
  const at = await cellOnScreen(p, box.id);
  await p.mouse.move(at.x, at.y);
  await p.waitForSelector('.tooltip:not([hidden])');
  t.match(await p.textContent('.tooltip'), new RegExp(`Hội trường xã Hòa Bình 2${box.id}problemmedia failed`));
  await p.mouse.click(at.x, at.y);
  await p.waitForSelector(`.detail[data-box="${box.id}"] table.kv`);
  t.equal(await p.textContent('.detail-name'), 'Hội trường xã Hòa Bình 2');
  t.match(await p.textContent('.detail'), /media failed: disconnected: bridge gone/);
  t.match(await p.textContent('.detail .errors'), /media: disconnected bridge gone/, 'the last errors');
  t.ok(await p.$('.detail canvas.media-chart'), 'the media chart');
  await p.click('.detail-close');
  await box.publishState({ media: media() });
  await eventually(async () => near((await cellColors(p, [box.id]))[box.id], legend.heard), 'heard again');
});

t.test('the list: virtualized, sorted by state, filtered and searched like the wall', async (t) => {
  await p.click('.tab[data-view=list]');
  await p.waitForSelector('.list-rows .list-row');
  const inDom = await p.$$eval('.list-rows .list-row', (els) => els.length);
  t.ok(inDom > 10 && inDom < 120, `${inDom} rows in the DOM for ${TOTAL} halls`);
  t.equal(await p.evaluate(() => (window as any).diemcau.list.boxes.length), TOTAL);
  await p.click('.list-head button[data-sort=state]');
  await eventually(async () => (await p.getAttribute('.list-rows .list-row >> nth=0', 'data-box'))?.startsWith('vn-w'), 'problem halls first');
  t.equal(await p.textContent('.list-rows .list-row >> nth=0 >> .col-state'), 'problem');
  await p.evaluate(() => document.querySelector('.list-scroll')!.scrollTo(0, 1e9));
  await eventually(async () => (await p.$$eval('.list-rows .list-row', (els) => els.map((e) => e.textContent))).some((x) => /heard/.test(x ?? '')), 'heard halls at the bottom');
  await p.selectOption('.f-state', 'offline');
  await eventually(async () => (await p.textContent('.f-shown')) === `${stopped.length} of ${TOTAL} halls`, 'the offline halls counted');
  const listed = () => p.$$eval('.list-rows .list-row', (els) => els.map((e) => (e as HTMLElement).dataset.box).sort().join(' '));
  const want = stopped.map((h) => h.id).sort().join(' ');
  await eventually(async () => (await listed()) === want, 'the list holds the offline halls').catch(() => {});
  t.equal(await listed(), want, 'the list holds the offline halls');
  await p.selectOption('.f-state', '');
  await p.fill('.f-search', 'hoa binh 1');
  await eventually(async () => (await p.textContent('.f-shown')) === `11 of ${TOTAL} halls`, '"hoa binh 1" found without diacritics: 1, 10..19');
  await p.click('.tab[data-view=wall]');
  const legend = await legendColors(p);
  const faded = async () => {
    const c = await cellColors(p, ['vn-w0010', 'vn-w0020']);
    return near(c['vn-w0010'], legend['in-meeting']) && c['vn-w0020'] !== null && !near(c['vn-w0020'], legend['in-meeting']);
  };
  await eventually(faded, 'the wall filtered').catch(() => {});
  t.ok(await faded(), 'on the wall, a hall the filter shows keeps its colour, a hall it leaves out is faded');
  await p.fill('.f-search', '');
  await eventually(async () => (await p.textContent('.f-shown')) === `${TOTAL} of ${TOTAL} halls`, 'filter cleared');
});

t.test('a provincial page shows only its province', async (t) => {
  const q = await openConsole(browser, server.url, 'quang', PASSWORD);
  t.teardown(() => q.close());
  const mine = (await rows()).filter((r) => r.groups.includes('p-03'));
  t.same(await q.page.$$eval('canvas.grid', (els) => els.map((e) => (e as HTMLElement).dataset.group)), ['p-03']);
  t.equal(await q.page.evaluate(() => (window as any).diemcau.model.halls.size), mine.length, `${mine.length} halls on its page`);
  const c = await cellColors(q.page, ['vn-s00003', 'vn-s00004', 'vn-w0003']);
  t.ok(c['vn-s00003'] && c['vn-w0003'] && c['vn-s00004'] === null, 'its halls drawn, p-04 not');
  t.same(q.errors, []);
});

t.test('an incident shows on the page and is suppressed from it', async (t) => {
  const box = wires[4]; // heard, then not
  await box.publishState({ media: media({ heard: false }) });
  await p.waitForSelector(`.incident[data-box="${box.id}"]`, { timeout: 10000 });
  t.match(await p.textContent(`.incident[data-box="${box.id}"]`), /not heard for \d+ s/);
  await p.click(`.incident[data-box="${box.id}"] button.suppress`);
  await p.waitForSelector(`.incident[data-box="${box.id}"]`, { state: 'detached', timeout: 10000 });
  t.match((await api.get(`/api/halls/${box.id}`)).body.incidents, [{ clearedBy: 'suppressed by nat' }]);
  await box.publishState({ media: media() });
  await eventually(async () => (await p.textContent('.total .heard-of')) === `24 of ${TOTAL} heard`, 'heard again');
});

t.test('screenshot of the wall', async (t) => {
  await mkdir(IMG, { recursive: true });
  const png = await p.screenshot();
  const n = await distinctColors(p, png);
  t.ok(n > 100, `not blank: ${n} distinct colours`);
  await writeFile(join(IMG, 'console-wall.png'), png);
});

t.test('a roll call started from the page counts live and lists the missing', async (t) => {
  await p.fill('.meeting-create input[name=title]', 'Hội nghị trực tuyến toàn quốc');
  await p.fill('.meeting-create input[name=bridge]', 'http://127.0.0.1:9/janus');
  await p.fill('.meeting-create input[name=room]', '1234');
  await p.click('.meeting-create button[type=submit]');
  await p.waitForSelector('.meeting-bar .meeting-join');
  t.match(await p.textContent('.meeting-info'), /Meeting: Hội nghị trực tuyến toàn quốc \(room 1234\)/);
  await p.fill('.f-search', 'vn-w');
  await eventually(async () => (await p.textContent('.f-shown')) === `${W} of ${TOTAL} halls`, 'the wire boxes shown');
  await p.selectOption('.rollcall select.scope', '@filtered');
  await p.click('.rollcall .rc-start');
  const silent = wires.filter((_, i) => i % 10 === 3).map((b) => b.id);
  const count = (k: string) => p.textContent(`.rc-counts [data-count=${k}] strong`);
  await eventually(async () => (await count('answered')) === String(W - silent.length), 'answers counted');
  t.equal(await count('asked'), String(W));
  t.equal(await count('heard'), String(wires.filter((_, i) => KINDS[i % 5] === 'heard' && i % 10 !== 3).length));
  t.equal(await count('missing'), String(silent.length));
  await eventually(async () => (await p.$$eval('.missing-list li', (els) => els.length)) === silent.length, 'the missing listed');
  t.same(await p.$$eval('.missing-list li', (els) => els.map((e) => (e as HTMLElement).dataset.box)), silent);
  t.equal(await p.textContent('.rollcall h3'), `Missing halls (${silent.length})`);
  await p.fill('.f-search', '');
  await eventually(async () => (await p.textContent('.f-shown')) === `${TOTAL} of ${TOTAL} halls`, 'filter cleared');
  await p.waitForTimeout(100); // the wall's next frame
  const png = await p.screenshot();
  const n = await distinctColors(p, png);
  t.ok(n > 100, `not blank: ${n} distinct colours`);
  await writeFile(join(IMG, 'console-rollcall.png'), png);
});

t.test('no page errors', async (t) => {
  t.same(nat.errors, []);
});
