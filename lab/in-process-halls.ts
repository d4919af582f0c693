// Many halls in one process: the agent's own Agent class (its MQTT link, reported state and command router), no
// devices or media, as the fleet bench runs them, for tests that need hundreds of real agents without hundreds of
// processes.
import { Agent } from '../agent/agent.js';
import { parseConfig } from '../agent/config/load.js';
import { silentLogger, type Logger } from '../core/log.js';

export interface InProcessHall {
  id: string;
  province: string;
  agent: Agent;
}

/** Starts `count` agents `vn-<prefix><n>` in provinces p-00..p-(provinces-1), spread over `brokers` in turn. */
export async function startInProcessHalls(count: number, brokers: string[], opts: { prefix?: string; provinces?: number } = {}): Promise<InProcessHall[]> {
  const out: InProcessHall[] = [];
  const provinces = opts.provinces ?? 10;
  for (let i = 0; i < count; i++) {
    const id = `vn-${opts.prefix ?? 's'}${String(i).padStart(5, '0')}`;
    const province = String(i % provinces).padStart(2, '0');
    const config = parseConfig(
      {
        box: { id },
        hall: { name: `Hall ${i}`, groups: [`p-${province}`] },
        mqtt: { brokers: [brokers[i % brokers.length]], willDelayS: 1, stateThrottleMs: 200, reconnect: { minMs: 100, maxMs: 2000, massSpreadS: 2 } },
        telemetry: { intervalS: 600 },
      },
      `in-process hall ${id}`,
    );
    const agent = new Agent({ config, configPath: null, log: silentLogger, version: 'in-process' });
    await agent.start();
    out.push({ id, province, agent });
  }
  return out;
}

/** A hall as provisioned for a cluster: its box id, groups, login and its own order of the nodes. */
export interface ProvisionedHall {
  id: string;
  groups: string[];
  username: string;
  password: string;
  brokers: string[];
}

/** Starts one agent per provisioned hall, each with `mqtt` settings added (reconnect policy, timings). */
export async function startProvisionedHalls(
  halls: ProvisionedHall[],
  mqtt: Record<string, unknown> = {},
  log: (boxId: string) => Logger = () => silentLogger,
): Promise<InProcessHall[]> {
  const out: InProcessHall[] = [];
  for (const h of halls) {
    const config = parseConfig(
      {
        box: { id: h.id },
        hall: { name: `Hall ${h.id}`, groups: h.groups },
        mqtt: { willDelayS: 1, stateThrottleMs: 200, ...mqtt, brokers: h.brokers, username: h.username, password: h.password },
        telemetry: { intervalS: 600 },
      },
      `provisioned hall ${h.id}`,
    );
    const agent = new Agent({ config, configPath: null, log: log(h.id), version: 'in-process' });
    await agent.start();
    out.push({ id: h.id, province: h.groups.find((g) => g.startsWith('p-'))?.slice(2) ?? '', agent });
  }
  return out;
}

/** A stopped hall back: a new Agent with the same config (an Agent starts once). */
export async function restartInProcessHall(h: InProcessHall): Promise<void> {
  h.agent = new Agent({ config: h.agent.config, configPath: null, log: silentLogger, version: 'in-process' });
  await h.agent.start();
}

export async function stopInProcessHalls(halls: InProcessHall[]): Promise<void> {
  await Promise.allSettled(halls.map((h) => h.agent.stop()));
}
