// What the console makes of what halls report, driven by boxes that speak the wire protocol (lab/wire-box.ts):
// the visual state and the group counts; incidents (heard, then not heard in a meeting for incidentAfterS: raised,
// cleared when heard again, not for a muted hall, suppressible per hall); a call declined with the mute button;
// a roll call answered and confirmed; and the live feed's batching (a hall that changes five times within 100 ms
// is sent once, as it is at the end).
import t from 'tap';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBroker } from '../../lab/mosquitto.js';
import { addOperator, ConsoleClient, startCentral, writeCentralConfig } from '../../lab/central.js';
import { WireBox, media } from '../../lab/wire-box.js';
import { PASSWORD, eventually, sleep } from './world.js';

const dir = await mkdtemp(join(tmpdir(), 'diemcau-central-states-'));
t.teardown(() => rm(dir, { recursive: true, force: true }));
const broker = await startBroker();
t.teardown(() => broker.cleanup());
const configPath = await writeCentralConfig(dir, { carriers: [{ name: 'viettel', url: broker.url }], incidentAfterS: 1 });
await addOperator(configPath, 'nat', 'national', PASSWORD);
const server = await startCentral(configPath);
t.teardown(() => server.stop());
const nat = await ConsoleClient.login(server.url, 'nat', PASSWORD);

const boxes = await Promise.all(
  ['vn-90001', 'vn-90002', 'vn-90003'].map((id, i) => WireBox.connect(broker.url, id, `Hall ${id}`, ['p-07', `c-${id.slice(3)}`, ...(i === 2 ? ['north'] : [])])),
);
t.teardown(() => Promise.all(boxes.map((b) => b.close())));
const [a, b, c] = boxes;
for (const x of boxes) {
  await x.presence('online');
  await x.publishState();
}
const page = await nat.live();
t.teardown(() => page.close());
await page.until(() => page.halls.size === 3 && [...page.halls.values()].every((h) => h.name.startsWith('Hall')), 'three halls');
const row = (box: string) => page.halls.get(box);

t.test('visual state, highest that applies, and the counts of each group', async (t) => {
  await a.publishState({ media: media() });
  await b.publishState({ media: media({ heard: false }) });
  await c.publishState({ media: media({ status: 'joining', seen: false, heard: false }) });
  await page.until(() => row('vn-90001').state === 'heard' && row('vn-90002').state === 'seen' && row('vn-90003').state === 'in-meeting', 'heard, seen, in meeting');
  t.match(page.groups.get('p-07').counts, { total: 3, heard: 1, seen: 1, inMeeting: 1, online: 0, offline: 0, problem: 0 });
  t.match(page.groups.get('north'), { kind: 'other', counts: { total: 1, inMeeting: 1 } });
  await c.publishState({ media: media(), devices: { display: { kind: 'display', health: { status: 'missing', code: 'disconnected', message: 'display port gone', since: 1 } } } });
  await page.until(() => row('vn-90003').state === 'problem', 'a missing device is a problem');
  t.equal(row('vn-90003').problem, 'display missing');
  t.match(page.groups.get('p-07').counts, { heard: 1, seen: 1, inMeeting: 0, problem: 1 });
  const detail = (await nat.get('/api/halls/vn-90003')).body;
  t.match(detail.errors, [{ where: 'display', code: 'disconnected', message: 'display port gone' }], 'the error is in the detail view');
  t.ok(detail.media.length >= 1, 'media figures in the detail view');
  await c.publishState({ media: media({ status: 'failed', error: { code: 'disconnected', message: 'bridge gone' } }), devices: {} });
  await page.until(() => row('vn-90003').problem === 'media failed: disconnected: bridge gone', 'failed media is a problem');
  await c.presence('offline');
  await page.until(() => row('vn-90003').state === 'offline', 'offline wins over a stale state');
  await c.presence('online');
  await c.publishState({ media: media({ status: 'idle', seen: false, heard: false }) });
  await page.until(() => row('vn-90003').state === 'online', 'online, not in a meeting');
});

t.test('not heard in a meeting past incidentAfterS: an incident, until heard again', async (t) => {
  await a.publishState({ media: media({ heard: false }) });
  const raised = Date.now();
  await page.until(() => page.incidents.find((i: any) => i.box === 'vn-90001'), 'incident', 5000);
  t.ok(Date.now() - raised >= 900, 'not before incidentAfterS (1 s)');
  t.equal(row('vn-90001').state, 'problem');
  t.match(row('vn-90001').problem, /^not heard for \d+ s$/);
  t.match((await nat.get('/api/incidents')).body, [{ box: 'vn-90001', reason: /not heard/, since: String, openedAt: String }]);
  await a.publishState({ media: media() });
  await page.until(() => page.incidents.length === 0 && row('vn-90001').state === 'heard', 'cleared when heard again');
  const hist = (await nat.get('/api/halls/vn-90001')).body.incidents;
  t.match(hist, [{ reason: /not heard/, clearedBy: 'heard again' }], 'stored with how it ended');
  // Heard, then a blip shorter than incidentAfterS: nothing.
  await a.publishState({ media: media({ heard: false }) });
  await sleep(300);
  await a.publishState({ media: media() });
  await sleep(1500);
  t.same((await nat.get('/api/incidents')).body, [], 'a blip pages no one');
});

