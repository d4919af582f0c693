// One process of the fleet bench (and of the console bench): runs many clients against the bench's broker and reports
// to the controller over IPC. A client is either a hall (the agent's own Agent class: its MQTT link, state and command
// code, and with `panel` a simulated button panel through the agent's own panel device) or, for the comparison, a
// plain mqtt.js client with the library's defaults (mqtt.connect, a fixed 1 s reconnectPeriod). For the console bench
// a hall also stands in for its media path: `media` sets what a media path would report in the hall's state
// (joined, seen, heard or not), which the agent publishes as it would a real report.
import { readFileSync } from 'node:fs';
import mqtt from 'mqtt';
import { Agent } from '../agent/agent.js';
import { parseConfig } from '../agent/config/load.js';
import { createDevice } from '../agent/devices/compose.js';
import { silentLogger } from '../core/log.js';

export type ProvisionedHall = { id: string; groups: string[]; username: string; password: string; brokers: string[] };

export interface Start {
  type: 'start';
  kind: 'agent' | 'mqttjs';
  /** Box ids are `vn-<prefix><n>`: each phase of the bench has its own. */
  prefix: string;
  from: number;
  count: number;
  broker: string;
  /** The carrier CA file, for an mqtts broker. */
  ca?: string;
  /** The agents' `mqtt.reconnect` (the mqtt.js clients keep the library's own). */
  reconnect: Record<string, number>;
  ratePerS: number;
  /** Clients of this process still connecting past which the next waits (a fleet switched on faster than the
   *  machine takes handshakes measures its queue, and collapses into timeouts before the restart is measured). */
  maxConnecting: number;
  /** Halls as provisioned (the cluster bench): their own ids, groups, logins and broker lists. */
  halls?: ProvisionedHall[];
  /** A simulated panel (talk and mute buttons, tally and status LEDs) on every hall: `panel.sim-press` presses talk. */
  panel?: boolean;
  /** Each hall in its own commune group too (`c-<n>`), as real halls are. */
  communes?: boolean;
}

/** What a media path in a meeting reports, heard at the centre or only seen. */
function mediaReport(heard: boolean) {
  return { status: 'joined' as const, room: 1234, seen: true, heard, muted: false, audioOnly: false, stats: { bitrateKbps: 900, fps: 30, lossPct: 0, rttMs: 12 } };
}

/** What the controller reads of a client. */
interface Member {
  readonly connected: boolean;
  /** Connect attempts that timed out. */
  readonly timeouts: number;
  stop(): Promise<void>;
  /** The hall's agent (not for an mqtt.js client). */
  readonly agent?: Agent;
}

const members: Member[] = [];
/** The hall number of members[0]. */
let first = 0;
/** Clients that have connected at least once. */
let registered = 0;
let watching = false;
let reconnects: number[] = [];
/** ms from opening the socket to CONNACK, of each return watched. */
let connectMs: number[] = [];
/** When a hall of this process received a ping command (ms since the epoch), since it was last asked. */
let pingsSeen: number[] = [];
/** CPU time of this process since the watch began (µs). */
let cpuFrom = process.cpuUsage();

const send = (msg: unknown) => process.send?.(msg);

function firstConnect(seen: { done: boolean }): void {
  if (seen.done) return;
  seen.done = true;
  registered++;
}

function returned(ms: number | null): void {
  if (!watching) return;
  reconnects.push(Date.now());
  if (ms !== null) connectMs.push(ms);
}

