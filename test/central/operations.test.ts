// Operations through the real server against real agents on two carriers: the floor queue (talk pressed on a
// simulated panel appears in the same order on two pages), grant / call / revoke and the floor log; join progress
// counted from the replies, sent as one group command per group (per hall where named groups overlap); roll call
// counts and the missing list; readiness throttled to its concurrency, results stored, CSV; group actions with
// confirmation; and the audit line of each.
//
// Roll call and floor.grant are the agent side's new commands: where the running agent does not list them yet
// (commands.list), their assertions on the hall's answers are skipped with a note and the server's side (records,
// counts from the refusals) is checked instead.
import t from 'tap';
import { Observer, type Received } from '../../lab/observer.js';
import { ConsoleClient } from '../../lab/central.js';
import { hallCommands, pressButton } from '../../lab/hall-capabilities.js';
import { HALLS, PASSWORD, startWorld, eventually, sleep } from './world.js';

const w = await startWorld();
t.teardown(() => w.close());
const watch = await Promise.all([Observer.connect(w.brokers.viettel.url, ['diemcau/#']), Observer.connect(w.brokers.vnpt.url, ['diemcau/#'])]);
t.teardown(() => Promise.all(watch.map((o) => o.close())));
const sent = (pred: (m: Received) => boolean): Received[] => watch.flatMap((o) => o.messages.filter(pred));
const caps = await hallCommands(w.brokers.viettel.url, 'vn-10001');
const press = (box: string, button: 'talk' | 'mute' = 'talk') => pressButton(w.halls.find((h) => h.id === box)!.brokerUrl, box, button);

const meeting = (await w.nat.post('/api/meetings', { title: 'Hội nghị trực tuyến', bridge: 'http://127.0.0.1:9/janus', room: 1234 })).body;

t.test('talk pressed on simulated panels: one queue, the same order on two pages', async (t) => {
  t.equal(meeting.id > 0, true, 'meeting created');
  const nat2 = await ConsoleClient.login(w.central.url, 'nat', PASSWORD);
  const pages = [await w.nat.live(), await nat2.live()];
  t.teardown(() => Promise.all(pages.map((p) => p.close())));
  await press('vn-10002');
  await pages[0].until(() => pages[0].floor.length === 1, 'first request');
  await press('vn-20001');
  await pages[0].until(() => pages[0].floor.length === 2, 'second request');
  // Two at once, on two carriers: whatever the order, it is the server's, on every page.
  await Promise.all([press('vn-30001'), press('vn-10003')]);
  for (const p of pages) await p.until(() => p.floor.length === 4, 'four requests on each page');
  const order = (p: (typeof pages)[number]) => p.floor.map((e: any) => e.box);
  t.same(order(pages[0]).slice(0, 2), ['vn-10002', 'vn-20001'], 'arrival order');
  t.same(order(pages[1]), order(pages[0]), 'the same order on both pages');
  t.same((await w.nat.get('/api/floor')).body.queue.map((e: any) => e.box), order(pages[0]), 'and over HTTP');
  t.same((await w.hanoi.get('/api/floor')).body.queue.map((e: any) => e.box), order(pages[0]).filter((b: string) => ['vn-10002', 'vn-10003'].includes(b)), 'a provincial page sees its part, in the same order');
  t.ok(pages[0].floor.every((e: any) => e.status === 'requested' && e.name.startsWith('Hội trường')), 'each request with its hall name');
  await press('vn-10002'); // asks again: keeps its place
  await sleep(500);
  t.equal((await w.nat.get('/api/floor')).body.queue[0].box, 'vn-10002', 'a second press keeps the place');
  const row = (await w.nat.get('/api/halls?q=vn-20001')).body.halls[0];
  t.equal(row.floor, 'requested', 'the hall row shows the request');
});

