// A cascaded meeting whose origin takes only the halls the centre watches (`bridge.originUplinks: 'watched'`):
// three real Janus in network namespaces (the origin and two regional edges), two halls as real `diemcau run`
// processes, one on each edge, and the central console server. Every hall plays the programme through its edge, but
// no hall's uplink goes to the origin until an operator opens its preview or puts it in the floor queue; closing the
// preview, or revoking the floor, takes it off the origin again. (test/media/cascade.test.ts: every hall, `all`.)
import t from 'tap';
import { carrierWithBroker, type Carrier } from '../../lab/provision-fixture.js';
import { startBridgeLan, startMediaHalls, pushBridge, lastProgrammeCheck, type BridgeLan, type MediaHall } from '../../lab/media/bridge-lan.js';
import { Observer } from '../../lab/observer.js';
import { ROOM, mediaConfig, memoryLogger } from '../../lab/media/fixture.js';
import { waitFor } from '../../lab/wait.js';
import { createMediaPath, type MediaController } from '../../agent/media/controller.js';
import { JanusControl } from '../../central/cascade/janus-control.js';
import { addOperator, ConsoleClient, startCentral, writeCentralConfig, type CentralProcess } from '../../lab/central.js';
import { mkdtemp } from 'node:fs/promises';
import { join } from 'node:path';

const ORIGIN = 0;
const EDGE = { north: 1, central: 2 };

let lan: BridgeLan;
let carrier: Carrier;
let central: CentralProcess;
let nat: ConsoleClient;
let obs: Observer;
let halls: MediaHall[] = [];
const region: Record<string, 'north' | 'central'> = {};
let programmePublisher: MediaController | null = null;

t.teardown(async () => {
  await programmePublisher?.stop().catch(() => {});
  await Promise.all(halls.map((h) => h.proc.stop()));
  await central?.stop();
  await obs?.close().catch(() => {});
  await carrier?.cleanup();
  await lan?.close();
});

t.afterEach(async (t) => {
  if (!t.passing()) t.comment(central.lines.filter((l) => l.part === 'cascade').slice(-20).map((l) => JSON.stringify(l)).join('\n'));
});

const state = (id: string, pred: (s: any) => boolean, what: string) =>
  obs.wait((m) => m.topic === `diemcau/v1/${id}/state` && !!m.json && pred(m.json), `${id}: ${what}`, 40_000, 0).then((m) => m.json);

/** The displays of the halls cascaded in to the origin (its remote publishers, the programme's relays aside). */
async function hallsOnOrigin(): Promise<string[]> {
  const ctl = new JanusControl(lan.urls[ORIGIN]);
  try {
    const data = await ctl.request({ request: 'listparticipants', room: ROOM });
    const all = data.participants as Array<{ display: string; publisher?: boolean; remote?: boolean }>;
    return all.filter((p) => p.publisher && p.remote).map((p) => p.display).sort();
  } finally {
    await ctl.close();
  }
}

/** Waits until the origin holds exactly `want`, and says what it held. */
const originHolds = (want: string[], what: string) =>
  waitFor(what, hallsOnOrigin, { until: (on) => on.join() === [...want].sort().join(), timeoutMs: 20_000, everyMs: 250 });

const hallOf = (r: 'north' | 'central') => halls.find((h) => region[h.id] === r)!.id;

