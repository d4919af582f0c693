// The console's picture of the fleet across two carriers: every hall with its carrier, name, groups and state; a
// provincial operator sees only its halls, over HTTP and over the live feed, and is refused (403 + an audit line)
// when it names another province's hall or group; the picture survives a broker restart and a server restart.
import t from 'tap';
import { HALLS, HANOI, PASSWORD, startWorld, eventually } from './world.js';
import { ConsoleClient } from '../../lab/central.js';
import { pressButton } from '../../lab/hall-capabilities.js';
import { Observer } from '../../lab/observer.js';

const w = await startWorld();
t.teardown(() => w.close());

t.test('a national operator sees every hall, each on its carrier, with its groups', async (t) => {
  // Each hall's simulated display is polled; beside a CPU hog one poll can time out, and the hall then says so
  // truthfully until the next one answers (run 63: vn-10002 "display not answering"). The picture is read once
  // every hall reports no problem.
  await eventually(async () => {
    const rows = (await w.nat.get('/api/halls?limit=50')).body.halls as Array<{ problem: string | null }>;
    return rows.length === HALLS.length && rows.every((x) => x.problem === null);
  }, 'every hall reporting no problem', 20_000);
  const r = await w.nat.get('/api/halls?limit=50');
  t.equal(r.status, 200);
  t.equal(r.body.total, HALLS.length);
  for (const h of HALLS) {
    const row = r.body.halls.find((x: any) => x.box === h.id);
    t.match(row, { box: h.id, name: h.name, carrier: h.carrier, groups: [`p-${h.province}`, `c-${h.id.slice(3)}`], presence: 'online', state: 'online', media: null, floor: null, problem: null }, h.id);
  }
  const groups = (await w.nat.get('/api/groups')).body;
  t.match(groups.find((g: any) => g.group === 'p-01'), { kind: 'province', counts: { total: 3, online: 3, offline: 0 } });
  t.match(groups.find((g: any) => g.group === 'c-10001'), { kind: 'commune', counts: { total: 1 } });
  const search = await w.nat.get(`/api/halls?q=${encodeURIComponent('hoa binh')}`);
  t.same(search.body.halls.map((x: any) => x.box), ['vn-10001'], 'text search ignores diacritics');
  const detail = await w.nat.get('/api/halls/vn-30001');
  t.equal(detail.status, 200);
  t.match(detail.body, { row: { box: 'vn-30001', carrier: 'vnpt' }, state: { hall: { name: 'Hội trường xã Mỹ Hòa' }, devices: { panel: { kind: 'panel' } } } });
  await eventually(async () => (await w.nat.get('/api/halls/vn-30001')).body.telemetry.length > 0, 'telemetry in the detail view');
});

t.test('a provincial operator sees only its halls and groups, over HTTP and the live feed', async (t) => {
  const r = await w.hanoi.get('/api/halls?limit=50');
  t.same(r.body.halls.map((x: any) => x.box).sort(), [...HANOI].sort());
  t.same((await w.hanoi.get('/api/groups')).body.map((g: any) => g.group), ['p-01']);
  const live = await w.hanoi.live();
  t.teardown(() => live.close());
  const snap = (await live.until(() => live.frames.find((f) => f.msg.t === 'snapshot'), 'snapshot'))!;
  t.same(snap.msg.halls.map((h: any) => h.box).sort(), [...HANOI].sort(), 'snapshot holds only p-01 halls');
  t.same(snap.msg.groups.map((g: any) => g.group), ['p-01']);
  // A hall of another province changes (a floor request); the provincial page hears nothing of it.
  const natLive = await w.nat.live();
  t.teardown(() => natLive.close());
  await natLive.until(() => natLive.frames.length > 0, 'national snapshot');
  const other = w.halls.find((h) => h.id === 'vn-30001')!;
  const mine = w.halls.find((h) => h.id === 'vn-10003')!;
  await pressTalk(w, other.id);
  await pressTalk(w, mine.id);
  await natLive.until(() => natLive.floor.length === 2, 'both requests on the national page');
  await live.until(() => live.floor.length === 1, 'the p-01 request on the provincial page');
  t.same(live.floor.map((e: any) => e.box), ['vn-10003']);
  for (const f of live.frames) {
    const boxes = [...(f.msg.halls ?? []).map((h: any) => h.box), ...(f.msg.floor?.queue ?? []).map((e: any) => e.box)];
    t.notOk(boxes.some((b: string) => !HANOI.includes(b as never)), `frame ${f.msg.seq} names only p-01 halls`);
  }
  t.ok(natLive.frames.some((f) => (f.msg.halls ?? []).some((h: any) => h.box === 'vn-30001' && h.floor === 'requested')), 'the national page saw vn-30001 ask');
  await w.nat.post('/api/floor/vn-30001/revoke');
  await w.nat.post('/api/floor/vn-10003/revoke');
});

