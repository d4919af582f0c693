// One process of the fleet bench (and of the console bench): runs many agents (the agent's own Agent class: its MQTT
// link, state and command code, and with `panel` a simulated button panel through the agent's own panel device)
// against the bench's broker, and reports to the controller over IPC. For the console bench it also stands in for
// each hall's media path: `media` sets what a media path would report in the hall's state (joined, seen, heard or
// not), which the agent publishes as it would a real report.
import { Agent } from '../agent/agent.js';
import { parseConfig } from '../agent/config/load.js';
import { createDevice } from '../agent/devices/compose.js';
import { silentLogger } from '../core/log.js';

interface Start {
  type: 'start';
  from: number;
  count: number;
  broker: string;
  spreadS: number;
  ratePerS: number;
  /** A simulated panel (talk and mute buttons, tally and status LEDs) on every hall: `panel.sim-press` presses talk. */
  panel?: boolean;
  /** Each hall in its own commune group too (`c-<n>`), as real halls are. */
  communes?: boolean;
}

/** What a media path in a meeting reports, heard at the centre or only seen. */
function mediaReport(heard: boolean) {
  return { status: 'joined' as const, room: 1234, seen: true, heard, muted: false, audioOnly: false, stats: { bitrateKbps: 900, fps: 30, lossPct: 0, rttMs: 12 } };
}

const agents: Agent[] = [];
let first = 0;
let watchingReconnects = false;
let reconnects: number[] = [];

const send = (msg: unknown) => process.send?.(msg);

async function start(m: Start): Promise<void> {
  const gap = 1000 / m.ratePerS;
  const t0 = Date.now();
  first = m.from;
  for (let i = 0; i < m.count; i++) {
    const n = m.from + i;
    const config = parseConfig(
      {
        box: { id: `vn-b${String(n).padStart(5, '0')}` },
        hall: { name: `Bench hall ${n}`, groups: ['bench', `p-${String(n % 34).padStart(2, '0')}`, ...(m.communes ? [`c-${String(n).padStart(5, '0')}`] : [])] },
        mqtt: {
          brokers: [m.broker],
          keepaliveS: 120,
          willDelayS: 30,
          sessionExpiryS: 120,
          stateThrottleMs: 1000,
          reconnect: { massSpreadS: m.spreadS },
        },
        telemetry: { intervalS: 600 },
        ...(m.panel ? { devices: { panel: { simulate: true, talkButton: 17, muteButton: 27, tallyLed: 22, statusLed: 23 } } } : {}),
      },
      `bench agent ${n}`,
    );
    const a = new Agent({ config, configPath: null, log: silentLogger, version: 'bench', ...(m.panel ? { deviceFactory: createDevice } : {}) });
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
  else if (m.type === 'media') {
    // [hall number, heard] pairs, or every hall of this process when `all` is given.
    const set = (m.all === undefined ? (m.set as Array<[number, boolean]>) : agents.map((_, i) => [first + i, m.all as boolean] as [number, boolean]));
    for (const [n, heard] of set) agents[n - first]?.state.set('media', mediaReport(heard));
    send({ type: 'media-set', count: set.length });
  } else if (m.type === 'rss') send({ type: 'rss', rss: process.memoryUsage.rss(), connected: agents.filter((a) => a.link.connected).length });
  else if (m.type === 'watch-reconnects') {
    reconnects = [];
    watchingReconnects = true;
    send({ type: 'watching' });
  } else if (m.type === 'reconnects') send({ type: 'reconnects', times: reconnects, connected: agents.filter((a) => a.link.connected).length });
  else if (m.type === 'stop') {
    void Promise.allSettled(agents.map((a) => a.stop())).then(() => process.exit(0));
  }
});
send({ type: 'ready' });
