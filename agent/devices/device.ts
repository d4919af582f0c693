// The agent's view of one piece of hall hardware (camera, display, panel). Drivers implement it; the agent
// composes devices from config and never touches their ports. See docs/architecture.md.
import type { EventEmitter } from 'node:events';
import type { CommandSpec } from '../../core/commands/define.js';
import type { Health } from '../../core/health.js';

/**
 * Events a Device emits:
 *  - 'change' (): health() or report() changed; the agent re-reads both and publishes what changed.
 *  - 'input' (name: string, detail?: Record<string, unknown>): something a person did (button press).
 */
export interface Device extends EventEmitter {
  /** Key in config.devices and in state.devices, e.g. `camera`. */
  readonly id: string;
  /** `camera` | `display` | `panel`. */
  readonly kind: string;
  /**
   * Opens ports, starts polling. Never throws because a device is absent: it reports `missing` and retries by itself.
   * Throws when it cannot start for any other reason (a config the device cannot run, a simulator that did not
   * start), after setting health to say why: the agent's reconciler reports the step and tries again with backoff.
   */
  start(): Promise<void>;
  /** Closes every resource start() opened, leaving outputs at their safe level. */
  stop(): Promise<void>;
  health(): Health;
  /** The device's reported state (power, position, input, ...): plain JSON, small. */
  report(): Record<string, unknown>;
  /** Commands this device offers, named `<id>.<verb>`. */
  commands(): CommandSpec[];
}

/** What the hall is doing, as the panel's LEDs show it (one LED pattern per state). */
export type HallIndicator =
  | 'offline' // no broker
  | 'idle' // registered, not in a meeting
  | 'joining'
  | 'in-meeting' // joined, the centre does not (yet) confirm it hears us
  | 'heard' // joined and the centre receives our audio: tally on
  | 'muted'
  | 'fault'
  | 'on-air' // the centre gave the hall the floor (or called on it), the mic is open and heard
  | 'rollcall'; // a roll call asks the staff to press talk

/** A panel (buttons, LEDs, relays). Emits 'input' with `talk`, `mute` or `audio-only` (long press of mute). */
export interface PanelDevice extends Device {
  readonly kind: 'panel';
  showHallState(state: HallIndicator): void;
}

/** A display the agent switches on when the hall joins a meeting and off when it leaves (per config). */
export interface DisplayDevice extends Device {
  readonly kind: 'display';
  meetingStarted(): Promise<void>;
  meetingEnded(): Promise<void>;
}
