// The simulated halls of the demo: each a real agent process with a config whose devices are simulated behind
// real ptys (the same drivers a box uses), registering with the demo's broker.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { openSync, closeSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { AGENT_NODE_FLAGS } from '../agent/node-flags.js';
import { stopChild } from '../core/stop-child.js';
import { spawnWithTest } from './die-with-test.js';

const COMMUNES = [
  ['26734', 'Xã Hòa Bình', '01'],
  ['00118', 'Phường Ba Đình', '01'],
  ['19345', 'Xã Tân Lập', '46'],
  ['31231', 'Xã Mỹ Hòa', '82'],
  ['22015', 'Phường Vĩnh Hải', '56'],
  ['09877', 'Xã An Khánh', '01'],
  ['17011', 'Xã Nghĩa Đàn', '40'],
  ['28999', 'Xã Phú Hữu', '79'],
] as const;

/** The provinces of those communes, by code (before the 2025 merger), for the console's groups file. */
export const DEMO_PROVINCES: Record<string, string> = {
  'p-01': 'Hà Nội',
  'p-40': 'Nghệ An',
  'p-46': 'Thừa Thiên Huế',
  'p-56': 'Khánh Hòa',
  'p-79': 'TP Hồ Chí Minh',
  'p-82': 'Tiền Giang',
};

export interface DemoHall {
  id: string;
  name: string;
  configPath: string;
  proc: ChildProcess | null;
}

export function demoHallConfig(i: number, brokerUrl: string, opts: { devices: boolean; media: Record<string, unknown> | null }) {
  const [code, name, province] = COMMUNES[i % COMMUNES.length];
  const suffix = i < COMMUNES.length ? '' : `-${Math.floor(i / COMMUNES.length)}`;
  const id = `vn-${code}${suffix}`;
  return {
    box: { id },
    hall: { name: `Hội trường ${name}${suffix}`, groups: ['demo', `p-${province}`] },
    mqtt: { brokers: [brokerUrl], willDelayS: 5, stateThrottleMs: 250 },
    telemetry: { intervalS: 2 },
    devices: opts.devices
      ? {
          camera: { simulate: true },
          display: { protocol: 'samsung-mdc', simulate: true },
          panel: { simulate: true, talkButton: 17, muteButton: 27, tallyLed: 22, statusLed: 23, relays: { display: 24 } },
        }
      : {},
    ...(opts.media ? { media: opts.media } : {}),
  };
}

const CLI = fileURLToPath(new URL('../agent/cli.js', import.meta.url));

export async function startHall(dir: string, config: ReturnType<typeof demoHallConfig>): Promise<DemoHall> {
  const configPath = join(dir, `${config.box.id}.json`);
  await writeFile(configPath, JSON.stringify(config, null, 2));
  const logFd = openSync(join(dir, `${config.box.id}.log`), 'a');
  const proc = spawnWithTest(process.execPath, [...AGENT_NODE_FLAGS, CLI, 'run', '--config', configPath], { stdio: ['ignore', logFd, logFd] });
  closeSync(logFd);
  return { id: config.box.id, name: config.hall.name, configPath, proc };
}

export function stopHall(h: DemoHall, timeoutMs = 3000): Promise<void> {
  const p = h.proc;
  h.proc = null;
  return p ? stopChild(p, 'SIGTERM', timeoutMs) : Promise.resolve();
}
