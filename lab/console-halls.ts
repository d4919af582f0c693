// Simulated halls for the console's tests: real `diemcau run` processes with a simulated display and panel (talk
// and mute buttons, tally and status LEDs: panel.sim-press presses a button over MQTT), quick to notice a broker
// going and coming back, in a province group and a commune group.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startAgent, writeConfig, type AgentProcess } from './agent-process.js';

export interface ConsoleHall {
  id: string;
  name: string;
  province: string;
  brokerUrl: string;
  agent: AgentProcess | null;
  dir: string;
}

export function consoleHallConfig(id: string, name: string, province: string, brokerUrl: string, extra: Record<string, unknown> = {}) {
  return {
    box: { id },
    hall: { name, groups: [`p-${province}`, `c-${id.replace(/^vn-/, '')}`] },
    mqtt: { brokers: [brokerUrl], willDelayS: 1, sessionExpiryS: 30, stateThrottleMs: 100, reconnect: { minMs: 100, maxMs: 1000, massSpreadS: 1 } },
    telemetry: { intervalS: 2 },
    devices: {
      display: { protocol: 'samsung-mdc', simulate: true },
      panel: { simulate: true, talkButton: 17, muteButton: 27, tallyLed: 22, statusLed: 23 },
    },
    ...extra,
  };
}

export async function startConsoleHall(id: string, name: string, province: string, brokerUrl: string, extra: Record<string, unknown> = {}): Promise<ConsoleHall> {
  const dir = await mkdtemp(join(tmpdir(), 'diemcau-hall-'));
  const agent = startAgent(await writeConfig(consoleHallConfig(id, name, province, brokerUrl, extra), dir));
  return { id, name, province, brokerUrl, agent, dir };
}

export async function stopConsoleHall(h: ConsoleHall): Promise<void> {
  const a = h.agent;
  h.agent = null;
  if (a) await a.stop();
  await rm(h.dir, { recursive: true, force: true });
}
