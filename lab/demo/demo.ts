// The demo (`npm run demo`): a real Mosquitto on a free loopback port, N agents in simulation mode as separate processes, a
// live table of what an operator would see, and the central console (lab/demo/console.ts) whose page shows the same
// halls and runs the meeting. Ctrl-C (or --duration) stops everything and leaves no process behind.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBroker, type Broker } from '../mosquitto.js';
import { demoHallConfig, startHall, stopHall, type DemoHall } from '../halls.js';
import { FleetWatch, renderTable } from './watch.js';
import { demoFooter } from './footer.js';
import { startDemoBridge, type DemoBridge } from '../bridge.js';
import { stopChild } from '../../core/stop-child.js';
import { emptyNode, rssMb } from '../rss.js';
import { startDemoConsole, type DemoConsole } from './console.js';

export interface DemoOptions {
  halls: number;
  durationS?: number;
  media: boolean;
  /** The console's port (default: 8080 when free, else any free one). */
  consolePort?: number;
  /** Seconds between tables (default 1 on a terminal, 5 otherwise); tests that read the tables shorten it. */
  everyS?: number;
}

/** The yardstick for the agent's memory: an empty node process, measured in the same run. */
async function emptyNodeRss(): Promise<number | null> {
  const p = emptyNode();
  await new Promise((r) => setTimeout(r, 1500));
  const v = rssMb(p.pid!);
  await stopChild(p, 'SIGKILL', 0);
  return v;
}

export async function runDemo(o: DemoOptions): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'diemcau-demo-'));
  const tty = process.stdout.isTTY;
  let broker: Broker | null = null;
  let bridge: DemoBridge | null = null;
  let mediaNote = 'media off (--no-media)';
  const halls: DemoHall[] = [];
  let watch: FleetWatch | null = null;
  let central: DemoConsole | null = null;
  let joinNote = '';
  let timer: NodeJS.Timeout | null = null;
  let stopping: Promise<void> | null = null;

  const stop = () =>
    (stopping ??= (async () => {
      if (timer) clearInterval(timer);
      await Promise.all(halls.map((h) => stopHall(h)));
      await watch?.stop();
      await central?.stop();
      await bridge?.stop();
      await broker?.cleanup();
      await rm(dir, { recursive: true, force: true });
    })());
  process.on('SIGINT', () => void stop().then(() => process.exit(0)));
  process.on('SIGTERM', () => void stop().then(() => process.exit(0)));

  // The yardstick needs no other part: measured while the broker, the bridge and the console start.
  const baselineRss = emptyNodeRss().catch(() => null);
  try {
    // The broker and the bridge at once: neither needs the other (each is kept for stop() as soon as it is up).
    const brokerUp = startBroker().then((b) => (broker = b));
    const bridgeUp = o.media ? startDemoBridge() : null;
    const [up, b] = await Promise.all([brokerUp, bridgeUp]);
    broker = up;
    if (b && 'reason' in b) mediaNote = `media off: ${b.reason}`;
    else if (b) {
      bridge = b;
      mediaNote = `bridge: Janus ${b.url}, room ${b.room}`;
    }
    central = await startDemoConsole(dir, broker.url, bridge && { url: bridge.url, room: bridge.room }, { port: o.consolePort, group: 'demo' });
    // Each hall sends a stamped test pattern and a tone, 640x360 so that several fit on two cores.
    const media = bridge ? { enabled: true, simulate: true, width: 640, height: 360, fps: 30, maxBitrateKbps: 800 } : null;
    const baseline = await baselineRss;
    watch = new FleetWatch(broker.url);
    await watch.start();
    const t0 = Date.now();
    for (let i = 0; i < o.halls; i++) {
      halls.push(await startHall(dir, demoHallConfig(i, broker.url, { devices: true, media })));
    }
    const names = new Map(halls.map((h) => [h.id, h.name]));
    let allOnlineAt: number | null = null;
    let joined = false;
    const draw = () => {
      const views = halls.map((h) => watch!.halls.get(h.id) ?? { id: h.id, online: null, onlineAt: null, state: null, telemetryAt: null, rssMb: null });
      if (allOnlineAt === null && views.every((v) => v.online)) allOnlineAt = Math.max(...views.map((v) => v.onlineAt!));
      if (allOnlineAt !== null && bridge && !joined) {
        // What the operator does when the meeting starts, here through the console: one command to the group (no
        // response topic: each hall answers on diemcau/v1/<box>/reply/join), every hall joins.
        joined = true;
        void central!.joinAll(o.halls).catch((err) => (joinNote = `   join failed: ${(err as Error).message}`));
      }
      const rss = views.map((v) => v.rssMb).filter((x): x is number => x !== null);
      const header = [
        `diemcau demo — broker ${broker!.url} — ${o.halls} simulated hall(s) — ${new Date().toLocaleTimeString()}`,
        `all online: ${allOnlineAt ? `yes, ${((allOnlineAt - t0) / 1000).toFixed(1)} s after start` : 'not yet'}` +
          (baseline && rss.length
            ? `   agent RSS max ${Math.max(...rss).toFixed(1)} MB = ${(Math.max(...rss) / baseline).toFixed(2)}x an empty node (${baseline.toFixed(1)} MB)`
            : ''),
        mediaNote,
        `console: ${central!.url}   login: ${central!.username} / ${central!.password}` +
          (central!.meeting === null ? '   (no meeting: the halls have no media)' : `   meeting ${central!.meeting}: the demo halls joined from it${joinNote}`),
        ...(central!.meeting === null
          ? []
          : [
              `         a hall asks for the floor (grant it in the console's queue): mosquitto_pub -V mqttv5 -p ${broker!.port} -t diemcau/v1/${halls[0].id}/cmd/panel.sim-press -m '{"button":"talk","ms":100}' -D publish message-expiry-interval 30`,
            ]),
        '',
      ];
      const footer = [
        '',
        ...demoFooter(broker!.port, halls[0].id, 'demo'),
        tty ? 'Ctrl-C stops everything.' : '',
      ];
      const text = [...header, renderTable(views, names), ...footer].join('\n');
      process.stdout.write(tty ? `\x1b[2J\x1b[H${text}\n` : `${text}\n\n`);
    };
    timer = setInterval(draw, (o.everyS ?? (tty ? 1 : 5)) * 1000);
    draw();
    if (o.durationS !== undefined) {
      await new Promise((r) => setTimeout(r, o.durationS! * 1000));
      draw();
      await stop();
    } else {
      await new Promise(() => {}); // until Ctrl-C
    }
  } catch (err) {
    await stop();
    throw err;
  }
}
