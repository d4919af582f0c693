// A meeting with real media through the console (a media test: Janus in a network namespace, a real agent process
// with simulated camera and microphone): join the hall's province through the server (one group command, which
// names no display) and see the progress reach "joined"; a readiness sweep passes on it; the floor granted lights
// its tally LED (once the agent has floor.grant); and the preview: the server subscribes to the hall's feed on
// Janus on the page's behalf (found by the box id the agent publishes under when `join` names no display), and a
// WebRTC peer answering with the server's SDP decodes the hall's stamped frames.
import t from 'tap';
import mqtt from 'mqtt';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBroker } from '../../lab/mosquitto.js';
import { startLocalJanus } from '../../lab/janus.js';
import { startConsoleHall, stopConsoleHall } from '../../lab/console-halls.js';
import { addOperator, ConsoleClient, startCentral, writeCentralConfig } from '../../lab/central.js';
import { hallCommands, pressButton } from '../../lab/hall-capabilities.js';
import { startPreviewPeer } from '../../lab/preview-peer.js';
import { PASSWORD, eventually } from '../central/world.js';
import { HALL_PATTERNS } from '../../agent/hall.js';

if (process.getuid?.() !== 0) {
  t.plan(0, 'Janus runs in a network namespace, which needs root');
  process.exit(0);
}

const BOX = 'vn-50001';
const dir = await mkdtemp(join(tmpdir(), 'diemcau-central-preview-'));
t.teardown(() => rm(dir, { recursive: true, force: true }));
// Janus (the slowest part) starts while the broker, the hall and the server do.
const janusUp = startLocalJanus().then((j) => (t.teardown(() => j.stop()), j));
const broker = await startBroker();
t.teardown(() => broker.cleanup());
const hall = await startConsoleHall(BOX, 'Hội trường xã Hòa Bình', '01', broker.url, {
  media: { enabled: true, simulate: true, width: 640, height: 360, fps: 15, maxBitrateKbps: 600 },
});
t.teardown(() => stopConsoleHall(hall));
const janus = await janusUp;
const configPath = await writeCentralConfig(dir, { carriers: [{ name: 'viettel', url: broker.url }], bridge: { janus: janus.url } });
await addOperator(configPath, 'nat', 'national', PASSWORD);
const server = await startCentral(configPath);
t.teardown(() => server.stop());
const nat = await ConsoleClient.login(server.url, 'nat', PASSWORD);
await eventually(async () => (await nat.get(`/api/halls?q=${BOX}`)).body.halls[0]?.presence === 'online', 'hall online', 30000);
const meeting = (await nat.post('/api/meetings', { title: 'preview', bridge: janus.url, room: janus.rooms[0] })).body;

t.test('join the province through the console: progress reaches joined, the hall is heard', async (t) => {
  const page = await nat.live();
  t.teardown(() => page.close());
  // What went out on the broker: one group command, no display named in it.
  const spy = await mqtt.connectAsync(broker.url, { protocolVersion: 5, clientId: 'preview-test-spy' });
  t.teardown(() => spy.endAsync(true));
  const joins: Array<{ topic: string; args: any }> = [];
  spy.on('message', (topic, payload) => joins.push({ topic, args: JSON.parse(payload.toString()) }));
  await spy.subscribeAsync(['diemcau/v1/+/cmd/join', 'diemcau/v1/group/+/cmd/join'], { qos: 1 });
  const r = await nat.post(`/api/meetings/${meeting.id}/join`, { scope: { groups: ['p-01'] } });
  t.match(r.body, { asked: 1, reached: 0 });
  const p = await page.until(() => page.progress.command.get(r.body.id)?.reached === 1 && page.progress.command.get(r.body.id), 'joined', 45000);
  t.match(p, { asked: 1, answered: 1, ok: 1, reached: 1 });
  await page.until(() => page.halls.get(BOX)?.state === 'heard', 'heard at the centre', 30000);
  t.same(joins.map((j) => [j.topic, j.args.display]), [['diemcau/v1/group/p-01/cmd/join', undefined]], 'one group command, naming no display');
});

t.test('readiness passes on a hall in the meeting', async (t) => {
  const r = await nat.post('/api/readiness', { scope: { boxes: [BOX] }, seconds: 2 });
  const done = await eventually(async () => {
    const x = (await nat.get(`/api/readiness/${r.body.id}`)).body;
    return x.counts.pending === 0 ? x : null;
  }, 'selftest done', 60000, 500);
  t.match(done.results[0], { box: BOX, status: 'passed', reason: null, lossPct: Number });
});

t.test('the floor granted lights the tally LED in the hall\'s reported state', async (t) => {
  if (!(await hallCommands(broker.url, BOX)).has('floor.grant')) {
    t.comment('the agent does not take floor.grant yet (commands.list): checked once it does');
    return;
  }
  await pressButton(broker.url, BOX, 'talk');
  await eventually(async () => (await nat.get('/api/floor')).body.queue.length === 1, 'request queued');
  t.equal((await nat.post(`/api/floor/${BOX}/grant`)).status, 200);
  const st = await eventually(async () => {
    const s = (await nat.get(`/api/halls/${BOX}`)).body.state;
    return s.devices?.panel?.leds?.tally === HALL_PATTERNS['on-air'].tally && s.hall?.floor?.status === 'granted' ? s : null;
  }, 'tally on air, floor granted in the reported state', 15000);
  t.equal(st.devices.panel.hallState, 'on-air', `the panel shows the hall on air (tally ${st.devices.panel.leds.tally})`);
  t.equal(st.media.muted, false, 'the mic is open');
  t.equal((await nat.post(`/api/floor/${BOX}/revoke`)).status, 200);
  await eventually(async () => (await nat.get(`/api/halls/${BOX}`)).body.state.media.muted === true, 'muted again after revoke', 15000);
});

t.test('preview: the server negotiates with Janus, the peer decodes the hall\'s stamped frames', async (t) => {
  const open = await nat.post(`/api/preview/${BOX}`);
  t.equal(open.status, 200, open.status === 200 ? 'preview opened' : JSON.stringify(open.body));
  t.match(open.body, { id: String, sdp: /^v=0/ }, 'the bridge\'s offer');
  const peer = startPreviewPeer();
  t.teardown(() => peer.close());
  const ans = await nat.post(`/api/preview/${open.body.id}/answer`, { sdp: await peer.answer(open.body.sdp) });
  t.equal(ans.status, 200, JSON.stringify(ans.body));
  const stamps = (await eventually(async () => {
    const s = await peer.stamps();
    return s.length >= 30 ? s : null;
  }, '30 stamped frames decoded', 20000, 250))!;
  t.ok(stamps.slice(1).every((c, i) => c > stamps[i]), `frame counters go up: the hall's live picture (${stamps[0]}..${stamps[stamps.length - 1]})`);
  t.equal((await nat.request('DELETE', `/api/preview/${open.body.id}`)).status, 200);
  t.equal((await nat.request('DELETE', `/api/preview/${open.body.id}`)).status, 404, 'closed');
  t.equal((await nat.post('/api/preview/vn-99999')).status, 404, 'an unknown hall');
  const audit = (await nat.get('/api/audit?limit=20')).body.map((a: any) => `${a.action} ${a.outcome}`);
  t.ok(audit.includes('preview.open ok') && audit.includes('preview.close ok'));
});
