// The simulated camera's mechanics: power, pan/tilt moving over time at the commanded speed within limits, zoom,
// focus mode and presets. Pure: the caller passes the clock (ms), so tests can step it. The wire side is visca-sim.ts.
import type { ViscaCommand } from './visca-protocol.js';
import type { Direction } from '../../core/commands/camera.js';
import { PAN_SPEED_MAX, ZOOM_MAX } from '../../core/commands/camera.js';

/** Mechanical limits in VISCA position units (14.4 units per degree): pan -170..+170 deg, tilt -30..+90 deg, as in
 *  the "VISCA pan tilt absolute position value" table of common PTZ manuals (e.g. Telycam TLC-700). */
export const LIMITS = { panMin: -2448, panMax: 2448, tiltMin: -432, tiltMax: 1296 } as const;
/** Speed byte v moves v * 60 units/s (v = 18h: about 100 deg/s); the sim's own curve, close to real heads at the ends. */
const UNITS_PER_SPEED = 60;
/** Zoom drive speed p (0..7) moves (p+1) * 1000 units/s; standard speed is p = 3. */
const ZOOM_UNITS_PER_SPEED = 1000;
const ZOOM_STANDARD = 3;
export const POWER_ON_MS = 300;

interface Axis {
  pos: number;
  /** units per ms, signed; 0 when still */
  rate: number;
  /** where a positioning move stops; null for a drive that runs to the limit */
  target: number | null;
  since: number;
  min: number;
  max: number;
}

function axis(min: number, max: number): Axis {
  return { pos: 0, rate: 0, target: null, since: 0, min, max };
}

function positionAt(a: Axis, now: number): number {
  if (a.rate === 0) return a.pos;
  const moved = a.pos + a.rate * (now - a.since);
  const stop = a.target ?? (a.rate > 0 ? a.max : a.min);
  return a.rate > 0 ? Math.min(moved, stop) : Math.max(moved, stop);
}

function settle(a: Axis, now: number): void {
  a.pos = Math.round(positionAt(a, now));
  a.since = now;
  const stop = a.target ?? (a.rate > 0 ? a.max : a.min);
  if (a.rate !== 0 && a.pos === stop) {
    a.rate = 0;
    a.target = null;
  }
}

function drive(a: Axis, now: number, sign: number, unitsPerMs: number): void {
  settle(a, now);
  a.rate = sign * unitsPerMs;
  a.target = null;
}

/** Starts a move to `to`; returns the ms it takes. */
function moveTo(a: Axis, now: number, to: number, unitsPerMs: number): number {
  settle(a, now);
  const target = Math.max(a.min, Math.min(a.max, Math.round(to)));
  if (target === a.pos) {
    a.rate = 0;
    a.target = null;
    return 0;
  }
  a.rate = Math.sign(target - a.pos) * unitsPerMs;
  a.target = target;
  return Math.abs(target - a.pos) / unitsPerMs;
}

export interface Preset {
  pan: number;
  tilt: number;
  zoom: number;
}

/** What applying a command does: how long until its Completion, or the VISCA error code it gets. */
export type Outcome = { ms: number } | { error: number };

export class CameraModel {
  power = true;
  focus: 'auto' | 'manual' = 'auto';
  readonly presets = new Map<number, Preset>();
  private readonly pan = axis(LIMITS.panMin, LIMITS.panMax);
  private readonly tilt = axis(LIMITS.tiltMin, LIMITS.tiltMax);
  private readonly zoomAxis = axis(0, ZOOM_MAX);

  position(now: number): { pan: number; tilt: number; zoom: number } {
    return {
      pan: Math.round(positionAt(this.pan, now)),
      tilt: Math.round(positionAt(this.tilt, now)),
      zoom: Math.round(positionAt(this.zoomAxis, now)),
    };
  }

  moving(now: number): boolean {
    for (const a of [this.pan, this.tilt, this.zoomAxis]) {
      settle(a, now);
      if (a.rate !== 0) return true;
    }
    return false;
  }

