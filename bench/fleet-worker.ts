// One process of the fleet bench: runs many agents (the agent's own Agent class: its MQTT link, state and command
// code) against the bench's broker, and reports to the controller over IPC.
import { Agent } from '../agent/agent.js';
import { parseConfig } from '../agent/config/load.js';
import { silentLogger } from '../core/log.js';

interface Start {
  type: 'start';
  from: number;
  count: number;
  broker: string;
  spreadS: number;
  ratePerS: number;
  /** Halls as provisioned (the cluster bench): their own ids, groups, logins and broker lists. */
  halls?: Array<{ id: string; groups: string[]; username: string; password: string; brokers: string[] }>;
}

const agents: Agent[] = [];
let watchingReconnects = false;
let reconnects: number[] = [];

const send = (msg: unknown) => process.send?.(msg);

async function start(m: Start): Promise<void> {
  const gap = 1000 / m.ratePerS;
  const t0 = Date.now();
  for (let i = 0; i < m.count; i++) {
    const n = m.from + i;
    const h = m.halls?.[i];
    const config = parseConfig(
      {
        box: { id: h?.id ?? `vn-b${String(n).padStart(5, '0')}` },
        hall: { name: `Bench hall ${n}`, groups: h?.groups ?? ['bench', `p-${String(n % 34).padStart(2, '0')}`] },
        mqtt: {
          ...(h ? { brokers: h.brokers, username: h.username, password: h.password } : { brokers: [m.broker] }),
          keepaliveS: 120,
          willDelayS: 30,
          sessionExpiryS: 120,
          stateThrottleMs: 1000,
          reconnect: { massSpreadS: m.spreadS },
        },
        telemetry: { intervalS: 600 },
      },
      `bench agent ${n}`,
    );
    const a = new Agent({ config, configPath: null, log: silentLogger, version: 'bench' });
    a.link.on('connected', () => {
      if (watchingReconnects) reconnects.push(Date.now());
    });
    agents.push(a);
    await a.start();
    const due = t0 + (i + 1) * gap;
    const wait = due - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  }
  send({ type: 'started', count: agents.length });
}

process.on('message', (m: { type: string } & Record<string, unknown>) => {
  if (m.type === 'start') void start(m as unknown as Start);
  else if (m.type === 'rss') send({ type: 'rss', rss: process.memoryUsage.rss(), connected: agents.filter((a) => a.link.connected).length });
  else if (m.type === 'watch-reconnects') {
    reconnects = [];
    watchingReconnects = true;
    send({ type: 'watching' });
  } else if (m.type === 'reconnects') send({ type: 'reconnects', times: reconnects, connected: agents.filter((a) => a.link.connected).length });
  else if (m.type === 'where') send({ type: 'where', at: agents.map((a) => (a.link.connected ? a.link.status().broker : null)) });
  else if (m.type === 'stop') {
    void Promise.allSettled(agents.map((a) => a.stop())).then(() => process.exit(0));
  }
});
send({ type: 'ready' });
