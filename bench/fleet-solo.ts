// The fleet bench's standalone part: one agent process, started as on a box, beside an empty node process: their
// RSS after they settle, and the cost of the agent's node flags in ping round trips.
import { spawn } from 'node:child_process';
import { writeFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import mqtt from 'mqtt';
import type { Broker } from '../lab/mosquitto.js';
import { percentile } from './report.js';
import { AGENT_NODE_FLAGS } from '../agent/node-flags.js';
import { demoHallConfig } from '../lab/halls.js';
import { emptyNode, rssMb } from '../lab/rss.js';

const CLI = fileURLToPath(new URL('../agent/cli.js', import.meta.url));

/**
 * A standalone agent process, started as on a box, and an empty node process, side by side: RSS after they settle.
 * Then the cost of the agent's node flags: ping round trips to the same agent with and without them.
 */
export async function standalone(broker: Broker): Promise<{ agent: number; empty: number; pingFlags: number; pingPlain: number }> {
  const empty = emptyNode();
  // In simulation mode with every device, as the demo runs it: all of the agent's modules are loaded.
  const dir = await mkdtemp(join(tmpdir(), 'diemcau-bench-solo-'));
  const configFile = join(dir, 'config.json');
  await writeFile(configFile, JSON.stringify(demoHallConfig(0, broker.url, { devices: true, media: null })));
  const start = (id: string, nodeFlags: readonly string[]) =>
    spawn(process.execPath, [...nodeFlags, CLI, 'run', '--config', configFile, '--id', id], { stdio: 'ignore' });
  const agent = start('vn-bench-solo', AGENT_NODE_FLAGS);
  const plain = start('vn-bench-plain', []);
  await new Promise((r) => setTimeout(r, 10000));
  const out = { agent: rssMb(agent.pid!) ?? NaN, empty: rssMb(empty.pid!) ?? NaN };
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
