// Several bridges and real halls, as a region's meeting runs: Janus instances, each in a namespace of its own on one
// LAN (netns.ts createLan: Janus gathers no ICE candidates on loopback alone; the host is .1 on the same LAN), and
// halls as `diemcau run` processes on the host with the carrier's logins, their media simulated, their bridge set
// by `diemcau-provision push` as a carrier sets a region's bridge.
import { mkdtemp, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createLan, type Lan } from '../netns.js';
import { startJanus, type JanusOptions, type JanusServer } from '../janus.js';
import { startAgent, writeConfig, type AgentProcess } from '../agent-process.js';
import { provisionCli } from '../provision-cli.js';
import type { Carrier } from '../provision-fixture.js';
import { stopChild } from '../../core/stop-child.js';

export interface BridgeLan {
  lan: Lan;
  janus: JanusServer[];
  /** Each Janus's API as the host and the other bridges reach it. */
  urls: string[];
  /** kill -9 of bridge i (its namespace stays: requests to it are refused at once, as a host whose Janus died). */
  kill(i: number): Promise<void>;
  close(): Promise<void>;
}

export async function startBridgeLan(count: number, opts: JanusOptions = {}): Promise<BridgeLan> {
  const lan = await createLan(count);
  // Started together: each waits for its own HTTP answer, and one at a time the waits add up.
  const started = await Promise.allSettled(lan.members.map((m) => startJanus(m.ns, opts)));
  const janus = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) {
    for (const j of janus) await j.stop();
    await lan.close();
    throw failed.reason;
  }
  return {
    lan,
    janus,
    urls: janus.map((j, i) => j.urlFor(lan.members[i].ip)),
    async kill(i) {
      await stopChild(janus[i].proc, 'SIGKILL', 3000);
    },
    async close() {
      for (const j of janus) await j.stop();
      await lan.close();
    },
  };
}

/** A hall's media as a lab meeting runs it: simulated, small, so that several halls and three bridges share 2 cores. */
export const LAB_HALL_MEDIA = { enabled: true, simulate: true, width: 320, height: 180, fps: 15, maxBitrateKbps: 300 };

export interface MediaHall {
  id: string;
  proc: AgentProcess;
}

/** These halls of the carrier as `diemcau run` processes with media (no bridge yet: a push gives it). */
export async function startMediaHalls(carrier: Carrier, boxIds: string[]): Promise<MediaHall[]> {
  const halls = await carrier.store.halls();
  const ids = await carrier.store.identities();
  const out: MediaHall[] = [];
  for (const id of boxIds) {
    const dir = await mkdtemp(join(carrier.dir, `box-${id}-`));
    const config = {
      box: { id },
      hall: { name: id, groups: halls[id].groups },
      mqtt: { brokers: [carrier.broker.url], username: id, password: ids[id].password, stateThrottleMs: 200 },
      media: LAB_HALL_MEDIA,
    };
    out.push({ id, proc: startAgent(await writeConfig(config, dir)) });
  }
  return out;
}

/** `diemcau-provision push TARGET` of a media section with this bridge; resolves with the CLI's JSON answer. */
export async function pushBridge(carrier: Carrier, target: string, bridge: string, media: object = LAB_HALL_MEDIA): Promise<Record<string, any>> {
  const file = join(await mkdtemp(join(carrier.dir, 'push-')), 'media.json');
  await writeFile(file, JSON.stringify({ media: { ...media, bridge } }));
  const r = await provisionCli(['push', target, file, '--db', carrier.store.dir, '--url', carrier.broker.url, '--json', '--wait', '30']);
  if (r.code !== 0) throw new Error(`diemcau-provision push ${target} exited ${r.code}: ${r.err.trim()}`);
  return JSON.parse(r.out);
}

export interface ProgrammeCheck {
  frames: number;
  outOfOrder: number;
  repeats: number;
  missing: number;
  unreadable: number;
  lastCounter: number | null;
  audioLoudSamples: number;
  /** Capture (at the programme's publisher) to decode (at the hall), from the stamps; same machine, same clock. */
  latencyP50Ms: number | null;
  latencyP95Ms: number | null;
}

/** The last programme check a simulated hall logged (agent/media/controller.ts), or null before the first. */
export function lastProgrammeCheck(hall: MediaHall): ProgrammeCheck | null {
  const l = [...hall.proc.lines].reverse().find((x) => x.msg === 'media: programme check');
  return l ? (l as unknown as ProgrammeCheck) : null;
}
