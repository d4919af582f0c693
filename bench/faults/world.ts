// The meeting every fault of `npm run bench -- faults` runs in: a real Mosquitto that keeps its retained messages and
// sessions across a restart (as a carrier's broker does), a TCP relay in front of it that the bench can cut, Janus
// in its own network namespace, and an operator's MQTT client. One world for the run, a fresh hall for each fault:
// a real `diemcau run` process with a simulated camera behind a real socat pty and its media worker in the meeting.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBroker, type Broker } from '../../lab/mosquitto.js';
import { startTcpProxy, type TcpProxy } from '../../lab/tcp-proxy.js';
import { startLocalJanus } from '../../lab/janus.js';
import { Observer } from '../../lab/observer.js';
import { startAgent, writeConfig, type AgentProcess } from '../../lab/agent-process.js';

export type LocalJanus = Awaited<ReturnType<typeof startLocalJanus>>;

export interface World {
  broker: Broker;
  proxy: TcpProxy;
  janus: LocalJanus;
  obs: Observer;
  dir: string;
  close(): Promise<void>;
}

export async function startWorld(): Promise<World> {
  const dir = await mkdtemp(join(tmpdir(), 'diemcau-faults-'));
  const broker = await startBroker({ extraConfig: ['persistence true', `persistence_location ${dir}/`, 'autosave_interval 1'] });
  const proxy = await startTcpProxy(broker.port);
  const janus = await startLocalJanus();
  // The operator talks to the broker directly: only the hall's own link goes through the relay.
  const obs = await Observer.connect(broker.url, ['diemcau/#']);
  return {
    broker,
    proxy,
    janus,
    obs,
    dir,
    async close() {
      await obs.close().catch(() => {});
      await janus.stop().catch(() => {});
      await proxy.stop();
      await broker.cleanup();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export interface HallSpec {
  id: string;
  /** The broker as the hall names it (default: the relay). */
  brokerUrl?: string;
  /** Where config.json lives (default: a fresh folder of the world's). */
  configDir?: string;
  env?: NodeJS.ProcessEnv;
  /** Runs the agent under this (a mount namespace for its own /etc/hosts). */
  prefix?: string[];
}

export interface Hall {
  id: string;
  configPath: string;
  agent: AgentProcess;
  /** Every agent process this hall had, first to last (a crash fault starts another). */
  agents: AgentProcess[];
  topic(leaf: string): string;
  /** Starts the agent again, as systemd's Restart= does, with the hall's own environment or `env`. */
  restart(env?: NodeJS.ProcessEnv): AgentProcess;
  stop(): Promise<void>;
}

const hallConfig = (id: string, brokerUrl: string) => ({
  box: { id },
  hall: { name: 'Hội trường thử lỗi', groups: [] },
  mqtt: { brokers: [brokerUrl], stateThrottleMs: 250 },
  telemetry: { intervalS: 10 },
  devices: { camera: { simulate: true } },
  // Small video: two shared cores run the bench beside other work; what is measured is the path, not its quality.
  media: { enabled: true, simulate: true, width: 320, height: 180, fps: 15, maxBitrateKbps: 300 },
});

/** A hall online, with its camera up and its media joined to the world's meeting. */
export async function startHall(world: World, spec: HallSpec): Promise<Hall> {
  const dir = spec.configDir ?? (await mkdtemp(join(world.dir, `${spec.id}-`)));
  const configPath = await writeConfig(hallConfig(spec.id, spec.brokerUrl ?? world.proxy.url), dir);
  const topic = (leaf: string) => `diemcau/v1/${spec.id}/${leaf}`;
  const launch = (env = spec.env ?? {}) => startAgent(configPath, [], env, spec.prefix ?? []);
  const hall: Hall = {
    id: spec.id,
    configPath,
    agent: launch(),
    agents: [],
    topic,
    restart(env) {
      hall.agent = launch(env);
      hall.agents.push(hall.agent);
      return hall.agent;
    },
    async stop() {
      await hall.agent.stop();
      await world.obs.publish(topic('config/desired'), '', { retain: true }); // the carrier's retained push, cleared
    },
  };
  hall.agents.push(hall.agent);
  try {
    const since = Date.now() - 1000;
    await world.obs.wait((m) => m.topic === topic('presence') && m.json?.state === 'online', `${spec.id} online`, 30_000, since);
    const joined = await world.obs.request(topic('cmd/join'), { bridge: world.janus.url, room: world.janus.rooms[0], display: spec.id }, { timeoutMs: 30_000 });
    if (!joined?.ok) throw new Error(`${spec.id}: join: ${JSON.stringify(joined?.error)}`);
    await world.obs.wait(
      (m) => m.topic === topic('state') && m.json?.media?.status === 'joined' && m.json?.devices?.camera?.health?.status === 'ok',
      `${spec.id} joined with its camera up`,
      30_000,
      since,
    );
  } catch (err) {
    await hall.stop().catch(() => {});
    throw new Error(`${(err as Error).message}\nagent stderr: ${hall.agent.stderr.slice(-500)}`);
  }
  return hall;
}
