// `npm run bench -- cluster --agents N --json FILE`: N provisioned halls (the agent's own code, many per process, as
// in the fleet bench) on a three-node ejabberd cluster in network namespaces, then the same run on one Mosquitto
// beside it. Each run: time to all online; a group command to every hall (p99); one broker node killed (kill -9):
// time until every hall is connected to a live node, and until every hall that moved says `online` again (its
// subscriptions in place), the peak of those per second, the halls that answer a group command afterwards, and the
// retained desired configs lost. The single Mosquitto "node" is the broker itself, restarted at once by its
// supervisor after the kill.
import { spawnSync, type ChildProcess } from 'node:child_process';
import mqtt, { type MqttClient } from 'mqtt';
import { flags, percentile, printTable, round, writeJson } from './report.js';
import { NOFILE, forkWorkers, rpc, stopWorkers } from './fleet-procs.js';
import { cpuSeconds } from './cpu-share.js';
import type { ProvisionedHall, Start } from './fleet-worker.js';
import { carrierWithCluster } from '../lab/cluster-fixture.js';
import { startBroker } from '../lab/mosquitto.js';
import { carrierTlsListener } from '../lab/tls-listener.js';
import { clusterPicture } from '../lab/retained-picture.js';
import { nodeOrder } from '../provisioning/push.js';
import type { Credential } from '../provisioning/store.js';
import type { Hall } from '../provisioning/halls.js';
import { massWindowMs } from '../agent/mqtt/backoff.js';
import { parseConfig } from '../agent/config/load.js';

const REGIONS = ['r-north', 'r-central', 'r-south'];

/** The cluster's Erlang VMs: the bench's nodes are the only ones on the machine while it runs. */
function beamPids(): number[] {
  const out = spawnSync('pgrep', ['-x', 'beam.smp'], { encoding: 'utf8' }).stdout;
  return out.split('\n').filter(Boolean).map(Number);
}

/** The mass window (ms) of a reconnect section, as the agents read it; a bad flag fails here, before any setup. */
const windowOf = (reconnect: Record<string, number>) => massWindowMs(parseConfig({ box: { id: 'vn-bench' }, mqtt: { reconnect } }, '--broker-rate/--spread').mqtt.reconnect);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Target {
  name: string;
  nodes: number;
  /** Where the bench's own service client connects (a node that is not killed). */
  serviceUrl: string;
  brokersFor(boxId: string): string[];
  /** The halls' `mqtt.reconnect`, as the carrier pushes it for this setup. */
  reconnect: Record<string, number>;
  /** The carrier CA file, when the halls speak mqtts:// (the bench's service client stays on plain TCP). */
  ca?: string;
  /** Kills one node; resolves with the URLs that stay up: the halls' and the service's. */
  kill(): Promise<{ halls: string[]; service: string[] }>;
  /** After the measurements: the killed node back (cluster: it rejoins). */
  revive(): Promise<void>;
  /** The broker's processes now (the nodes' Erlang VMs, or Mosquitto), for their CPU time. */
  brokerPids(): number[];
}

/** CPU time (ms) the processes have used so far. */
async function cpuMsOf(pids: number[]): Promise<number> {
  return (await Promise.all(pids.map(cpuSeconds))).reduce((a, b) => a + b, 0) * 1000;
}

interface RunResult {
  agents: number;
  nodes: number;
  all_online_s: number;
  /** Every hall's desired config published retained at QoS 1 through the service's node, until the last PUBACK. */
  config_push_s: number;
  group_cmd_p99_ms: number;
  /** The same command's p99 as the halls received it (their processes' clocks are this machine's): the rest of
   *  the round trip is the replies' way back to the one reader. */
  group_cmd_delivered_p99_ms: number;
  group_cmd_delivered_p50_ms: number;
  /** The broker's CPU over the command and its replies, per hall (ms): 1 delivery and 1 reply routed each. */
  group_cmd_broker_cpu_ms_per_hall: number;
  answered: number;
  /** Until every hall is connected to a live node (its CONNACK). */
  node_kill_all_back_s: number;
  /** Until every hall that moved has said `online` again: its subscriptions are in place, commands reach it. */
  node_kill_all_online_s: number;
  node_kill_peak_per_s: number;
  /** The live brokers' CPU from the kill until every moved hall is online again, per moved hall (ms): its login,
   *  session and subscriptions (and its TLS handshake with --tls). On one Mosquitto, from its restart's listen. */
  node_kill_broker_cpu_ms_per_hall: number;
  /** Returns in each second after the kill, from second 0: the shape behind the peak. */
  node_kill_returns_per_s: number[];
  answered_after_kill: number;
  retained_lost: number;
  /** The mass window the halls drew their first retry over (s). */
  reconnect_window_s: number;
}

