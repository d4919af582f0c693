// `npm run bench -- console-server [--halls 10400] [--pages 20] [--json FILE]`: the console server alone at national
// scale, measured from the outside: the real `diemcau-central` process, a real Mosquitto, and 10,400 halls simulated
// at the wire level (a few MQTT connections publish every hall's retained presence and state, answer its roll call
// and press its talk button, exactly as boxes would on their own topics), with 20 operator pages on the live feed.
// Measures: time to the whole picture, the snapshots, server CPU and RSS and feed kB/s per page while 1,000 halls
// change state per second, a roll call of every hall, and talk pressed to the request in a page's queue. The
// page's own figures (first render, frame p95 in Chromium) belong to the page's bench.
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { startBroker } from '../lab/mosquitto.js';
import { addOperator, ConsoleClient, startCentral, writeCentralConfig, type LiveClient } from '../lab/central.js';
import { flags, percentile, printTable, writeJson } from './report.js';

const id = (i: number) => `vn-${String(i).padStart(5, '0')}`;
const province = (i: number) => `p-${String(i % 34).padStart(2, '0')}`;

function state(i: number, heard: boolean): string {
  return JSON.stringify({
    agent: { version: 'bench', startedAt: new Date().toISOString(), pid: 1 },
    hall: { name: `Hội trường xã ${i}`, groups: [province(i), `c-${String(i).padStart(5, '0')}`] },
    config: { version: 1, status: 'applied' },
    network: { connected: true, broker: null, connects: 1, lastDrop: null },
    devices: { camera: { kind: 'camera', health: { status: 'ok', since: 1 } }, panel: { kind: 'panel', health: { status: 'ok', since: 1 }, leds: { tally: 'off' } } },
    media: { status: 'joined', seen: true, heard, muted: false, audioOnly: false, stats: { bitrateKbps: 1000, fps: 30, lossPct: 0, rttMs: 10 } },
    ts: new Date().toISOString(),
  });
}