t.test('a muted hall raises nothing; a suppressed hall raises nothing until the suppression ends', async (t) => {
  await a.publishState({ media: media({ heard: false, muted: true }) });
  await sleep(1800);
  t.same((await nat.get('/api/incidents')).body, [], 'muted by intent');
  await a.publishState({ media: media() });
  await page.until(() => row('vn-90001').state === 'heard', 'heard');
  const s = await nat.post('/api/incidents/vn-90001/suppress', { minutes: 5 });
  t.match(s.body, { box: 'vn-90001', until: String });
  t.equal((await nat.post('/api/incidents/vn-90001/suppress', { minutes: -1 })).status, 400);
  await a.publishState({ media: media({ heard: false }) });
  await sleep(1800);
  t.same((await nat.get('/api/incidents')).body, [], 'suppressed');
  await nat.post('/api/incidents/vn-90001/suppress', { minutes: 0 });
  await a.publishState({ media: media() });
  await page.until(() => row('vn-90001').state === 'heard', 'heard');
  await a.presence('offline'); // the box went, in the meeting
  await page.until(() => page.incidents.find((i: any) => i.box === 'vn-90001' && i.reason === 'offline during the meeting'), 'offline in a meeting', 5000);
  await a.presence('online');
  await page.until(() => page.incidents.length === 0, 'back and heard: cleared');
});

t.test('a called hall declines with its mute button: the queue shows it', async (t) => {
  b.onCommand((name) => (name === 'floor.grant' ? { ok: true, result: { floor: { status: 'called', since: new Date().toISOString() }, muted: false } } : null));
  const r = await nat.post('/api/floor/vn-90002/call');
  t.match(r.body, { status: 'called' });
  await eventually(() => b.commands.find((x) => x.name === 'floor.grant' && x.args.called === true), 'the box got floor.grant {called: true}');
  await b.event('floor', { hall: 'Hall vn-90002', action: 'declined' });
  await page.until(() => page.floor.find((e: any) => e.box === 'vn-90002' && e.status === 'declined'), 'declined on the page');
  t.equal(row('vn-90002').floor, 'declined');
  const log = (await nat.get('/api/floor/log')).body.map((l: any) => l.action);
  t.same(log, ['call', 'decline']);
  await b.event('floor', { hall: 'Hall vn-90002' }); // asks after all: a request, at the end of the queue
  await page.until(() => page.floor.find((e: any) => e.box === 'vn-90002' && e.status === 'requested'), 'requested');
  await nat.post('/api/floor/vn-90002/revoke');
});

t.test('roll call over halls that answer: counts, heard, confirmation, missing', async (t) => {
  const meeting = (await nat.post('/api/meetings', { title: 'm', bridge: 'http://127.0.0.1:9/janus', room: 1234 })).body;
  await a.publishState({ media: media() });
  await b.publishState({ media: media({ heard: false }) });
  const answer = (heard: boolean) => (name: string, args: any) =>
    name === 'rollcall' ? { ok: true as const, result: { id: args.id, heard, seen: true, media: { status: 'joined' }, at: new Date().toISOString() } } : null;
  a.onCommand(answer(true));
  b.onCommand(answer(false));
  c.onCommand(() => null); // says nothing: missing
  const r = await nat.post(`/api/meetings/${meeting.id}/rollcalls`, { scope: { groups: ['p-07'] }, confirmS: 10 });
  t.match(r.body.counts, { asked: 3 });
  const sent = (await eventually(() => a.commands.find((x) => x.name === 'rollcall'), 'rollcall received'))!;
  t.same(sent.args, { id: r.body.id, confirmS: 10 });
  await page.until(() => page.progress.rollcall.get(r.body.id)?.counts.answered === 2, 'two answers');
  await a.event('rollcall', { id: r.body.id });
  const p = await page.until(() => page.progress.rollcall.get(r.body.id)?.counts.confirmed === 1 && page.progress.rollcall.get(r.body.id), 'a confirmation');
  t.same(p.counts, { asked: 3, answered: 2, heard: 1, confirmed: 1, missing: 2 });
  const stored = (await nat.get(`/api/rollcalls/${r.body.id}`)).body;
  t.same(stored.missing, ['vn-90002', 'vn-90003']);
  t.match(stored.answers, [
    { box: 'vn-90001', heard: true, seen: true, at: String, confirmedAt: String },
    { box: 'vn-90002', heard: false, confirmedAt: null },
  ]);
});

t.test('the live feed batches: one diff per 100 ms at most, a hall sent once with its last state', async (t) => {
  const feed = await nat.live();
  t.teardown(() => feed.close());
  await feed.until(() => feed.frames.length === 1, 'snapshot');
  for (let i = 0; i < 5; i++) await b.publishState({ media: media({ heard: false, stats: { bitrateKbps: 100 * (i + 1) } }), devices: { n: { kind: 'x', health: { status: 'ok', since: i } } } });
  await b.publishState({ media: media() });
  await feed.until(() => feed.halls.get('vn-90002')?.state === 'heard', 'the last state');
  await sleep(300);
  const diffs = feed.frames.filter((f) => f.msg.t === 'diff');
  const withB = diffs.filter((f) => f.msg.halls.some((h: any) => h.box === 'vn-90002'));
  t.ok(withB.length <= 2, `six changes within ~100 ms reached the page in ${withB.length} diff(s)`);
  for (let i = 1; i < diffs.length; i++) t.ok(diffs[i].at - diffs[i - 1].at >= 80, 'diffs at least ~100 ms apart');
  t.ok(diffs.every((f, i) => f.msg.seq === i + 2), 'sequence numbers follow the snapshot');
});
