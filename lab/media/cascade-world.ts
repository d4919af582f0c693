// A cascaded meeting as the cascade tests start it: three real Janus in network namespaces on one LAN (the origin
// and two regional edges), the carrier's broker, the programme (320x180@15, stamped) published on the origin, halls
// of r-north and r-central as real `diemcau run` processes, and the central console server cascading over the edges,
// with a meeting opened. The halls are not yet given their region's bridge nor joined: each test does that itself.
import { carrierWithBroker, type Carrier } from '../provision-fixture.js';
import { startBridgeLan, startMediaHalls, type BridgeLan, type MediaHall } from './bridge-lan.js';
import { Observer } from '../observer.js';
import { ROOM, mediaConfig, memoryLogger } from './fixture.js';
import { waitFor } from '../wait.js';
import { createMediaPath, type MediaController } from '../../agent/media/controller.js';
import { JanusControl } from '../../central/cascade/janus-control.js';
import { addOperator, ConsoleClient, startCentral, writeCentralConfig, type CentralProcess } from '../central.js';
import { mkdtemp } from 'node:fs/promises';
import { join } from 'node:path';

export const ORIGIN = 0;
export const EDGE = { north: 1, central: 2 } as const;
export type Region = keyof typeof EDGE;

export interface CascadeWorld {
  lan: BridgeLan;
  carrier: Carrier;
  central: CentralProcess;
  /** The national operator's session. */
  nat: ConsoleClient;
  meeting: number;
  obs: Observer;
  halls: MediaHall[];
  region: Record<string, Region>;
  /** Media paths the test runs in its own process (the programme first); stopped by close(). */
  controllers: MediaController[];
  /** The next state of hall `id` published since `since` that `pred` accepts. */
  state(id: string, pred: (s: any) => boolean, what: string, since: number, timeoutMs?: number): Promise<any>;
  /** The displays of the publishers on bridge i: cascaded in from another bridge (remote), or its own. */
  publishersOn(i: number, remote: boolean): Promise<string[]>;
  close(): Promise<void>;
}

/** `perRegion` halls of each region; `originUplinks` as the console's config takes it. */
export async function startCascadeWorld(o: { perRegion: number; originUplinks?: 'all' | 'watched' }): Promise<CascadeWorld> {
  const w = { halls: [] as MediaHall[], region: {} as Record<string, Region>, controllers: [] as MediaController[] } as CascadeWorld;
  w.close = async () => {
    for (const c of w.controllers) await c.stop().catch(() => {});
    await Promise.all(w.halls.map((h) => h.proc.stop()));
    await w.central?.stop();
    await w.obs?.close().catch(() => {});
    await w.carrier?.cleanup();
    await w.lan?.close();
  };
  w.state = (id, pred, what, since, timeoutMs = 40_000) =>
    w.obs.wait((m) => m.topic === `diemcau/v1/${id}/state` && !!m.json && pred(m.json), `${id}: ${what}`, timeoutMs, since).then((m) => m.json);
  w.publishersOn = async (i, remote) => {
    const ctl = new JanusControl(w.lan.urls[i]);
    try {
      const data = await ctl.request({ request: 'listparticipants', room: ROOM });
      const all = data.participants as Array<{ display: string; publisher?: boolean; remote?: boolean }>;
      return all.filter((p) => p.publisher && !!p.remote === remote).map((p) => p.display).sort();
    } finally {
      await ctl.close();
    }
  };
  try {
    // The bridges and the carrier's broker need nothing of each other: started together, and then the programme, the
    // halls and the console, each waiting only for what it needs.
    const [l, c] = await Promise.allSettled([startBridgeLan(3), carrierWithBroker(5)]);
    if (l.status === 'fulfilled') w.lan = l.value;
    if (c.status === 'fulfilled') w.carrier = c.value;
    if (l.status === 'rejected') throw l.reason;
    if (c.status === 'rejected') throw c.reason;
    const svc = (await w.carrier.store.carrier()).service;
    w.obs = await Observer.connect(w.carrier.broker.url, ['diemcau/v1/+/state', 'diemcau/v1/+/reply/#'], { username: svc.username, password: svc.password });
    const all = await w.carrier.store.halls();
    const ids = (['north', 'central'] as const).flatMap((r) => Object.keys(all).sort().filter((id) => all[id].groups.includes(`r-${r}`)).slice(0, o.perRegion));
    for (const id of ids) w.region[id] = all[id].groups.includes('r-north') ? 'north' : 'central';

    const publishProgramme = async () => {
      const programme = createMediaPath(mediaConfig({ receiveProgramme: false, width: 320, height: 180, fps: 15, maxBitrateKbps: 300 }), memoryLogger('programme').log);
      w.controllers.push(programme);
      await programme.start();
      await programme.join({ bridge: w.lan.urls[ORIGIN], room: ROOM, display: 'centre' });
    };
    const startHalls = async () => {
      w.halls = await startMediaHalls(w.carrier, ids);
      await Promise.all(ids.map((id) => w.state(id, (s) => s.network?.connected && s.media, 'registered, its media path up', 0)));
    };
    const startConsole = async () => {
      const dir = await mkdtemp(join(w.carrier.dir, 'central-'));
      const configPath = await writeCentralConfig(dir, {
        carriers: [{ name: 'carrier', url: w.carrier.broker.url, username: svc.username, password: svc.password }],
        bridge: { janus: w.lan.urls[ORIGIN], edges: [{ api: w.lan.urls[EDGE.north] }, { api: w.lan.urls[EDGE.central] }], originUplinks: o.originUplinks ?? 'all' },
      });
      await addOperator(configPath, 'nat', 'national', 'correct horse battery');
      w.central = await startCentral(configPath);
      w.nat = await ConsoleClient.login(w.central.url, 'nat', 'correct horse battery');
    };
    await Promise.all([publishProgramme(), startHalls(), startConsole()]);
    await waitFor(`the console sees the ${ids.length} halls online`, async () => ((await w.nat.get('/api/halls?limit=10')).body.halls as Array<{ state: string }>).filter((h) => h.state === 'online').length, {
      until: (n) => n === ids.length,
      timeoutMs: 20_000,
    });
    const m = await w.nat.post('/api/meetings', { title: 'Hội nghị toàn quốc', bridge: w.lan.urls[ORIGIN], room: ROOM });
    if (m.status !== 200 && m.status !== 201) throw new Error(`POST /api/meetings: HTTP ${m.status} ${JSON.stringify(m.body)}`);
    w.meeting = m.body.id;
    return w;
  } catch (err) {
    await w.close();
    throw err;
  }
}