t.test('a forged request for another province is refused with 403 and an audit line', async (t) => {
  const detail = await w.hanoi.get('/api/halls/vn-30001');
  t.equal(detail.status, 403);
  t.match(detail.body.error.message, /vn-30001 is not in a group granted to hanoi/);
  const group = await w.hanoi.get('/api/halls?group=p-46');
  t.equal(group.status, 403);
  const cmd = await w.hanoi.post('/api/commands', { scope: { groups: ['p-46'] }, command: 'display.power', args: { on: true }, confirm: true });
  t.equal(cmd.status, 403);
  t.match(cmd.body.error.message, /scope.groups\[0\]: group p-46 is not granted to hanoi/);
  const all = await w.hanoi.post('/api/commands', { scope: { all: true }, command: 'display.power', args: { on: true }, confirm: true });
  t.equal(all.status, 403);
  const floor = await w.hanoi.post('/api/floor/vn-20001/call');
  t.equal(floor.status, 403);
  const audit = (await w.nat.get('/api/audit?limit=50')).body;
  const refused = audit.filter((a: any) => a.operator === 'hanoi' && a.outcome === 'refused');
  t.ok(refused.find((a: any) => a.action === 'read' && /vn-30001/.test(a.detail)), 'the forged read is audited');
  t.ok(refused.find((a: any) => a.action === 'command' && a.scope?.groups?.[0] === 'p-46'), 'the forged command is audited with its scope');
  t.ok(refused.find((a: any) => a.action === 'floor.call' && a.scope?.boxes?.[0] === 'vn-20001'), 'the forged call is audited');
  const own = (await w.hanoi.get('/api/audit')).body;
  t.ok(own.length > 0 && own.every((a: any) => a.operator === 'hanoi'), 'a provincial operator reads only its own audit lines');
});

t.test('the picture survives a broker restart', async (t) => {
  const live = await w.nat.live();
  t.teardown(() => live.close());
  await live.until(() => live.halls.size === HALLS.length, 'snapshot of every hall');
  await w.brokers.vnpt.stop();
  await live.until(() => live.frames.some((f) => f.msg.carriers?.find((c: any) => c.name === 'vnpt' && !c.connected)), 'the page told vnpt is down');
  const during = await w.nat.get('/api/halls?limit=50');
  t.equal(during.body.total, HALLS.length, 'no hall is forgotten while a broker is down');
  await w.brokers.vnpt.start(); // same port, empty: no retained message survived
  await live.until(() => live.frames.some((f) => f.msg.carriers?.find((c: any) => c.name === 'vnpt' && c.connected && c.connects >= 2)), 'vnpt back', 20000);
  // The boxes come back and publish presence and state again; the picture is whole and current. The box is asked
  // to press only once it is back on the broker (its reconnect backoff is its own, and slower on a busy machine).
  const obs = await Observer.connect(w.brokers.vnpt.url, ['diemcau/v1/vn-30001/presence']);
  t.teardown(() => obs.close());
  await obs.wait((m) => m.json?.state === 'online', 'vn-30001 online on the restarted broker', 30000);
  const since = Date.now();
  await pressTalk(w, 'vn-30001');
  await live.until(() => live.floor.some((e: any) => e.box === 'vn-30001'), 'a request from a vnpt hall after the restart', 20000);
  t.ok(Date.now() - since < 20000);
  const after = await w.nat.get('/api/halls?limit=50');
  t.equal(after.body.halls.filter((h: any) => h.presence === 'online').length, HALLS.length);
  await w.nat.post('/api/floor/vn-30001/revoke');
});

t.test('the picture and the records survive a server restart', async (t) => {
  await pressTalk(w, 'vn-10002');
  await eventually(async () => (await w.nat.get('/api/floor')).body.queue.length === 1, 'request queued');
  const auditBefore = (await w.nat.get('/api/audit?limit=1000')).body.length;
  await w.restartCentral();
  const nat = await ConsoleClient.login(w.central.url, 'nat', PASSWORD);
  await eventually(async () => {
    const r = await nat.get('/api/halls?limit=50');
    return r.body.total === HALLS.length && r.body.halls.every((h: any) => h.presence === 'online' && h.name !== h.box);
  }, 'every hall rebuilt from retained presence and state');
  const q = (await nat.get('/api/floor')).body.queue;
  t.same(q.map((e: any) => [e.box, e.status]), [['vn-10002', 'requested']], 'the floor queue is still there');
  const audit = (await nat.get('/api/audit?limit=1000')).body;
  t.ok(audit.length >= auditBefore + 1, 'audit lines kept (and the new login added)');
  const log = (await nat.get('/api/floor/log')).body;
  t.ok(log.some((l: any) => l.box === 'vn-30001' && l.action === 'request'), 'the floor log is kept');
  t.equal((await w.hanoi.get('/api/me')).status, 200, 'sessions survive the restart');
  w.nat = nat;
  await nat.post('/api/floor/vn-10002/revoke');
});

function pressTalk(world: typeof w, box: string): Promise<void> {
  return pressButton(world.halls.find((h) => h.id === box)!.brokerUrl, box, 'talk');
}