t.before(async () => {
  const [l, c] = await Promise.allSettled([startBridgeLan(3), carrierWithBroker(5)]);
  if (l.status === 'fulfilled') lan = l.value;
  if (c.status === 'fulfilled') carrier = c.value;
  if (l.status === 'rejected') throw l.reason;
  if (c.status === 'rejected') throw c.reason;
  const svc = (await carrier.store.carrier()).service;
  obs = await Observer.connect(carrier.broker.url, ['diemcau/v1/+/state'], { username: svc.username, password: svc.password });
  const all = await carrier.store.halls();
  const ids = ['r-north', 'r-central'].map((g) => Object.keys(all).sort().find((id) => all[id].groups.includes(g))!);
  for (const id of ids) region[id] = all[id].groups.includes('r-north') ? 'north' : 'central';

  const publishProgramme = async () => {
    programmePublisher = createMediaPath(mediaConfig({ receiveProgramme: false, width: 320, height: 180, fps: 15, maxBitrateKbps: 300 }), memoryLogger('programme').log);
    await programmePublisher.start();
    await programmePublisher.join({ bridge: lan.urls[ORIGIN], room: ROOM, display: 'centre' });
  };
  const startHalls = async () => {
    halls = await startMediaHalls(carrier, ids);
    await Promise.all(ids.map((id) => state(id, (s) => s.network?.connected && s.media, 'registered, its media path up')));
    await Promise.all((['north', 'central'] as const).map((r) => pushBridge(carrier, `group:r-${r}`, lan.urls[EDGE[r]])));
  };
  const startConsole = async () => {
    const dir = await mkdtemp(join(carrier.dir, 'central-'));
    const configPath = await writeCentralConfig(dir, {
      carriers: [{ name: 'carrier', url: carrier.broker.url, username: svc.username, password: svc.password }],
      bridge: { janus: lan.urls[ORIGIN], edges: [{ api: lan.urls[EDGE.north] }, { api: lan.urls[EDGE.central] }], originUplinks: 'watched' },
    });
    await addOperator(configPath, 'nat', 'national', 'correct horse battery');
    central = await startCentral(configPath);
    nat = await ConsoleClient.login(central.url, 'nat', 'correct horse battery');
  };
  await Promise.all([publishProgramme(), startHalls(), startConsole()]);
  await waitFor('the console sees both halls online', async () => ((await nat.get('/api/halls?limit=10')).body.halls as Array<{ state: string }>).filter((h) => h.state === 'online').length, {
    until: (n) => n === 2,
    timeoutMs: 20_000,
  });
  const m = await nat.post('/api/meetings', { title: 'Hội nghị toàn quốc', bridge: lan.urls[ORIGIN], room: ROOM });
  if (m.status !== 200 && m.status !== 201) throw new Error(`POST /api/meetings: HTTP ${m.status} ${JSON.stringify(m.body)}`);
  const j = await nat.post(`/api/meetings/${m.body.id}/join`, { scope: { groups: ['r-north', 'r-central'] } });
  if (j.status >= 300) throw new Error(`join: HTTP ${j.status} ${JSON.stringify(j.body)}`);
  await Promise.all(ids.map((id) => state(id, (s) => s.media?.heard && s.media?.status === 'joined', 'heard on its edge')));
});

t.test('nothing watched: every hall plays the programme through its edge, and the origin takes no hall', async (t) => {
  for (const h of halls) {
    const p = await waitFor(`${h.id} plays the programme`, () => lastProgrammeCheck(h), { until: (p) => (p?.frames ?? 0) >= 30, timeoutMs: 40_000, everyMs: 200 });
    t.ok(p!.frames >= 30, `${h.id} (${region[h.id]}): ${p!.frames} programme frames decoded through its edge`);
  }
  // Both halls have published on their edges for a while, and the cascade looks twice a second.
  t.ok(central.lines.some((l) => l.msg === 'cascade: linked' && l.display === 'centre'), 'the programme was cascaded to the edges');
  t.same(await hallsOnOrigin(), [], 'no hall on the origin');
});

t.test("a preview brings its hall to the origin, and only it; closing it takes the hall off", async (t) => {
  const north = hallOf('north');
  const opened = Date.now();
  const r = await nat.post(`/api/preview/${north}`);
  t.equal(r.status, 200, `POST /api/preview/${north}: HTTP ${r.status} ${r.status === 200 ? '' : JSON.stringify(r.body)}`);
  t.match(r.body.sdp, /m=audio[\s\S]*m=video/, `the preview's offer, with the hall's audio and video, ${Date.now() - opened} ms after the click`);
  t.same(await hallsOnOrigin(), [north], 'the origin holds the previewed hall alone');
  const closed = await nat.request('DELETE', `/api/preview/${r.body.id}`);
  t.equal(closed.status, 200, 'the preview closed');
  t.same(await originHolds([], 'the hall off the origin'), [], 'the origin holds no hall again');
});

t.test('the floor queue brings its halls to the origin; revoking takes them off', async (t) => {
  const centralHall = hallOf('central');
  const called = await nat.post(`/api/floor/${centralHall}/call`);
  t.equal(called.status, 200, `POST /api/floor/${centralHall}/call: HTTP ${called.status}`);
  t.same(await originHolds([centralHall], 'the called hall on the origin'), [centralHall], 'the origin holds the hall given the floor, so the centre can hear it');
  const revoked = await nat.post(`/api/floor/${centralHall}/revoke`);
  t.equal(revoked.status, 200, 'the floor revoked');
  t.same(await originHolds([], 'the hall off the origin'), [], 'and it is off the origin again');
});
