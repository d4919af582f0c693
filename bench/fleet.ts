// `npm run bench -- fleet --agents N --json FILE`: N agents (the agent's own MQTT link, state and command code,
// many per process) against one real Mosquitto, over plain TCP and over TLS (a carrier CA and broker certificate
// made by provisioning/ca.ts, the boxes given the CA file). Measures time to all online, a group command answered
// by all, the fleet's return after a broker restart (time, peak connects per second, connects that timed out), and
// memory per agent; beside them, in the same run, N plain mqtt.js clients with the library's defaults go through
// the same restart over TCP and TLS, for the ratio. Last, a standalone agent's RSS against an empty node process.
import type { ChildProcess } from 'node:child_process';
import { loadavg } from 'node:os';
import { readFileSync } from 'node:fs';
import mqtt, { type MqttClient } from 'mqtt';
import { NOFILE, forkWorkers, rpc, stopWorkers } from './fleet-procs.js';
import { startBroker, type Broker } from '../lab/mosquitto.js';
import { carrierTlsListener } from '../lab/tls-listener.js';
import { flags, percentile, printTable, round, writeJson } from './report.js';
import { AGENT_NODE_FLAGS } from '../agent/node-flags.js';
import { massWindowMs } from '../agent/mqtt/backoff.js';
import { parseConfig } from '../agent/config/load.js';
import { standalone } from './fleet-solo.js';
import { cpuSeconds } from './cpu-share.js';
import type { Start } from './fleet-worker.js';

/**
 * Clients switched on and not yet connected, at most, across the workers: boxes are switched on at the start rate
 * only as fast as the machine takes them. Only the start; the return after the restart is the agents' own.
 */
const MAX_CONNECTING = 400;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One fleet of the bench: N clients of one kind, on one broker URL, in P worker processes. */
interface FleetSpec {
  kind: Start['kind'];
  prefix: string;
  url: string;
  ca?: string;
  reconnect: Record<string, number>;
  ratePerS: number;
  /** The workers' CPU priority (`nice`), when the broker is to come first. */
  nice?: number;
}

async function startFleet(N: number, P: number, s: FleetSpec): Promise<ChildProcess[]> {
  const per = Math.ceil(N / P);
  const workers = await forkWorkers(Math.min(P, Math.ceil(N / per)), { nice: s.nice });
  workers.forEach((w, p) => {
    const start: Start = {
      type: 'start',
      ...s,
      from: p * per,
      count: Math.min(per, N - p * per),
      broker: s.url,
      ratePerS: s.ratePerS / workers.length,
      maxConnecting: Math.ceil(MAX_CONNECTING / workers.length),
    };
    w.send(start);
  });
  return workers;
}

async function poll(workers: ChildProcess[]) {
  const rs = await Promise.all(workers.map((w) => rpc(w, { type: 'reconnects' }, 'reconnects')));
  return {
    times: rs.flatMap((m) => m.times as number[]),
    connectMs: rs.flatMap((m) => m.connectMs as number[]),
    connected: rs.reduce((s, m) => s + (m.connected as number), 0),
    timeouts: rs.reduce((s, m) => s + (m.timeouts as number), 0),
    cpuMs: rs.reduce((s, m) => s + (m.cpuMs as number), 0),
  };
}

/** Seconds from `t0` until `count()` reaches N (NaN if it did not by `limitMs`). */
async function untilAll(N: number, t0: number, limitMs: number, count: () => Promise<{ n: number; last: number }>): Promise<number> {
  for (;;) {
    const c = await count();
    if (c.n >= N) return (c.last - t0) / 1000;
    if (Date.now() > t0 + limitMs) return NaN;
    await sleep(200);
  }
}

interface Return {
  allS: number;
  peakPerS: number;
  timeouts: number;
  connectP50Ms: number;
  connectP99Ms: number;
  /** CPU per return, ms: the clients' processes and the broker's (where a bench machine's time goes). */
  clientCpuMs: number;
  brokerCpuMs: number;
  /** Connections the machine dropped at a full accept queue during the return (any listener: the bench's). */
  listenOverflows: number;
}

