// The console's meeting features on a hall in a real meeting: a real Janus in its namespace (lab/janus.ts), a real
// Mosquitto, a centre publishing the programme (the stamped test pattern), and the hall: the Agent that `diemcau
// run` runs, here in the test's process so that the test can read what its TV would show (the media worker's
// programme check reads the banner and the stamp from every frame's pixels), with a simulated panel and its media
// worker in the hall's namespace. Driven over MQTT as the console drives it.
import t from 'tap';
import { startJanusLab, type JanusLab } from '../../lab/janus.js';
import { startBroker, type Broker } from '../../lab/mosquitto.js';
import { Observer } from '../../lab/observer.js';
import { ROOM, mediaConfig, memoryLogger, programme } from '../../lab/media/fixture.js';
import { waitFor } from '../../lab/wait.js';
import { createMediaPath, type MediaController } from '../../agent/media/controller.js';
import { Agent } from '../../agent/agent.js';
import { parseConfig } from '../../agent/config/load.js';
import { createDevice } from '../../agent/devices/compose.js';
import { BANNERS } from '../../agent/meeting.js';
import { schemaErrors } from '../../core/schema/parse.js';
import { RollcallAnswer } from '../../core/payloads.js';

const ID = 'vn-90005';
const topic = (leaf: string) => `diemcau/v1/${ID}/${leaf}`;
let lab: JanusLab;
let broker: Broker;
let obs: Observer;
let centre: MediaController;
let hallMedia: MediaController | null = null;
let agent: Agent;
const hallLog = memoryLogger('hall');

t.teardown(async () => {
  await agent?.stop().catch(() => {});
  await centre?.stop().catch(() => {});
  await obs?.close().catch(() => {});
  await broker?.cleanup();
  await lab?.close();
});

const cmd = async (name: string, args: unknown = {}) => obs.request(topic(`cmd/${name}`), args, { timeoutMs: 30000 });
const press = async (button: 'talk' | 'mute') => {
  const r = await cmd('panel.sim-press', { button, ms: 100 });
  if (!r.ok) throw new Error(`panel.sim-press ${button}: ${JSON.stringify(r.error)}`);
};
const state = (pred: (s: any) => boolean, what: string, since: number, timeoutMs = 20000) =>
  obs.wait((m) => m.topic === topic('state') && !!m.json && pred(m.json), what, timeoutMs, since).then((m) => m.json);
const tally = (s: any) => s.devices?.panel?.leds?.tally;
/** What the hall's TV shows now, read from the programme frames' pixels by the worker's programme check. */
const tv = () => programme(hallMedia!) as ReturnType<typeof programme> & { bannerShown: string | null; bannerFrames: number };

t.before(async () => {
  // The bridge and the broker need nothing of each other: started together; then the centre and the hall.
  const [l, b] = await Promise.allSettled([startJanusLab(), startBroker()]);
  if (l.status === 'fulfilled') lab = l.value;
  if (b.status === 'fulfilled') broker = b.value;
  if (l.status === 'rejected') throw l.reason;
  if (b.status === 'rejected') throw b.reason;
  obs = await Observer.connect(broker.url, ['diemcau/#']);
  // The programme's publisher in the lab's centre namespace, not on the multihomed host (lab/netns.ts MediaLab says
  // what Janus did to a subscriber there). From the host, in quiet run 96, the hall got the programme's audio and
  // no picture for 20 s, a new subscription included: video arrived, no frame was decoded.
  centre = createMediaPath(mediaConfig({ receiveProgramme: false, width: 640, height: 360 }), memoryLogger('centre').log, {
    spawnPrefix: lab.centre.prefix,
  });
  const centreJoined = centre.start().then(() => centre.join({ bridge: lab.centreUrl, room: ROOM, display: 'centre' }));
  centreJoined.catch(() => {}); // awaited below, once the hall is up
  const config = parseConfig(
    {
      box: { id: ID },
      hall: { name: 'Hội trường xã Nghĩa Đàn', groups: ['p-40'] },
      mqtt: { brokers: [broker.url], stateThrottleMs: 100 },
      devices: { panel: { simulate: true, talkButton: 17, muteButton: 27, tallyLed: 22, statusLed: 23 } },
      media: { enabled: true, simulate: true, width: 640, height: 360, programme: 'centre' },
    },
    'meeting test',
  );
  agent = new Agent({
    config,
    configPath: null,
    log: hallLog.log,
    version: '0.0.0-test',
    deviceFactory: createDevice,
    mediaFactory: async (cfg, log) => (hallMedia = createMediaPath(cfg, log, { spawnPrefix: lab.hall.prefix })),
  });
  await agent.start();
  await state((s) => s.network?.connected && s.devices?.panel?.health?.status === 'ok', 'the hall registered', 0);
  await centreJoined;
});