async function run(target: Target, halls: Record<string, Hall>, service: Credential, o: { procs: number; ratePerS: number }): Promise<RunResult> {
  const ids = Object.keys(halls).sort();
  const N = ids.length;
  const windowMs = windowOf(target.reconnect);
  const workers: ChildProcess[] = [];
  const monitor: MqttClient = await mqtt.connectAsync(target.serviceUrl, {
    protocolVersion: 5,
    clientId: `bench-monitor-${target.name}`,
    username: service.username,
    password: service.password,
    reconnectPeriod: 100,
    properties: { receiveMaximum: 65535 },
  });
  try {
    const online = new Map<string, number>();
    let replies: number[] = [];
    /** Halls that said `online` since it was last emptied (the kill), and when. */
    const onlineAgain = new Map<string, number>();
    let cmdAt = 0;
    monitor.on('message', (topic, payload) => {
      if (topic.endsWith('/reply/ping')) return void replies.push(Date.now() - cmdAt);
      if (payload.toString().includes('"online"')) {
        if (!online.has(topic.split('/')[2])) online.set(topic.split('/')[2], Date.now());
        if (!onlineAgain.has(topic.split('/')[2])) onlineAgain.set(topic.split('/')[2], Date.now());
      }
    });
    await monitor.subscribeAsync(['diemcau/v1/+/presence', 'diemcau/v1/+/reply/ping'], { qos: 0 });
    /** A ping to every region's group: the round trips (sorted), and when the halls received it (sorted). */
    const groupCommand = async (): Promise<{ replies: number[]; delivered: number[]; brokerCpuMs: number }> => {
      replies = [];
      await Promise.all(workers.map((w) => rpc(w, { type: 'pings' }, 'pings')));
      const pids = target.brokerPids();
      const cpu0 = await cpuMsOf(pids);
      cmdAt = Date.now();
      for (const g of REGIONS) monitor.publish(`diemcau/v1/group/${g}/cmd/ping`, '{}', { qos: 1, properties: { messageExpiryInterval: 60 } });
      for (const end = Date.now() + 30_000; replies.length < N && Date.now() < end; ) await sleep(50);
      const brokerCpuMs = (await cpuMsOf(pids)) - cpu0;
      const seen = (await Promise.all(workers.map((w) => rpc(w, { type: 'pings' }, 'pings')))).flatMap((m) => m.at as number[]);
      return { replies: [...replies].sort((a, b) => a - b), delivered: seen.map((t) => t - cmdAt).sort((a, b) => a - b), brokerCpuMs };
    };

    const per = Math.ceil(N / o.procs);
    workers.push(...(await forkWorkers(o.procs)));
    const t0 = Date.now();
    workers.forEach((w, p) => {
      const mine = ids.slice(p * per, (p + 1) * per).map((id): ProvisionedHall => ({ id, groups: halls[id].groups, username: id, password: '', brokers: target.brokersFor(id) }));
      const start: Start = {
        type: 'start',
        kind: 'agent',
        prefix: 'c',
        from: p * per,
        count: mine.length,
        broker: '',
        reconnect: target.reconnect,
        ca: target.ca,
        ratePerS: o.ratePerS / o.procs,
        maxConnecting: Math.ceil(400 / o.procs),
        halls: mine.map((h) => ({ ...h, password: passwords.get(h.id)! })),
      };
      w.send(start);
    });
    for (const end = t0 + 240_000; online.size < N && Date.now() < end; ) await sleep(200);
    const allOnlineS = online.size >= N ? (Math.max(...online.values()) - t0) / 1000 : NaN;
    console.log(`${target.name}: online ${online.size}/${N} in ${allOnlineS.toFixed(1)} s`);
    await sleep(3000);

    // Every hall's desired config, retained, through the service's node (as `push` does), each acknowledged before
    // the group command: a command sent behind the push waits for it in the same session (runs G-I: a command 3 s
    // after the push was received by the halls 15.6-17.5 s late at p50 on the cluster).
    const pushAt = Date.now();
    await Promise.all(ids.map((id) => monitor.publishAsync(`diemcau/v1/${id}/config/desired`, JSON.stringify({ version: 1, telemetry: { intervalS: 600 } }), { qos: 1, retain: true })));
    const pushS = (Date.now() - pushAt) / 1000;
    console.log(`${target.name}: ${N} retained desired configs acknowledged in ${pushS.toFixed(1)} s`);
    await sleep(1000);
    const lat = await groupCommand();
    console.log(`${target.name}: group command answered by ${lat.replies.length}/${N}`);

    await Promise.all(workers.map((w) => rpc(w, { type: 'watch-reconnects' }, 'watching')));
    const before = (await Promise.all(workers.map((w) => rpc(w, { type: 'where' }, 'where')))).flatMap((m) => m.at as Array<string | null>);
    onlineAgain.clear();
    const killAt = Date.now();
    const live = await target.kill();
    // The live brokers' CPU from here until every moved hall is online again: what a node lost costs the others.
    const returnPids = target.brokerPids();
    const returnCpu0 = await cpuMsOf(returnPids);
    // Back: connected to a live node (its CONNACK), polled. A hall says `online` only once its SUBSCRIBE is
    // answered too (broker-link.ts), and its 'connected' event, whose times give the returns per second, comes then.
    let back = 0;
    for (const end = killAt + windowMs + 120_000; Date.now() < end; ) {
      await sleep(250);
      const where = (await Promise.all(workers.map((w) => rpc(w, { type: 'where' }, 'where')))).flatMap((m) => m.at as Array<string | null>);
      back = where.filter((b) => b !== null && live.halls.includes(b)).length;
      if (back >= N) break;
    }
    const backS = back >= N ? (Date.now() - killAt) / 1000 : NaN;
    console.log(`${target.name}: ${back}/${N} connected to a live node ${backS.toFixed(1)} s after the kill`);
    // The group command goes when every hall that had to move says `online` again: what the console goes by (a box
    // says it once its subscriptions are in place).
    const live0 = new Set(live.halls);
    // On one broker every hall dropped; on the cluster, those on the killed node.
    const moved = target.nodes === 1 ? ids : ids.filter((id, i) => before[i] !== null && !live0.has(before[i]!));
    for (const end = Date.now() + 60_000; moved.some((id) => !onlineAgain.has(id)) && Date.now() < end; ) await sleep(200);
    const movedOnline = moved.filter((id) => onlineAgain.has(id));
    const onlineS = movedOnline.length === moved.length ? (Math.max(killAt, ...movedOnline.map((id) => onlineAgain.get(id)!)) - killAt) / 1000 : NaN;
    const returnCpuMs = (await cpuMsOf(returnPids)) - returnCpu0;
    const times = (await Promise.all(workers.map((w) => rpc(w, { type: 'reconnects' }, 'reconnects')))).flatMap((m) => m.times as number[]);
    const perSecond = new Map<number, number>();
    for (const t of times) perSecond.set(Math.floor((t - killAt) / 1000), (perSecond.get(Math.floor((t - killAt) / 1000)) ?? 0) + 1);
    console.log(`${target.name}: ${movedOnline.length}/${moved.length} moved halls said online again ${onlineS.toFixed(1)} s after the kill (${times.length} registrations seen)`);
    await sleep(2000);
    const after = await groupCommand();
    const pic = await clusterPicture(live.service, service, ['config/desired']);
    const lost = ids.filter((id) => pic.desired.get(id) !== 1).length;
    await target.revive();
    return {
      agents: N,
      nodes: target.nodes,
      all_online_s: round(allOnlineS),
      config_push_s: round(pushS),
      group_cmd_p99_ms: round(percentile(lat.replies, 99)),
      group_cmd_delivered_p99_ms: round(percentile(lat.delivered, 99)),
      group_cmd_delivered_p50_ms: round(percentile(lat.delivered, 50)),
      group_cmd_broker_cpu_ms_per_hall: round(lat.brokerCpuMs / N, 3),
      answered: lat.replies.length,
      node_kill_all_back_s: round(backS),
      node_kill_all_online_s: round(onlineS),
      node_kill_peak_per_s: Math.max(0, ...perSecond.values()),
      node_kill_broker_cpu_ms_per_hall: round(returnCpuMs / Math.max(1, moved.length), 3),
      node_kill_returns_per_s: Array.from({ length: Math.max(0, ...perSecond.keys()) + 1 }, (_, s) => perSecond.get(s) ?? 0),
      answered_after_kill: after.replies.length,
      retained_lost: lost,
      reconnect_window_s: round(windowMs / 1000),
    };
  } finally {
    await stopWorkers(workers, 15000);
    await monitor.endAsync(true);
  }
}