  /** A positioning move's Completion is due: axes within a few ms of their target are there. (Timers may fire a
   *  little before the clock says the move is done; a camera that says Completion has arrived.) */
  arrive(now: number): void {
    for (const a of [this.pan, this.tilt, this.zoomAxis]) {
      if (a.target !== null && Math.abs(a.target - positionAt(a, now)) <= Math.abs(a.rate) * 2) {
        a.pos = a.target;
        a.since = now;
        a.rate = 0;
        a.target = null;
      }
    }
  }

  /** Stops pan/tilt (and zoom when `zoom`) where they are now: a cancelled positioning move. */
  halt(now: number, zoom = false): void {
    for (const a of zoom ? [this.pan, this.tilt, this.zoomAxis] : [this.pan, this.tilt]) {
      settle(a, now);
      a.rate = 0;
      a.target = null;
    }
  }

  apply(c: ViscaCommand, now: number): Outcome {
    if (c.op === 'power') {
      if (!c.on) this.halt(now, true);
      const was = this.power;
      this.power = c.on;
      return { ms: c.on && !was ? POWER_ON_MS : 0 };
    }
    if (c.op === 'if-clear') return { ms: 0 };
    // [D70] "Command not executable": most commands while the camera is in standby.
    if (!this.power) return { error: 0x41 };
    switch (c.op) {
      case 'pt-drive':
        this.drive(c.direction, c.panSpeed, c.tiltSpeed, now);
        return { ms: 0 };
      case 'pt-absolute':
      case 'pt-relative': {
        const here = this.position(now);
        const pan = c.op === 'pt-absolute' ? c.pan : here.pan + c.pan;
        const tilt = c.op === 'pt-absolute' ? c.tilt : here.tilt + c.tilt;
        return { ms: this.goTo(pan, tilt, c.speed, now) };
      }
      case 'pt-home':
        return { ms: this.goTo(0, 0, PAN_SPEED_MAX, now) };
      case 'zoom': {
        if (c.action === 'stop') {
          settle(this.zoomAxis, now);
          this.zoomAxis.rate = 0;
          this.zoomAxis.target = null;
          return { ms: 0 };
        }
        const p = (c.speed ?? ZOOM_STANDARD) + 1;
        drive(this.zoomAxis, now, c.action === 'tele' ? 1 : -1, (p * ZOOM_UNITS_PER_SPEED) / 1000);
        return { ms: 0 };
      }
      case 'zoom-direct':
        return { ms: moveTo(this.zoomAxis, now, c.position, (8 * ZOOM_UNITS_PER_SPEED) / 1000) };
      case 'focus-mode':
        this.focus = c.mode;
        return { ms: 0 };
      case 'memory': {
        if (c.action === 'reset') {
          this.presets.delete(c.n);
          return { ms: 0 };
        }
        if (c.action === 'set') {
          this.presets.set(c.n, this.position(now));
          return { ms: 0 };
        }
        // Recalling a preset never stored goes home, as Sony heads do with factory presets.
        const p = this.presets.get(c.n) ?? { pan: 0, tilt: 0, zoom: 0 };
        const ptMs = this.goTo(p.pan, p.tilt, PAN_SPEED_MAX, now);
        const zMs = moveTo(this.zoomAxis, now, p.zoom, (8 * ZOOM_UNITS_PER_SPEED) / 1000);
        return { ms: Math.max(ptMs, zMs) };
      }
    }
  }

  private drive(d: Direction, panSpeed: number, tiltSpeed: number, now: number): void {
    const ps = d.includes('left') ? -1 : d.includes('right') ? 1 : 0;
    const ts = d.startsWith('up') ? 1 : d.startsWith('down') ? -1 : 0;
    drive(this.pan, now, ps, (panSpeed * UNITS_PER_SPEED) / 1000);
    drive(this.tilt, now, ts, (tiltSpeed * UNITS_PER_SPEED) / 1000);
  }

  private goTo(pan: number, tilt: number, speed: number, now: number): number {
    const rate = (speed * UNITS_PER_SPEED) / 1000;
    return Math.max(moveTo(this.pan, now, pan, rate), moveTo(this.tilt, now, tilt, rate));
  }
}