t.test('grant, call on, revoke: sent to the hall, stored in the floor log', async (t) => {
  const grant = await w.nat.post('/api/floor/vn-10002/grant');
  t.equal(grant.status, 200);
  t.match(grant.body, { box: 'vn-10002', status: 'granted' });
  const out = await eventually(() => sent((m) => m.topic === 'diemcau/v1/vn-10002/cmd/floor.grant')[0], 'floor.grant published');
  t.same(out.json, {}, 'floor.grant {} to the box');
  t.ok(out.properties.correlationData && out.properties.messageExpiryInterval && !out.properties.responseTopic, 'correlation data and expiry, no response topic');
  // The hall answers (today: it does not know the command; with the agent side: it is not in a meeting): shown.
  const entry = await eventually(async () => (await w.nat.get('/api/floor')).body.queue.find((e: any) => e.box === 'vn-10002' && e.error), 'the hall answer on the queue entry');
  t.match(entry.error, caps.has('floor.grant') ? /^bad_request/ : /^unknown_command/, `the hall's refusal is shown: ${entry.error}`);
  t.equal((await w.nat.post('/api/floor/vn-10002/grant')).status, 409, 'granting twice is a conflict');
  t.equal((await w.nat.post('/api/floor/vn-10001/grant')).status, 409, 'a hall that did not ask cannot be granted');
  const call = await w.nat.post('/api/floor/vn-10001/call');
  t.match(call.body, { box: 'vn-10001', status: 'called' });
  const called = await eventually(() => sent((m) => m.topic === 'diemcau/v1/vn-10001/cmd/floor.grant')[0], 'floor.grant called published');
  t.same(called.json, { called: true });
  const revoke = await w.nat.post('/api/floor/vn-10002/revoke');
  t.match(revoke.body, { box: 'vn-10002', removed: 'granted' });
  await eventually(() => sent((m) => m.topic === 'diemcau/v1/vn-10002/cmd/floor.revoke').length, 'floor.revoke published');
  t.equal((await w.nat.post('/api/floor/vn-10002/revoke')).status, 404, 'revoking a hall not in the queue');
  const log = (await w.nat.get(`/api/floor/log?meeting=${meeting.id}`)).body;
  const steps = log.filter((l: any) => ['vn-10001', 'vn-10002'].includes(l.box)).map((l: any) => `${l.box} ${l.action} ${l.operator ?? '-'}`);
  t.same(
    steps.filter((s: string) => !s.includes('failed')),
    ['vn-10002 request -', 'vn-10002 grant nat', 'vn-10001 call nat', 'vn-10002 revoke nat'],
    'the floor log, in order, with who did what',
  );
  for (const b of ['vn-10001', 'vn-20001', 'vn-30001', 'vn-10003']) await w.nat.post(`/api/floor/${b}/revoke`);
  t.same((await w.nat.get('/api/floor')).body.queue, []);
});

t.test('join: group commands for disjoint groups, per hall otherwise; progress counted from the replies', async (t) => {
  const page = await w.nat.live();
  t.teardown(() => page.close());
  const since = Date.now();
  const r = await w.nat.post(`/api/meetings/${meeting.id}/join`, { scope: { groups: ['p-01', 'p-46'] } });
  t.equal(r.status, 200);
  t.match(r.body, { asked: 4, command: 'join' });
  const done = await page.until(() => {
    const p = page.progress.command.get(r.body.id);
    return p && p.answered === 4 ? p : null;
  }, 'every join answered', 20000);
  // No media on these halls: each answers that it does not take `join`. Counted all the same.
  t.match(done, { id: r.body.id, asked: 4, answered: 4, ok: 0, failed: 4, reached: 0 });
  const joins = sent((m) => m.at >= since && /\/cmd\/join$/.test(m.topic));
  t.same([...new Set(joins.map((m) => m.topic))].sort(), ['diemcau/v1/group/p-01/cmd/join', 'diemcau/v1/group/p-46/cmd/join'], 'one group command per group');
  t.equal(joins.length, 4, 'each to both carriers');
  t.same(joins[0].json, { bridge: 'http://127.0.0.1:9/janus', room: 1234 });
  const since2 = Date.now();
  const r2 = await w.nat.post(`/api/meetings/${meeting.id}/join`, { scope: { groups: ['p-01', 'c-10001'], boxes: ['vn-30001'] } });
  t.equal(r2.body.asked, 4, 'overlapping groups: every hall once');
  await eventually(() => sent((m) => m.at >= since2 && /\/cmd\/join$/.test(m.topic)).length === 4, 'four box commands');
  const per = sent((m) => m.at >= since2 && /\/cmd\/join$/.test(m.topic));
  t.same(per.map((m) => m.topic).sort(), ['vn-10001', 'vn-10002', 'vn-10003', 'vn-30001'].map((b) => `diemcau/v1/${b}/cmd/join`));
  t.ok(per.every((m) => m.json.display === m.topic.split('/')[2]), 'a hall addressed alone joins under its box id');
  t.equal((await w.hanoi.post(`/api/meetings/${meeting.id}/join`, { scope: { boxes: ['vn-10001', 'vn-30001'] } })).status, 403, 'a provincial operator cannot join another province');
  t.equal((await w.nat.post(`/api/meetings/${meeting.id}/join`, { scope: { groups: ['p-99'] } })).status, 400, 'an empty group is named');
  t.match((await w.nat.post(`/api/meetings/${meeting.id}/join`, { scope: { boxes: ['Bad Box'] } })).body.error.message, /scope.boxes\[0\]/);
});