/** CPU time (ms) a process has used. */
const cpuMsOf = async (pid: number | undefined): Promise<number> => (pid === undefined ? NaN : (await cpuSeconds(pid)) * 1000);

/**
 * The machine's count of connections dropped because a listening socket's accept queue was full (TcpExt
 * ListenOverflows in /proc/net/netstat): Mosquitto listens with a backlog of 100, and a SYN dropped there is sent
 * again only 1, 3, 7, 15 s later.
 */
function listenOverflows(): number {
  const lines = readFileSync('/proc/net/netstat', 'utf8').split('\n').filter((l) => l.startsWith('TcpExt:'));
  const names = lines[0].split(' ');
  return Number(lines[1].split(' ')[names.indexOf('ListenOverflows')]);
}

/** Restarts the broker under a connected fleet; measures until every client is back (or `limitMs` passed). */
async function restartAndWatch(broker: Broker, workers: ChildProcess[], N: number, limitMs: number): Promise<Return> {
  await Promise.all(workers.map((w) => rpc(w, { type: 'watch-reconnects' }, 'watching')));
  const restartAt = Date.now();
  const overflows0 = listenOverflows();
  await broker.restart(0);
  const brokerCpu0 = await cpuMsOf(broker.proc?.pid);
  let r = await poll(workers);
  while (r.connected < N && Date.now() < restartAt + limitMs) {
    await sleep(1000);
    r = await poll(workers);
  }
  const perSecond = new Map<number, number>();
  for (const t of r.times) perSecond.set(Math.floor((t - restartAt) / 1000), (perSecond.get(Math.floor((t - restartAt) / 1000)) ?? 0) + 1);
  const ms = [...r.connectMs].sort((a, b) => a - b);
  const brokerCpuMs = (await cpuMsOf(broker.proc?.pid)) - brokerCpu0;
  return {
    allS: r.connected >= N ? (Math.max(...r.times) - restartAt) / 1000 : NaN,
    peakPerS: Math.max(0, ...perSecond.values()),
    timeouts: r.timeouts,
    connectP50Ms: percentile(ms, 50),
    connectP99Ms: percentile(ms, 99),
    clientCpuMs: round(r.cpuMs / N),
    brokerCpuMs: round(brokerCpuMs / N),
    listenOverflows: listenOverflows() - overflows0,
  };
}

/** The presence the operator sees, per box. */
function watchPresence(monitor: MqttClient): Map<string, number> {
  const online = new Map<string, number>();
  monitor.on('message', (topic, payload) => {
    if (!topic.endsWith('/presence')) return;
    const box = topic.split('/')[2];
    if (payload.toString().includes('"online"')) {
      if (!online.has(box)) online.set(box, Date.now());
    } else online.delete(box);
  });
  return online;
}

/** Until the operator sees all N halls of `prefix` online. */
function hallsOnline(online: Map<string, number>, prefix: string) {
  return async () => {
    const ts = [...online].filter(([b]) => b.startsWith(`vn-${prefix}`)).map(([, t]) => t);
    return { n: ts.length, last: Math.max(0, ...ts) };
  };
}

/** Until the workers count all N clients connected (the mqtt.js clients publish no presence). */
function clientsConnected(workers: ChildProcess[]) {
  return async () => ({ n: (await poll(workers)).connected, last: Date.now() });
}

/** A group ping to the connected fleet: every hall answers on its own reply topic. Sorted latencies. */
async function groupPing(monitor: MqttClient, N: number): Promise<number[]> {
  const replies: number[] = [];
  const at = Date.now();
  const on = (topic: string) => topic.endsWith('/reply/ping') && replies.push(Date.now() - at);
  monitor.on('message', on);
  monitor.publish('diemcau/v1/group/bench/cmd/ping', '{}', { qos: 1, properties: { messageExpiryInterval: 60 } });
  const deadline = Date.now() + 30_000;
  while (replies.length < N && Date.now() < deadline) await sleep(50);
  monitor.off('message', on);
  return replies.sort((a, b) => a - b);
}