const passwords = new Map<string, string>();

export async function main(argv: string[]): Promise<void> {
  const f = flags(argv);
  const N = Number(f.get('agents') ?? 10400);
  const procs = Number(f.get('procs') ?? 4);
  const ratePerS = Number(f.get('rate') ?? 1200);
  if (!(N > 0 && procs > 0)) throw new Error('cluster: --agents and --procs must be positive');
  const nofile = NOFILE;
  const opts = { procs, ratePerS };
  // The carrier's figures (docs/mqtt.md, "Sizing the window"): the boxes that drop together, which on a cluster is
  // one node's share (a node lost drops only its boxes) and on one broker the whole fleet; the broker's rate, the
  // schema's default unless --broker-rate; or --spread, a fixed window in place of both.
  const reconnectFor = (fleetSize: number): Record<string, number> => ({
    fleetSize,
    ...(f.has('broker-rate') ? { brokerConnectsPerS: Number(f.get('broker-rate')) } : {}),
    ...(f.has('spread') ? { massSpreadS: Number(f.get('spread')) } : {}),
  });
  windowOf(reconnectFor(N));
  // --tls: the halls speak mqtts:// with the carrier CA, to the nodes' TLS listener and to a Mosquitto TLS listener.
  const tls = f.has('tls');

  const setupAt = Date.now();
  const c = await carrierWithCluster(N, { nofile, tls });
  console.log(`cluster of 3 with ${N} accounts ready in ${((Date.now() - setupAt) / 1000).toFixed(1)} s`);
  let cluster: RunResult;
  let single: RunResult;
  const carrier = await c.store.carrier();
  const halls = await c.store.halls();
  for (const [id, i] of Object.entries(await c.store.identities())) passwords.set(id, i.password);
  try {
    const urls = c.cluster.urls;
    const hallUrls = tls ? c.cluster.tlsUrls : urls;
    cluster = await run(
      {
        name: 'ejabberd cluster',
        nodes: urls.length,
        serviceUrl: urls[2],
        brokersFor: (id) => nodeOrder(id, hallUrls),
        reconnect: reconnectFor(Math.ceil(N / urls.length)),
        ca: c.ca,
        kill: async () => {
          await c.cluster.stop(0, 'SIGKILL');
          return { halls: hallUrls.slice(1), service: urls.slice(1) };
        },
        revive: () => c.cluster.start(0),
        brokerPids: beamPids,
      },
      halls,
      carrier.service,
      opts,
    );
  } finally {
    await c.cluster.cleanup().catch(() => {}); // the nodes; the carrier's files stay for the Mosquitto run
  }
  // The same halls on one Mosquitto, with the same rendered password file and ACL.
  const listener = tls ? await carrierTlsListener() : null;
  const extraConfig = [`password_file ${c.store.path('passwd')}`, `acl_file ${c.store.path('acl')}`, 'set_tcp_nodelay true', ...(listener?.lines ?? [])];
  const m = await startBroker({ nofile, extraConfig, startTimeoutMs: 120_000 }).catch(async (err) => {
    await c.cleanup();
    await listener?.cleanup();
    throw err;
  });
  const hallUrl = listener?.url ?? m.url;
  try {
    single = await run(
      {
        name: 'single Mosquitto',
        nodes: 1,
        serviceUrl: m.url,
        brokersFor: () => [hallUrl],
        reconnect: reconnectFor(N),
        ca: listener?.ca,
        kill: async () => {
          await m.stop('SIGKILL');
          await m.start();
          return { halls: [hallUrl], service: [m.url] };
        },
        revive: async () => {},
        brokerPids: () => (m.proc?.pid ? [m.proc.pid] : []),
      },
      halls,
      carrier.service,
      opts,
    );
  } finally {
    await m.cleanup();
    await c.cleanup();
    await listener?.cleanup();
  }
  const result = { ...cluster, tls, mosquitto: single };
  const row = (metric: string, key: Exclude<keyof RunResult, 'node_kill_returns_per_s'>, floor: string) => ({ metric, cluster: cluster[key], mosquitto: single[key], floor });
  printTable(`cluster bench (${N} halls, ${tls ? 'mqtts' : 'mqtt'})`, [
    row('nodes', 'nodes', ''),
    row('all online (s)', 'all_online_s', ''),
    row('every desired config pushed (s)', 'config_push_s', ''),
    row('group command p99 (ms)', 'group_cmd_p99_ms', ''),
    row('group command received by the halls, p50 (ms)', 'group_cmd_delivered_p50_ms', ''),
    row('group command received by the halls, p99 (ms)', 'group_cmd_delivered_p99_ms', ''),
    row('group command: broker CPU per hall (ms)', 'group_cmd_broker_cpu_ms_per_hall', ''),
    row('answered', 'answered', `= ${N}`),
    row('node killed: all back on a live node (s)', 'node_kill_all_back_s', '≤ 60'),
    row('node killed: moved halls online again (s)', 'node_kill_all_online_s', ''),
    row('node killed: peak of halls online again per second', 'node_kill_peak_per_s', ''),
    row('node killed: broker CPU per moved hall (ms)', 'node_kill_broker_cpu_ms_per_hall', ''),
    row('answered after the kill', 'answered_after_kill', `= ${N}`),
    row('retained configs lost', 'retained_lost', '= 0'),
    row('mass window (s)', 'reconnect_window_s', ''),
  ]);
  await writeJson(f.get('json'), result);
}