t.afterEach(async (t) => {
  if (!t.passing()) t.comment(hallLog.lines.slice(-40).join('\n'));
});

t.test('the hall joins over MQTT, is heard, and its TV shows the programme with no banner', async (t) => {
  const j = await cmd('join', { bridge: lab.hallUrl, room: ROOM, display: 'hall' });
  t.equal(j.ok, true, JSON.stringify(j.error ?? ''));
  await state((s) => s.media?.heard && s.media?.seen, 'heard and seen at the centre', 0, 30000);
  t.ok(await waitFor('tv().frames > 30', () => tv().frames > 30, { timeoutMs: 20000 }), `the programme arrives (${tv().frames} stamped frames)`);
  t.equal(tv().bannerShown, null, 'no banner');
});

t.test('a request, then floor.grant: mic open, tally on air, the TV says so, every frame still stamped', async (t) => {
  const since = Date.now();
  t.match(await cmd('mute'), { ok: true, result: { muted: true } });
  await state((s) => s.media?.muted && tally(s) === 'pulse', 'muted, the tally at its heartbeat', since);
  await press('talk');
  await obs.wait((m) => m.topic === topic('event/floor') && m.json?.action === 'requested', 'the request', 5000, since);
  const g = await cmd('floor.grant');
  t.match(g, { ok: true, result: { floor: { status: 'granted' }, muted: false } });
  const s = await state((s) => s.hall?.floor?.status === 'granted' && s.media?.heard && tally(s) === 'double', 'granted, heard, on air', since, 30000);
  t.equal(s.media.muted, false, 'mic open');
  t.equal(s.devices.panel.hallState, 'on-air');
  t.ok(await waitFor('tv().bannerShown === BANNERS.granted', () => tv().bannerShown === BANNERS.granted, { timeoutMs: 10000 }), `the TV shows "${tv().bannerShown}"`);
  const a = tv();
  await waitFor('tv().frames > a.frames + 60', () => tv().frames > a.frames + 60, { timeoutMs: 20000 });
  const b = tv();
  t.ok(b.frames - a.frames >= 60, `${b.frames - a.frames} frames shown with the banner`);
  t.equal(b.unreadable - a.unreadable, 0, 'every one with a readable stamp');
  t.equal(b.bannerFrames - a.bannerFrames, b.frames - a.frames, 'and every one with the banner');
});

t.test('the roll call answers with the heard-at-centre proof', async (t) => {
  const r = await cmd('rollcall', { id: 'rc-m' });
  t.match(r, { ok: true, result: { id: 'rc-m', heard: true, seen: true, media: { status: 'joined' } } });
  t.ok((r.result.media.stats?.bitrateKbps ?? 0) > 0, `with the media figures (${JSON.stringify(r.result.media.stats)})`);
  t.same(schemaErrors(RollcallAnswer, r.result), []);
});

t.test('a worker crash while on air: the new worker draws the banner again', async (t) => {
  const pid = hallMedia!.workerPid()!;
  const before = tv().frames;
  process.kill(pid, 'SIGKILL');
  // The new worker counts from zero: a count below the old one is its own report.
  const fresh = () => hallMedia!.workerPid() !== undefined && hallMedia!.workerPid() !== pid && tv().frames < before && tv().frames > 10;
  // Once beside stress-ng (run 36) no frame came in 30 s: what the new worker's programme subscription had received.
  const seen = () => ({ frames: tv().frames, arrivals: hallMedia!.extra().programmeArrivals });
  t.ok(await waitFor('a new worker decoding the programme', seen, { until: fresh, timeoutMs: 30000 }), `a new worker receives the programme (${tv().frames} frames)`);
  t.ok(await waitFor('tv().bannerShown === BANNERS.granted', () => tv().bannerShown === BANNERS.granted, { timeoutMs: 10000 }), `its frames carry the banner (${tv().bannerShown})`);
});

