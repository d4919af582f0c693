// What the agent knows about the camera: power, position, focus from polls; `moving` and `activePreset` from the
// commands it sent, because a camera cannot say which preset it is at, nor (reliably) whether a drive still runs.
// Pure bookkeeping: the driver calls begin/end around each command and `polled` with each poll's answers.
import type { ViscaCommand } from './visca-protocol.js';

export interface CameraState {
  power: 'on' | 'standby' | null;
  pan: number | null;
  tilt: number | null;
  zoom: number | null;
  focus: 'auto' | 'manual' | null;
  /** The preset last recalled or stored; null once anything else moved the head or zoom. */
  activePreset: number | null;
  moving: boolean;
}

/** Commands that end (Completion) only when the head or lens has arrived. */
export function isPositioning(c: ViscaCommand): boolean {
  return c.op === 'pt-absolute' || c.op === 'pt-relative' || c.op === 'pt-home' || c.op === 'zoom-direct' || (c.op === 'memory' && c.action === 'recall');
}

export class CameraStateTracker {
  private s: CameraState = { power: null, pan: null, tilt: null, zoom: null, focus: null, activePreset: null, moving: false };
  /** Drives run until a stop; positioning moves until their Completion. Together they say `moving`. */
  private driving = { pt: false, zoom: false };
  private positioning = 0;
  private readonly changed: () => void;

  constructor(changed: () => void) {
    this.changed = changed;
  }

  get state(): CameraState {
    return { ...this.s };
  }

  /** A command is about to be sent. */
  begin(c: ViscaCommand): void {
    if (isPositioning(c)) this.positioning++;
    if (c.op === 'pt-drive' && c.direction !== 'stop') this.driving.pt = true;
    if (c.op === 'zoom' && c.action !== 'stop') this.driving.zoom = true;
    if (isPositioning(c) || (c.op === 'pt-drive' && c.direction !== 'stop') || (c.op === 'zoom' && c.action !== 'stop')) {
      this.patch({ activePreset: null });
    }
    this.recompute();
  }

  /** The command got its Completion (ok) or an error/timeout (not ok). */
  end(c: ViscaCommand, ok: boolean): void {
    if (isPositioning(c)) this.positioning--;
    if (c.op === 'pt-drive' && (ok ? c.direction === 'stop' : c.direction !== 'stop')) this.driving.pt = false;
    if (c.op === 'zoom' && (ok ? c.action === 'stop' : c.action !== 'stop')) this.driving.zoom = false;
    if (ok) {
      if (c.op === 'power') this.patch({ power: c.on ? 'on' : 'standby' });
      if (c.op === 'power' && !c.on) this.driving = { pt: false, zoom: false };
      if (c.op === 'focus-mode') this.patch({ focus: c.mode });
      if (c.op === 'memory' && c.action !== 'reset') this.patch({ activePreset: c.n });
    }
    this.recompute();
  }

  /** A poll's answers. `idle`: no command of ours is queued or running. */
  polled(p: Partial<Pick<CameraState, 'power' | 'pan' | 'tilt' | 'zoom' | 'focus'>>, idle: boolean): void {
    const was = this.s;
    const still = p.pan !== undefined && was.pan === p.pan && was.tilt === p.tilt && was.zoom === p.zoom;
    this.patch(p);
    // A drive ends at a mechanical limit without any reply: two equal polls in a row mean the head stands still.
    if (still && this.s.moving && idle) {
      this.driving = { pt: false, zoom: false };
      this.recompute();
    }
  }

  private recompute(): void {
    this.patch({ moving: this.driving.pt || this.driving.zoom || this.positioning > 0 });
  }

  private patch(p: Partial<CameraState>): void {
    const next = { ...this.s, ...p };
    if (JSON.stringify(next) === JSON.stringify(this.s)) return;
    this.s = next;
    this.changed();
  }
}
