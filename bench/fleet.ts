// `npm run bench -- fleet --agents N --json FILE`: N agents (the agent's own MQTT link, state and command code,
// many per process) against one real Mosquitto. Measures time to all online, a group command answered by all,
// the fleet's return after a broker restart (time and peak connects per second), and memory per agent, plus a
// standalone agent's RSS against an empty node process in the same run.
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import mqtt from 'mqtt';
import { startBroker, type Broker } from '../lab/mosquitto.js';
import { flags, percentile, printTable, round, writeJson } from './report.js';
import { nofileLimit, rpc, stopWorkers } from './workers.js';
import { AGENT_NODE_FLAGS } from '../agent/node-flags.js';
import { demoHallConfig } from '../lab/halls.js';
import { writeFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const WORKER = fileURLToPath(new URL('./fleet-worker.js', import.meta.url));
const CLI = fileURLToPath(new URL('../agent/cli.js', import.meta.url));
const NOFILE = nofileLimit();

function rssOf(pid: number): number | null {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : null;
  } catch {
    return null;
  }
}

/**
 * A standalone agent process, started as on a box, and an empty node process, side by side: RSS after they settle.
 * Then the cost of the agent's node flags: ping round trips to the same agent with and without them.
 */
async function standalone(broker: Broker): Promise<{ agent: number; empty: number; pingFlags: number; pingPlain: number }> {
  const empty = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  // In simulation mode with every device, as the demo runs it: all of the agent's modules are loaded.
  const dir = await mkdtemp(join(tmpdir(), 'diemcau-bench-solo-'));
  const configFile = join(dir, 'config.json');
  await writeFile(configFile, JSON.stringify(demoHallConfig(0, broker.url, { devices: true, media: null })));
  const start = (id: string, nodeFlags: readonly string[]) =>
    spawn(process.execPath, [...nodeFlags, CLI, 'run', '--config', configFile, '--id', id], { stdio: 'ignore' });
  const agent = start('vn-bench-solo', AGENT_NODE_FLAGS);
  const plain = start('vn-bench-plain', []);
  await new Promise((r) => setTimeout(r, 10000));
  const out = { agent: rssOf(agent.pid!) ?? NaN, empty: rssOf(empty.pid!) ?? NaN };
  const pingFlags = await pingP50(broker, 'vn-bench-solo');
  const pingPlain = await pingP50(broker, 'vn-bench-plain');
  for (const p of [agent, plain]) p.kill('SIGTERM');
  empty.kill('SIGKILL');
  await Promise.all([agent, plain].map((p) => new Promise((r) => p.once('exit', r))));
  await rm(dir, { recursive: true, force: true });
  return { ...out, pingFlags, pingPlain };
}

/** Median round trip of 300 sequential pings to one agent. */
async function pingP50(broker: Broker, box: string): Promise<number> {
  const c = await mqtt.connectAsync(broker.url, { protocolVersion: 5, clientId: `bench-ping-${box}` });
  const replyTopic = `diemcau/v1/${box}/reply/bench-ping`; // a box answers only inside its own reply tree
  await c.subscribeAsync(replyTopic, { qos: 0 });
  const rtts: number[] = [];
  for (let i = 0; i < 300; i++) {
    const t = performance.now();
    const got = new Promise<void>((r) => c.once('message', () => r()));
    await c.publishAsync(`diemcau/v1/${box}/cmd/ping`, '{}', { qos: 0, properties: { responseTopic: replyTopic, messageExpiryInterval: 10 } });
    await got;
    rtts.push(performance.now() - t);
  }
  await c.endAsync(true);
  return percentile(rtts.sort((a, b) => a - b), 50);
}