t.test('floor.revoke: mic closed, tally back, banner gone', async (t) => {
  const since = Date.now();
  t.match(await cmd('floor.revoke'), { ok: true, result: { floor: null, muted: true } });
  await state((s) => s.hall?.floor === null && s.media?.muted && tally(s) === 'pulse', 'revoked: muted, heartbeat', since);
  t.ok(await waitFor('tv().bannerShown === null && tv().frames > 0', () => tv().bannerShown === null && tv().frames > 0, { timeoutMs: 10000 }), 'no banner');
});

t.test('called on: the TV asks, the mute button declines (event, mic closed, state declined)', async (t) => {
  const since = Date.now();
  t.match(await cmd('floor.grant', { called: true }), { ok: true, result: { floor: { status: 'called' }, muted: false } });
  await state((s) => s.hall?.floor?.status === 'called' && tally(s) === 'double', 'called: on air', since, 30000);
  t.ok(await waitFor('tv().bannerShown === BANNERS.called', () => tv().bannerShown === BANNERS.called, { timeoutMs: 10000 }), `the TV shows "${tv().bannerShown}"`);
  const pressedAt = Date.now();
  await press('mute');
  const ev = await obs.wait((m) => m.topic === topic('event/floor') && m.json?.action === 'declined', 'declined', 5000, pressedAt);
  t.match(ev.json, { box: ID, action: 'declined' });
  const s = await state((s) => s.hall?.floor?.status === 'declined' && s.media?.muted && tally(s) === 'pulse', 'declined, muted', pressedAt);
  t.equal(s.hall.floor.since, ev.json.ts);
  t.ok(await waitFor('tv().bannerShown === null', () => tv().bannerShown === null, { timeoutMs: 10000 }), 'the banner is gone');
});

t.test('a roll call with confirmation: the TV counts down, talk confirms', async (t) => {
  const since = Date.now();
  t.match(await cmd('rollcall', { id: 'rc-c', confirmS: 20 }), { ok: true, result: { id: 'rc-c', seen: true } });
  const count = () => /^ROLL CALL - PRESS TALK TO CONFIRM \((\d+) s\)$/.exec(tv().bannerShown ?? '')?.[1];
  t.ok(await waitFor('count()', () => count(), { timeoutMs: 10000 }), `the TV asks: "${tv().bannerShown}"`);
  const first = Number(count());
  t.ok(first <= 20 && first >= 15, `${first} s left`);
  t.ok(await waitFor('Number(count()) < first', () => Number(count()) < first, { timeoutMs: 5000 }), `and counts down (${count()} s)`);
  await state((s) => tally(s) === 'flash', 'the tally flashing', since);
  const pressedAt = Date.now();
  await press('talk');
  await obs.wait((m) => m.topic === topic('event/rollcall') && m.json?.id === 'rc-c', 'the confirmation', 5000, pressedAt);
  await state((s) => s.hall?.rollcall?.confirmedAt && tally(s) === 'pulse', 'confirmed, back to the hall state', pressedAt);
  t.ok(await waitFor('tv().bannerShown === null', () => tv().bannerShown === null, { timeoutMs: 10000 }), 'the question is gone from the TV');
  t.notOk(obs.messages.some((m) => m.topic === topic('event/floor') && m.at >= pressedAt), 'the press asked for no floor');
});

t.test('leaving the meeting drops the floor', async (t) => {
  const since = Date.now();
  t.match(await cmd('floor.grant'), { ok: true });
  await state((s) => s.hall?.floor?.status === 'granted', 'granted', since);
  t.match(await cmd('leave'), { ok: true, result: { status: 'idle' } });
  await state((s) => s.hall?.floor === null && s.media?.status === 'idle' && tally(s) === 'off', 'no floor outside the meeting', since);
  t.match(await cmd('floor.grant'), { ok: false, error: { code: 'bad_request', message: /not in a meeting \(media status idle\)/ } });
});
