// The pure planner: from what the hall actually runs and the config it should run, the steps that get it there.
// No I/O here; agent/desired/reconciler.ts carries the steps out, plans again, and retries what failed.
import type { Config } from '../../core/config/schema.js';

export type DeviceId = 'camera' | 'display' | 'panel';
export const DEVICE_IDS: readonly DeviceId[] = ['camera', 'display', 'panel'];
export type DeviceConfig = NonNullable<Config['devices'][DeviceId]>;

/** One part the agent set up from config, and whether its start went through. A part whose start failed holds
 *  nothing; it is here so that a config without it stops it (its error is cleared) and one with it starts it again. */
export interface Part<C> {
  config: C;
  started: boolean;
}

/** What the hall actually runs, as the agent finds it: not the last config, which may not all have started. */
export interface Running {
  hall: Config['hall'];
  telemetry: Config['telemetry'];
  /** The broker settings the link uses. */
  mqtt: Config['mqtt'];
  devices: Partial<Record<DeviceId, Part<DeviceConfig>>>;
  /** null: no media path was set up. */
  media: Part<Config['media']> | null;
}

export type Step =
  | { kind: 'hall' }
  | { kind: 'groups'; add: string[]; remove: string[] }
  | { kind: 'telemetry'; intervalS: number }
  /** `start`: nothing of it runs (a part left by a failed start is cleared first); `restart`: it runs with another config. */
  | { kind: 'device'; id: DeviceId; action: 'start' | 'stop' | 'restart' }
  /** `bridge`: only `media.bridge` changed; the running path moves its meeting there (no restart: the meeting stays). */
  | { kind: 'media'; action: 'start' | 'stop' | 'restart' | 'bridge' }
  | { kind: 'broker' };

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** What runs when nothing but the link, the hall and the telemetry timer has been set up from `config` (at start). */
export function bareHall(config: Config): Running {
  return { hall: config.hall, telemetry: config.telemetry, mqtt: config.mqtt, devices: {}, media: null };
}

/** What runs when every part of `config` started. */
export function allStarted(config: Config): Running {
  const devices: Running['devices'] = {};
  for (const id of DEVICE_IDS) {
    const c = config.devices[id];
    if (c) devices[id] = { config: c, started: true };
  }
  return { ...bareHall(config), devices, media: config.media.enabled ? { config: config.media, started: true } : null };
}

function partAction<C>(now: Part<C> | null | undefined, want: C | undefined): 'start' | 'stop' | 'restart' | null {
  if (want === undefined) return now ? 'stop' : null;
  if (!now || !now.started) return 'start';
  return same(now.config, want) ? null : 'restart';
}

export function plan(running: Running, target: Config): Step[] {
  const steps: Step[] = [];
  if (!same(running.hall, target.hall)) {
    steps.push({ kind: 'hall' });
    const add = target.hall.groups.filter((g) => !running.hall.groups.includes(g));
    const remove = running.hall.groups.filter((g) => !target.hall.groups.includes(g));
    if (add.length || remove.length) steps.push({ kind: 'groups', add, remove });
  }
  if (running.telemetry.intervalS !== target.telemetry.intervalS) {
    steps.push({ kind: 'telemetry', intervalS: target.telemetry.intervalS });
  }
  for (const id of DEVICE_IDS) {
    const action = partAction(running.devices[id], target.devices[id]);
    if (action) steps.push({ kind: 'device', id, action });
  }
  const media = partAction(running.media, target.media.enabled ? target.media : undefined);
  if (media === 'restart' && same({ ...running.media!.config, bridge: undefined }, { ...target.media, bridge: undefined })) {
    steps.push({ kind: 'media', action: 'bridge' });
  } else if (media) steps.push({ kind: 'media', action: media });
  // Last: the state that reports the new version goes out on the old broker before the hall moves to the new one.
  if (!same(running.mqtt, target.mqtt)) steps.push({ kind: 'broker' });
  return steps;
}

/** The part a step works on: a failed step is retried, and reported, under this key. */
export function stepKey(step: Step): string {
  return step.kind === 'device' ? step.id : step.kind;
}

/** How a step is named in logs and in `state.config.failed`: `camera: start`, `media: restart`, `groups`. */
export function stepName(step: Step): string {
  if (step.kind === 'device') return `${step.id}: ${step.action}`;
  if (step.kind === 'media') return `media: ${step.action}`;
  return step.kind;
}