export async function main(argv: string[]): Promise<void> {
  const f = flags(argv);
  const N = Number(f.get('agents') ?? 10400);
  const P = Number(f.get('procs') ?? 4);
  const spreadS = Number(f.get('spread') ?? 45);
  const ratePerS = Number(f.get('rate') ?? 1200);
  const jsonPath = f.get('json');
  if (!(N > 0 && P > 0)) throw new Error('fleet: --agents and --procs must be positive');

  const broker = await startBroker({ nofile: NOFILE, extraConfig: ['max_keepalive 600', 'set_tcp_nodelay true'] });
  const workers: ChildProcess[] = [];
  const monitor = mqtt.connect(broker.url, { protocolVersion: 5, clientId: 'bench-monitor', reconnectPeriod: 100, clean: true });
  try {
    await new Promise<void>((r) => monitor.once('connect', () => r()));
    const online = new Map<string, number>();
    const replies: number[] = [];
    let cmdAt = 0;
    monitor.on('message', (topic, payload) => {
      if (topic.endsWith('/reply/ping')) {
        replies.push(Date.now() - cmdAt);
        return;
      }
      const box = topic.split('/')[2];
      if (payload.toString().includes('"online"')) {
        if (!online.has(box)) online.set(box, Date.now());
      } else online.delete(box);
    });
    await monitor.subscribeAsync(['diemcau/v1/+/presence', 'diemcau/v1/+/reply/ping'], { qos: 0 });

    // Phase 1: start the fleet; time until the operator sees every hall online.
    const per = Math.ceil(N / P);
    for (let p = 0; p < P; p++) {
      const w = fork(WORKER, [], { execPath: 'prlimit', execArgv: [`--nofile=${NOFILE}`, process.execPath], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
      workers.push(w);
      await new Promise<void>((r) => w.once('message', () => r()));
    }
    const t0 = Date.now();
    workers.forEach((w, p) =>
      w.send({ type: 'start', from: p * per, count: Math.min(per, N - p * per), broker: broker.url, spreadS, ratePerS: ratePerS / P }),
    );
    const onlineDeadline = t0 + 180_000;
    while (online.size < N && Date.now() < onlineDeadline) await new Promise((r) => setTimeout(r, 200));
    const allOnlineS = online.size >= N ? (Math.max(...online.values()) - t0) / 1000 : NaN;
    console.log(`online: ${online.size}/${N} in ${allOnlineS.toFixed(1)} s`);
    await new Promise((r) => setTimeout(r, 3000)); // let retained state settle before measuring

    // Memory of the fleet processes.
    const rss = await Promise.all(workers.map((w) => rpc(w, { type: 'rss' }, 'rss')));
    const rssMbPerAgent = rss.reduce((s, m) => s + m.rss, 0) / 1048576 / N;

    // Phase 2: one command to the whole group; every hall answers for itself, on its own reply topic.
    replies.length = 0;
    cmdAt = Date.now();
    monitor.publish('diemcau/v1/group/bench/cmd/ping', '{}', { qos: 1, properties: { messageExpiryInterval: 60 } });
    const cmdDeadline = Date.now() + 30_000;
    while (replies.length < N && Date.now() < cmdDeadline) await new Promise((r) => setTimeout(r, 50));
    const lat = [...replies].sort((a, b) => a - b);

    // Phase 3: restart the broker; measure the fleet's return.
    await Promise.all(workers.map((w) => rpc(w, { type: 'watch-reconnects' }, 'watching')));
    const restartAt = Date.now();
    await broker.restart(0);
    const backDeadline = restartAt + spreadS * 1000 + 90_000;
    let times: number[] = [];
    let connected = 0;
    while (Date.now() < backDeadline) {
      await new Promise((r) => setTimeout(r, 1000));
      const rs = await Promise.all(workers.map((w) => rpc(w, { type: 'reconnects' }, 'reconnects')));
      times = rs.flatMap((m) => m.times as number[]);
      connected = rs.reduce((s, m) => s + (m.connected as number), 0);
      if (connected >= N) break;
    }
    const perSecond = new Map<number, number>();
    for (const t of times) perSecond.set(Math.floor((t - restartAt) / 1000), (perSecond.get(Math.floor((t - restartAt) / 1000)) ?? 0) + 1);
    const reconnectAllS = connected >= N ? (Math.max(...times) - restartAt) / 1000 : NaN;
    const peak = Math.max(0, ...perSecond.values());

    const solo = await standalone(broker);
    const result = {
      agents: N,
      procs: P,
      all_online_s: round(allOnlineS),
      group_cmd_p50_ms: round(percentile(lat, 50)),
      group_cmd_p99_ms: round(percentile(lat, 99)),
      answered: replies.length,
      reconnect_all_s: round(reconnectAllS),
      reconnect_peak_per_s: peak,
      reconnect_spread_s: spreadS,
      rss_mb_per_agent: round(rssMbPerAgent, 3),
      agent_rss_mb: round(solo.agent),
      empty_node_rss_mb: round(solo.empty),
      agent_rss_ratio: round(solo.agent / solo.empty, 3),
      agent_node_flags: AGENT_NODE_FLAGS.join(' '),
      ping_p50_ms_with_flags: round(solo.pingFlags, 3),
      ping_p50_ms_without_flags: round(solo.pingPlain, 3),
    };
    printTable('fleet bench', [
      { metric: 'agents', value: N, floor: '10400' },
      { metric: 'all online (s)', value: result.all_online_s, floor: '≤ 60' },
      { metric: 'group command p50 (ms)', value: result.group_cmd_p50_ms, floor: '' },
      { metric: 'group command p99 (ms)', value: result.group_cmd_p99_ms, floor: '≤ 2000' },
      { metric: 'answered', value: result.answered, floor: `= ${N}` },
      { metric: 'all back after broker restart (s)', value: result.reconnect_all_s, floor: '≤ 60' },
      { metric: 'peak reconnects per second', value: result.reconnect_peak_per_s, floor: '≤ 300' },
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
  }
}