export async function main(argv: string[]): Promise<void> {
  const f = flags(argv);
  const N = Number(f.get('agents') ?? 10400);
  const P = Number(f.get('procs') ?? 4);
  const startRate = Number(f.get('rate') ?? 1200);
  const jsonPath = f.get('json');
  const skipMqttjs = f.has('no-mqttjs');
  // `--fleet-nice N`: the simulated boxes at a lower CPU priority than the broker, which on a carrier's network has a
  // machine of its own (here it shares two cores with the 10,400 boxes' handshakes).
  const nice = f.has('fleet-nice') ? Number(f.get('fleet-nice')) : undefined;
  if (!(N > 0 && P > 0 && startRate > 0)) throw new Error('fleet: --agents, --procs and --rate must be positive');
  // The carrier's figures, as a desired config pushes them: the fleet's size and the broker's rate (the schema's
  // default unless --broker-rate), or a fixed window (--spread, the rule before the rate) to compare.
  const reconnect: Record<string, number> = { fleetSize: N };
  if (f.has('broker-rate')) reconnect.brokerConnectsPerS = Number(f.get('broker-rate'));
  if (f.has('spread')) reconnect.massSpreadS = Number(f.get('spread'));
  const policy = parseConfig({ box: { id: 'vn-bench' }, mqtt: { reconnect } }, '--broker-rate/--spread').mqtt.reconnect;
  const windowS = massWindowMs(policy) / 1000;
  const load = [loadavg()[0]];

  const tls = await carrierTlsListener();
  const broker = await startBroker({ nofile: NOFILE, extraConfig: ['max_keepalive 600', 'set_tcp_nodelay true', ...tls.lines] });
  const monitor = mqtt.connect(broker.url, { protocolVersion: 5, clientId: 'bench-monitor', reconnectPeriod: 100, clean: true });
  let workers: ChildProcess[] = [];
  const returnLimitMs = windowS * 1000 + 90_000;
  try {
    await new Promise<void>((r) => monitor.once('connect', () => r()));
    const online = watchPresence(monitor);
    await monitor.subscribeAsync(['diemcau/v1/+/presence', 'diemcau/v1/+/reply/ping'], { qos: 0 });
    // Re-subscribed after the restarts (mqtt.js does it on reconnect): presence of the phase after.

    // Plain TCP: online, memory, a group command, the return after a restart.
    const agentSpec = { kind: 'agent' as const, reconnect, ratePerS: startRate, nice };
    let t0 = Date.now();
    workers = await startFleet(N, P, { ...agentSpec, prefix: 'b', url: broker.url });
    const allOnlineS = await untilAll(N, t0, 180_000, hallsOnline(online, 'b'));
    console.log(`tcp: online ${allOnlineS.toFixed(1)} s`);
    await sleep(3000); // let retained state settle before measuring
    const rss = await Promise.all(workers.map((w) => rpc(w, { type: 'rss' }, 'rss')));
    const rssMbPerAgent = rss.reduce((s, m) => s + m.rss, 0) / 1048576 / N;
    const lat = await groupPing(monitor, N);
    const tcp = await restartAndWatch(broker, workers, N, returnLimitMs);
    console.log(`tcp: back ${tcp.allS} s, peak ${tcp.peakPerS}/s, ${tcp.timeouts} timeouts`);
    await stopWorkers(workers);

    // TLS: the same fleet on the carrier's mqtts listener, switched on no faster than the broker's rate (a fleet
    // started faster than the machine takes TLS handshakes measures the machine's queue, not the agent).
    t0 = Date.now();
    const tlsStartRate = Math.min(startRate, N / windowS);
    workers = await startFleet(N, P, { ...agentSpec, ratePerS: tlsStartRate, prefix: 't', url: tls.url, ca: tls.ca });
    const tlsOnlineS = await untilAll(N, t0, 180_000, hallsOnline(online, 't'));
    console.log(`tls: online ${tlsOnlineS.toFixed(1)} s`);
    await sleep(3000);
    const overTls = await restartAndWatch(broker, workers, N, returnLimitMs);
    console.log(`tls: back ${overTls.allS} s, peak ${overTls.peakPerS}/s, ${overTls.timeouts} timeouts`);
    await stopWorkers(workers);

    // Plain mqtt.js with its defaults, the same restart, over TCP and over TLS.
    const plain: Record<string, Return & { onlineS: number }> = {};
    for (const [name, url, ca] of skipMqttjs ? [] : ([['tcp', broker.url, undefined], ['tls', tls.url, tls.ca]] as const)) {
      t0 = Date.now();
      workers = await startFleet(N, P, { kind: 'mqttjs', prefix: name[1], url, ca, reconnect: {}, ratePerS: ca ? tlsStartRate : startRate, nice });
      const onlineS = await untilAll(N, t0, 180_000, clientsConnected(workers));
      await sleep(3000);
      plain[name] = { onlineS, ...(await restartAndWatch(broker, workers, N, 120_000)) };
      console.log(`mqtt.js ${name}: back ${plain[name].allS} s, peak ${plain[name].peakPerS}/s, ${plain[name].timeouts} timeouts`);
      await stopWorkers(workers);
    }
    workers = [];
    load.push(loadavg()[0]);

    const solo = await standalone(broker);
    const result = {
      agents: N,
      procs: P,
      load_avg_1m: load.map((l) => round(l)),
      all_online_s: round(allOnlineS),
      group_cmd_p50_ms: round(percentile(lat, 50)),
      group_cmd_p99_ms: round(percentile(lat, 99)),
      answered: lat.length,
      reconnect_window_s: round(windowS),
      broker_connects_per_s: policy.massSpreadS === undefined ? policy.brokerConnectsPerS : null,
      reconnect_all_s: round(tcp.allS),
      reconnect_peak_per_s: tcp.peakPerS,
      connect_timeouts: tcp.timeouts,
      tls_all_online_s: round(tlsOnlineS),
      tls_reconnect_all_s: round(overTls.allS),
      tls_reconnect_peak_per_s: overTls.peakPerS,
      tls_connect_timeouts: overTls.timeouts,
      tls_reconnect_connect_p50_ms: overTls.connectP50Ms,
      tls_reconnect_connect_p99_ms: overTls.connectP99Ms,
      tls_reconnect_cpu_ms_per_box: { clients: overTls.clientCpuMs, broker: overTls.brokerCpuMs },
      tls_reconnect_listen_overflows: overTls.listenOverflows,
      fleet_nice: nice ?? 0,
      reconnect_cpu_ms_per_box: { clients: tcp.clientCpuMs, broker: tcp.brokerCpuMs },
      mqttjs_reconnect_all_s: round(plain.tcp?.allS ?? NaN),
      mqttjs_reconnect_peak_per_s: plain.tcp?.peakPerS ?? null,
      mqttjs_tls_reconnect_all_s: round(plain.tls?.allS ?? NaN),
      mqttjs_tls_reconnect_peak_per_s: plain.tls?.peakPerS ?? null,
      mqttjs_tls_connect_timeouts: plain.tls?.timeouts ?? null,
      mqttjs_tls_reconnect_connect_p50_ms: plain.tls?.connectP50Ms ?? null,
      mqttjs_tls_reconnect_connect_p99_ms: plain.tls?.connectP99Ms ?? null,
      mqttjs_tls_reconnect_cpu_ms_per_box: plain.tls ? { clients: plain.tls.clientCpuMs, broker: plain.tls.brokerCpuMs } : null,
      mqttjs_tls_reconnect_listen_overflows: plain.tls?.listenOverflows ?? null,
      tls_speedup_over_mqttjs: round((plain.tls?.allS ?? NaN) / overTls.allS),
      rss_mb_per_agent: round(rssMbPerAgent, 3),
      agent_rss_mb: round(solo.agent),
      empty_node_rss_mb: round(solo.empty),
      agent_rss_ratio: round(solo.agent / solo.empty, 3),
      agent_node_flags: AGENT_NODE_FLAGS.join(' '),
      ping_p50_ms_with_flags: round(solo.pingFlags, 3),
      ping_p50_ms_without_flags: round(solo.pingPlain, 3),
    };
    const peakFloor = Math.ceil(1.3 * (N / windowS));
    printTable(`fleet bench (load average ${result.load_avg_1m.join(' → ')})`, [
      { metric: 'agents', value: N, floor: '10400' },
      { metric: 'all online (s)', value: result.all_online_s, floor: '≤ 60' },
      { metric: 'group command p50 (ms)', value: result.group_cmd_p50_ms, floor: '' },
      { metric: 'group command p99 (ms)', value: result.group_cmd_p99_ms, floor: '≤ 2000' },
      { metric: 'answered', value: result.answered, floor: `= ${N}` },
      { metric: 'mass window: fleetSize / brokerConnectsPerS (s)', value: result.reconnect_window_s, floor: '' },
      { metric: 'all back after broker restart (s)', value: result.reconnect_all_s, floor: '≤ 15' },
      { metric: 'peak reconnects per second', value: result.reconnect_peak_per_s, floor: `≤ ${peakFloor}` },
      { metric: 'connects timed out', value: result.connect_timeouts, floor: '= 0' },
      { metric: 'TLS: all online (s)', value: result.tls_all_online_s, floor: '≤ 60' },
      { metric: 'TLS: all back after broker restart (s)', value: result.tls_reconnect_all_s, floor: '≤ 15' },
      { metric: 'TLS: peak reconnects per second', value: result.tls_reconnect_peak_per_s, floor: `≤ ${peakFloor}` },
      { metric: 'TLS: connects timed out', value: result.tls_connect_timeouts, floor: '= 0' },
      { metric: 'TLS: connect time p50 / p99 in the return (ms)', value: `${result.tls_reconnect_connect_p50_ms} / ${result.tls_reconnect_connect_p99_ms}`, floor: '' },
      { metric: 'TLS: CPU per return, clients / broker (ms)', value: `${overTls.clientCpuMs} / ${overTls.brokerCpuMs}`, floor: '' },
      { metric: 'TLS: SYNs dropped at the broker\'s full accept queue', value: result.tls_reconnect_listen_overflows, floor: '' },
      { metric: 'TCP: CPU per return, clients / broker (ms)', value: `${tcp.clientCpuMs} / ${tcp.brokerCpuMs}`, floor: '' },
      { metric: 'mqtt.js defaults: all back (s)', value: result.mqttjs_reconnect_all_s, floor: '' },
      { metric: 'mqtt.js defaults: peak per second', value: result.mqttjs_reconnect_peak_per_s ?? '', floor: '' },
      { metric: 'mqtt.js defaults, TLS: all back (s)', value: result.mqttjs_tls_reconnect_all_s, floor: '' },
      { metric: 'mqtt.js defaults, TLS: peak per second', value: result.mqttjs_tls_reconnect_peak_per_s ?? '', floor: '' },
      { metric: 'mqtt.js defaults, TLS: connects timed out', value: result.mqttjs_tls_connect_timeouts ?? '', floor: '' },
      { metric: 'mqtt.js defaults, TLS: connect time p50 / p99 (ms)', value: plain.tls ? `${plain.tls.connectP50Ms} / ${plain.tls.connectP99Ms}` : '', floor: '' },
      { metric: 'mqtt.js defaults, TLS: CPU per return, clients / broker (ms)', value: plain.tls ? `${plain.tls.clientCpuMs} / ${plain.tls.brokerCpuMs}` : '', floor: '' },
      { metric: 'TLS: mqtt.js all back / diemcau all back', value: result.tls_speedup_over_mqttjs, floor: '' },
      { metric: 'RSS per agent in the fleet (MB)', value: result.rss_mb_per_agent, floor: '' },
      { metric: 'standalone agent RSS (MB)', value: result.agent_rss_mb, floor: '' },
      { metric: 'empty node RSS (MB), same run', value: result.empty_node_rss_mb, floor: '' },
      { metric: 'agent / empty node', value: result.agent_rss_ratio, floor: '≤ 1.5' },
      { metric: `ping p50 (ms), agent with ${result.agent_node_flags}`, value: result.ping_p50_ms_with_flags, floor: '' },
      { metric: 'ping p50 (ms), same agent without flags', value: result.ping_p50_ms_without_flags, floor: '' },
    ]);
    await writeJson(jsonPath, result);
  } finally {
    await stopWorkers(workers);
    await monitor.endAsync(true);
    await broker.cleanup();
    await tls.cleanup();
  }
}
