// The pure planner: from the config the hall runs now and the config it should run, the steps that get it there.
// No I/O here; agent/agent.ts applies the steps in order and reports the outcome in `state`.
import type { Config } from '../../core/config/schema.js';

export type DeviceId = 'camera' | 'display' | 'panel';
export const DEVICE_IDS: readonly DeviceId[] = ['camera', 'display', 'panel'];

export type Step =
  | { kind: 'hall' }
  | { kind: 'groups'; add: string[]; remove: string[] }
  | { kind: 'telemetry'; intervalS: number }
  | { kind: 'device'; id: DeviceId; action: 'start' | 'stop' | 'restart' }
  | { kind: 'media'; action: 'start' | 'stop' | 'restart' }
  | { kind: 'broker' };

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

export function plan(current: Config, next: Config): Step[] {
  const steps: Step[] = [];
  if (!same(current.hall, next.hall)) {
    steps.push({ kind: 'hall' });
    const add = next.hall.groups.filter((g) => !current.hall.groups.includes(g));
    const remove = current.hall.groups.filter((g) => !next.hall.groups.includes(g));
    if (add.length || remove.length) steps.push({ kind: 'groups', add, remove });
  }
  if (current.telemetry.intervalS !== next.telemetry.intervalS) {
    steps.push({ kind: 'telemetry', intervalS: next.telemetry.intervalS });
  }
  for (const id of DEVICE_IDS) {
    const a = current.devices[id];
    const b = next.devices[id];
    if (same(a, b)) continue;
    steps.push({ kind: 'device', id, action: a === undefined ? 'start' : b === undefined ? 'stop' : 'restart' });
  }
  if (!same(current.media, next.media)) {
    const was = current.media.enabled;
    const will = next.media.enabled;
    if (was || will) steps.push({ kind: 'media', action: !was ? 'start' : !will ? 'stop' : 'restart' });
  }
  // Last: the acknowledgement goes out on the old broker before the hall moves to the new one.
  if (!same(current.mqtt, next.mqtt)) steps.push({ kind: 'broker' });
  return steps;
}