t.test('roll call: counts, heard proofs, confirmations and the missing list, stored', async (t) => {
  const page = await w.nat.live();
  t.teardown(() => page.close());
  const r = await w.nat.post(`/api/meetings/${meeting.id}/rollcalls`, { scope: { groups: ['p-01', 'p-46'] }, confirmS: 0 });
  t.equal(r.status, 200);
  t.match(r.body, { id: Number, counts: { asked: 4 } });
  const rc = sent((m) => /\/cmd\/rollcall$/.test(m.topic));
  await eventually(() => sent((m) => /\/cmd\/rollcall$/.test(m.topic)).length >= 4, 'rollcall sent');
  t.same(sent((m) => /\/cmd\/rollcall$/.test(m.topic))[0].json, { id: r.body.id }, `rollcall {id} (${rc.length} seen before)`);
  if (!caps.has('rollcall')) {
    t.comment('the agent does not take `rollcall` yet (commands.list): checking the refusals are recorded; answers are checked once it does');
    const got = await eventually(async () => {
      const x = (await w.nat.get(`/api/rollcalls/${r.body.id}`)).body;
      return x.answers.length === 4 ? x : null;
    }, 'four refusals recorded');
    t.match(got.counts, { asked: 4, answered: 0, heard: 0, missing: 4 });
    t.ok(got.answers.every((a: any) => /^unknown_command/.test(a.error)));
    t.same(got.missing, ['vn-10001', 'vn-10002', 'vn-10003', 'vn-30001']);
    return;
  }
  const live = await page.until(() => page.progress.rollcall.get(r.body.id)?.counts.answered === 4 && page.progress.rollcall.get(r.body.id), 'four answers live');
  t.match(live.counts, { asked: 4, answered: 4, heard: 0, missing: 0 });
  const stored = (await w.nat.get(`/api/rollcalls/${r.body.id}`)).body;
  t.same(stored.missing, []);
  t.ok(stored.answers.every((a: any) => a.at && a.heard === false), 'each answer stored with its time and proof');
  // With confirmation: one hall's staff press talk; the others are missing.
  const c = await w.nat.post(`/api/meetings/${meeting.id}/rollcalls`, { scope: { groups: ['p-01', 'p-46'] }, confirmS: 20 });
  await eventually(async () => (await w.nat.get(`/api/rollcalls/${c.body.id}`)).body.counts.answered === 4, 'answers to the confirm roll call');
  await press('vn-10003');
  const after = await page.until(() => page.progress.rollcall.get(c.body.id)?.counts.confirmed === 1 && page.progress.rollcall.get(c.body.id), 'one confirmation');
  t.match(after.counts, { asked: 4, answered: 4, confirmed: 1, missing: 3 });
  // A page that connects now (reloaded, or its feed dropped and came back) finds the roll call as it stands in its
  // snapshot: its progress is sent when it changes, and it may not change again (stressed run 93: a readiness sweep
  // still "pending" on a page after 60 s).
  const late = await w.nat.live();
  t.teardown(() => late.close());
  const first = await late.until(() => late.frames[0]?.msg, 'the snapshot');
  t.equal(first.t, 'snapshot');
  t.match(first.rollcall, { id: c.body.id, counts: { asked: 4, answered: 4, confirmed: 1, missing: 3 } }, "the snapshot holds the newest roll call's counts");
  // A provincial page (p-01) may not follow a roll call that reaches p-46 too: not in its snapshot either.
  const hanoi = await w.hanoi.live();
  t.teardown(() => hanoi.close());
  const its = await hanoi.until(() => hanoi.frames[0]?.msg, 'the provincial snapshot');
  t.equal(its.t, 'snapshot');
  t.equal(its.rollcall, undefined, "not the roll call of two provinces on the p-01 page");
  const s2 = (await w.nat.get(`/api/rollcalls/${c.body.id}`)).body;
  t.same(s2.missing, ['vn-10001', 'vn-10002', 'vn-30001']);
  t.ok(s2.answers.find((a: any) => a.box === 'vn-10003').confirmedAt);
  t.same((await w.nat.get('/api/floor')).body.queue, [], 'a roll call press raises no floor request');
});