/** Answers `rollcall` for every hall a command reaches (a group's members, or one box), on each box's reply topic. */
function answerRollcalls(c: MqttClient, n: number): void {
  c.on('message', (topic, payload, packet) => {
    const parts = topic.split('/');
    const args = JSON.parse(payload.toString());
    const boxes = parts[2] === 'group' ? Array.from({ length: n }, (_, i) => i).filter((i) => province(i) === parts[3]).map(id) : [parts[2]];
    for (const b of boxes) {
      const body = JSON.stringify({ box: b, cmd: 'rollcall', ok: true, result: { id: args.id, heard: true, seen: true, media: { status: 'joined' }, at: new Date().toISOString() }, ms: 1 });
      c.publish(`diemcau/v1/${b}/reply/rollcall`, body, { qos: 0, properties: { correlationData: packet.properties?.correlationData } });
    }
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function main(argv: string[]): Promise<void> {
  const f = flags(argv);
  const N = Number(f.get('halls') ?? 10400);
  const PAGES = Number(f.get('pages') ?? 20);
  const dir = await mkdtemp(join(tmpdir(), 'diemcau-bench-console-'));
  // A carrier broker configured for the console (docs/console.md, "Carrier brokers"): Mosquitto's default queue of 1,000
  // messages per client would drop most of the retained states replayed at the console's connect.
  const broker = await startBroker({ extraConfig: ['max_queued_messages 100000'] });
  const pubs = await Promise.all([0, 1, 2, 3].map((k) => mqtt.connectAsync(broker.url, { protocolVersion: 5, clientId: `bench-halls-${k}` })));
  const pub = (i: number) => pubs[i % pubs.length];
  try {
    for (let i = 0; i < N; i++) {
      pub(i).publish(`diemcau/v1/${id(i)}/presence`, JSON.stringify({ state: 'online', box: id(i), version: 'bench', ts: new Date().toISOString() }), { qos: 1, retain: true });
      pub(i).publish(`diemcau/v1/${id(i)}/state`, state(i, true), { qos: 1, retain: true });
      if (i % 200 === 0) await sleep(5);
    }
    const responder = pubs[0];
    await responder.subscribeAsync(['diemcau/v1/+/cmd/rollcall', 'diemcau/v1/group/+/cmd/rollcall'], { qos: 0 });
    answerRollcalls(responder, N);
    await sleep(1000);
    const configPath = await writeCentralConfig(dir, { carriers: [{ name: 'bench', url: broker.url }] });
    await addOperator(configPath, 'nat', 'national', 'bench password');
    const t0 = Date.now();
    const server = await startCentral(configPath);
    const pid = server.proc.pid!;
    const cpu = () => {
      const x = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
      return (Number(x[11]) + Number(x[12])) / 100;
    };
    const rss = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;
    try {
      const nat = await ConsoleClient.login(server.url, 'nat', 'bench password');
      for (let n = 0; ; n++) {
        const got = (await nat.get('/api/halls?state=heard&limit=1')).body.total;
        if (got >= N) break;
        if (n % 40 === 0) console.error(`picture: ${got} of ${N} halls heard`);
        await sleep(50);
      }
      const pictureMs = Date.now() - t0;
      console.error(`picture of ${N} halls in ${pictureMs} ms`);
      const s0 = Date.now();
      const pages: LiveClient[] = await Promise.all(Array.from({ length: PAGES }, () => nat.live()));
      await Promise.all(pages.map((p) => p.until(() => p.halls.size === N, 'snapshot', 60000)));
      const snapshotsMs = Date.now() - s0;
      console.error(`${PAGES} snapshots in ${snapshotsMs} ms; 1,000 changes/s for 10 s...`);
      // 1,000 halls change state per second for 10 s (heard ↔ seen), spread over each second.
      const c0 = cpu();
      const b0 = pages[0].frames.reduce((s, x) => s + x.bytes, 0);
      const w0 = Date.now();
      let k = 0;
      let peakRss = rss();
      for (let s = 0; s < 100; s++) {
        const tick = Date.now();
        for (let j = 0; j < 100; j++, k++) {
          const i = (k * 7919) % N;
          pub(i).publish(`diemcau/v1/${id(i)}/state`, state(i, k % 2 === 1), { qos: 1, retain: true });
        }
        await sleep(Math.max(0, 100 - (Date.now() - tick)));
        if (s % 10 === 0) peakRss = Math.max(peakRss, rss());
      }
      const secs = (Date.now() - w0) / 1000;
      const cpuPerS = (cpu() - c0) / secs;
      const kbPerS = (pages[0].frames.reduce((s, x) => s + x.bytes, 0) - b0) / 1024 / secs;
      peakRss = Math.max(peakRss, rss());
      console.error(`cpu ${cpuPerS.toFixed(3)} s/s; roll call...`);
      // Roll call of every hall: started to every answer counted on a page.
      const meeting = (await nat.post('/api/meetings', { title: 'bench', bridge: 'http://127.0.0.1:9/janus', room: 1 })).body;
      const r0 = Date.now();
      const rc = (await nat.post(`/api/meetings/${meeting.id}/rollcalls`, { scope: { all: true } })).body;
      await pages[0].until(() => pages[0].progress.rollcall.get(rc.id)?.counts.answered === N, 'every answer', 120000);
      const rollCallS = (Date.now() - r0) / 1000;
      // Talk pressed (event/floor on the box's topic) to the request in a page's queue.
      const lat: number[] = [];
      for (let j = 0; j < 50; j++) {
        const i = (j * 211) % N;
        const at = Date.now();
        pub(i).publish(`diemcau/v1/${id(i)}/event/floor`, JSON.stringify({ box: id(i), hall: `Hội trường xã ${i}`, ts: new Date().toISOString() }), { qos: 1 });
        await pages[PAGES - 1].until(() => pages[PAGES - 1].floor.some((e: any) => e.box === id(i)), 'request', 10000);
        lat.push(Date.now() - at);
        await nat.post(`/api/floor/${id(i)}/revoke`);
      }
      lat.sort((a, b) => a - b);
      const result = {
        halls: N,
        operators: PAGES,
        picture_ms: pictureMs,
        snapshots_ms: snapshotsMs,
        snapshot_kb: Math.round(pages[0].frames[0].bytes / 1024),
        server_cpu_s_per_s: cpuPerS,
        server_rss_mb: Math.round(peakRss),
        ws_kb_per_s: Math.round(kbPerS),
        roll_call_all_s: rollCallS,
        floor_to_feed_p95_ms: percentile(lat, 95),
      };
      printTable(`console server, ${N} halls (wire-level), ${PAGES} pages`, [result]);
      await writeJson(f.get('json'), { ...result, note: 'server side only: the page figures (first_render_ms, frame_p95_ms) come from the page bench' });
      await Promise.all(pages.map((p) => p.close()));
    } finally {
      await server.stop();
    }
  } finally {
    await Promise.all(pubs.map((p) => p.endAsync(true)));
    await broker.cleanup();
    await rm(dir, { recursive: true, force: true });
  }
}