async function startAgent(m: Start, n: number): Promise<Member> {
  const h = m.halls?.[n - m.from];
  const id = h?.id ?? `vn-${m.prefix}${String(n).padStart(5, '0')}`;
  const config = parseConfig(
    {
      box: { id },
      hall: { name: `Bench hall ${n}`, groups: h?.groups ?? ['bench', `p-${String(n % 34).padStart(2, '0')}`, ...(m.communes ? [`c-${String(n).padStart(5, '0')}`] : [])] },
      mqtt: {
        ...(h ? { brokers: h.brokers, username: h.username, password: h.password } : { brokers: [m.broker] }),
        ...(m.ca ? { tls: { ca: m.ca } } : {}),
        keepaliveS: 120,
        willDelayS: 30,
        sessionExpiryS: 120,
        stateThrottleMs: 1000,
        reconnect: m.reconnect,
      },
      telemetry: { intervalS: 600 },
      ...(m.panel ? { devices: { panel: { simulate: true, talkButton: 17, muteButton: 27, tallyLed: 22, statusLed: 23 } } } : {}),
    },
    `bench agent ${n}`,
  );
  const a = new Agent({ config, configPath: null, log: silentLogger, version: 'bench', ...(m.panel ? { deviceFactory: createDevice } : {}) });
  const seen = { done: false };
  a.link.on('message', (topic: string) => topic.endsWith('/cmd/ping') && pingsSeen.push(Date.now()));
  a.link.on('connected', () => {
    firstConnect(seen);
    returned(a.link.status().lastConnectMs);
  });
  await a.start();
  return {
    get connected() {
      return a.link.connected;
    },
    get timeouts() {
      return a.link.status().connectTimeouts;
    },
    stop: () => a.stop(),
    agent: a,
  };
}

function startMqttjs(m: Start, n: number, ca: Buffer | undefined): Member {
  let timeouts = 0;
  let openedAt = performance.now();
  const c = mqtt.connect(m.broker, { clientId: `mqttjs-${m.prefix}${n}`, reconnectPeriod: 1000, ...(ca ? { ca } : {}) });
  c.on('reconnect', () => (openedAt = performance.now()));
  const seen = { done: false };
  c.on('connect', () => {
    firstConnect(seen);
    returned(Math.round(performance.now() - openedAt));
  });
  c.on('error', (err) => {
    if (err.message === 'connack timeout') timeouts++;
  });
  return {
    get connected() {
      return c.connected;
    },
    get timeouts() {
      return timeouts;
    },
    stop: () => c.endAsync(true),
  };
}

async function start(m: Start): Promise<void> {
  const gap = 1000 / m.ratePerS;
  const ca = m.ca ? readFileSync(m.ca) : undefined;
  const t0 = Date.now();
  first = m.from;
  for (let i = 0; i < m.count; i++) {
    const n = m.from + i;
    members.push(m.kind === 'agent' ? await startAgent(m, n) : startMqttjs(m, n, ca));
    const wait = t0 + (i + 1) * gap - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    while (members.length - registered > m.maxConnecting) await new Promise((r) => setTimeout(r, 5));
  }
  send({ type: 'started', count: members.length });
}

const connectedCount = () => members.filter((c) => c.connected).length;

process.on('message', (m: { type: string } & Record<string, unknown>) => {
  if (m.type === 'start') void start(m as unknown as Start);
  else if (m.type === 'media') {
    // [hall number, heard] pairs, or every hall of this process when `all` is given.
    const set = m.all === undefined ? (m.set as Array<[number, boolean]>) : members.map((_, i) => [first + i, m.all as boolean] as [number, boolean]);
    for (const [n, heard] of set) members[n - first]?.agent?.state.set('media', mediaReport(heard));
    send({ type: 'media-set', count: set.length });
  }
  else if (m.type === 'pings') {
    send({ type: 'pings', at: pingsSeen });
    pingsSeen = [];
  } else if (m.type === 'where') send({ type: 'where', at: members.map((c) => (c.agent?.link.connected ? c.agent.link.status().broker : null)) });
  else if (m.type === 'rss') send({ type: 'rss', rss: process.memoryUsage.rss(), connected: connectedCount() });
  else if (m.type === 'watch-reconnects') {
    reconnects = [];
    connectMs = [];
    cpuFrom = process.cpuUsage();
    watching = true;
    send({ type: 'watching' });
  } else if (m.type === 'reconnects') {
    const timeouts = members.reduce((s, c) => s + c.timeouts, 0);
    const cpu = process.cpuUsage(cpuFrom);
    send({ type: 'reconnects', times: reconnects, connectMs, connected: connectedCount(), timeouts, cpuMs: (cpu.user + cpu.system) / 1000 });
  } else if (m.type === 'stop') {
    void Promise.allSettled(members.map((c) => c.stop())).then(() => process.exit(0));
  }
});
send({ type: 'ready' });