t.test('group action: confirmation required, answers counted live', async (t) => {
  const noConfirm = await w.nat.post('/api/commands', { scope: { all: true }, command: 'display.power', args: { on: true } });
  t.equal(noConfirm.status, 400);
  t.match(noConfirm.body.error.message, /confirm: must be true/);
  const badArgs = await w.nat.post('/api/commands', { scope: { all: true }, command: 'display.power', args: { on: 'yes' }, confirm: true });
  t.match(badArgs.body.error.message, /args.on: must be true or false/);
  const notAllowed = await w.nat.post('/api/commands', { scope: { all: true }, command: 'update', args: {}, confirm: true });
  t.match(notAllowed.body.error.message, /command: must be one of/);
  const page = await w.nat.live();
  t.teardown(() => page.close());
  const r = await w.nat.post('/api/commands', { scope: { all: true }, command: 'display.power', args: { on: true }, confirm: true });
  t.match(r.body, { id: Number, asked: HALLS.length });
  const p = await page.until(() => page.progress.command.get(r.body.id)?.answered === HALLS.length && page.progress.command.get(r.body.id), 'every hall answered', 20000);
  t.match(p, { asked: HALLS.length, answered: HALLS.length, ok: HALLS.length, failed: 0 });
});

t.test('readiness: throttled selftests, passed / failed with reason / offline, stored, CSV', async (t) => {
  const gone = w.halls.find((h) => h.id === 'vn-20001')!;
  await gone.agent!.stop();
  await eventually(async () => (await w.nat.get('/api/halls?state=offline')).body.total === 1, 'vn-20001 offline');
  const r = await w.nat.post('/api/readiness', { scope: { all: true }, seconds: 1 });
  t.equal(r.status, 200);
  t.match(r.body.counts, { offline: 1, pending: 4 });
  const done = await eventually(async () => {
    const x = (await w.nat.get(`/api/readiness/${r.body.id}`)).body;
    return x.counts.pending === 0 ? x : null;
  }, 'sweep done', 30000);
  t.match(done.counts, { passed: 0, failed: 4, offline: 1 });
  t.match(done.results.find((x: any) => x.box === 'vn-20001'), { status: 'offline', reason: /offline/ });
  t.ok(done.results.filter((x: any) => x.status === 'failed').every((x: any) => /selftest not available/.test(x.reason)), 'the reason of each failure');
  t.match(done.byGroup['p-01'], { failed: 3 });
  // At most readinessConcurrency (2) selftests at a time: each one's publish and reply, in order.
  const ev = watch
    .flatMap((o) => o.messages)
    .filter((m) => /\/(cmd|reply)\/selftest$/.test(m.topic))
    .sort((a, b) => a.at - b.at);
  let running = 0;
  let peak = 0;
  for (const m of ev) {
    running += m.topic.includes('/cmd/') ? 1 : -1;
    peak = Math.max(peak, running);
  }
  t.equal(ev.filter((m) => m.topic.includes('/cmd/')).length, 4, 'one selftest per online hall');
  t.ok(peak <= 2 && peak >= 1, `at most 2 selftests at once (peak ${peak})`);
  const csv = await w.nat.get(`/api/readiness/${r.body.id}.csv`);
  t.equal(csv.status, 200);
  t.match(csv.headers.get('content-type'), /text\/csv/);
  const lines = csv.body.trim().split('\r\n');
  t.equal(lines[0], 'box,name,carrier,groups,status,reason,loss_pct,rtt_ms,at');
  t.equal(lines.length, 1 + HALLS.length);
  t.match(lines.find((l: string) => l.startsWith('vn-20001')), /,offline,/);
  t.equal((await w.hanoi.get(`/api/readiness/${r.body.id}`)).status, 403, 'a sweep over all is not a provincial read');
});

t.test('every action has its audit line: who, what, scope, outcome', async (t) => {
  const audit = (await w.nat.get('/api/audit?limit=500')).body;
  for (const action of ['meeting.create', 'floor.grant', 'floor.call', 'floor.revoke', 'meeting.join', 'rollcall.start', 'command', 'readiness.start']) {
    t.ok(audit.find((a: any) => a.action === action && a.operator === 'nat' && a.outcome === 'ok' && a.ts), `${action} audited`);
  }
  t.ok(audit.find((a: any) => a.action === 'command' && a.outcome === 'failed' && /confirm/.test(a.detail)), 'a refused action is audited with the reason');
  t.ok(audit.find((a: any) => a.action === 'meeting.join' && a.operator === 'hanoi' && a.outcome === 'refused'), 'the provincial forgery too');
  const join = audit.find((a: any) => a.action === 'meeting.join' && a.outcome === 'ok');
  t.same(join.scope, { groups: ['p-01', 'c-10001'], boxes: ['vn-30001'] }, 'with the scope as asked');
});
