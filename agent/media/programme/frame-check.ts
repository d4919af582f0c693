// Counts and checks received stamped frames (frame-stamp.ts): order, gaps and capture-to-receive latency. The
// programme sink of the worker until the player takes over, and the judge in tests and the bench.
import { stampAgeMs, type Stamp } from '../frames/frame-stamp.js';

export interface FrameCheckReport {
  /** Frames decoded with a valid stamp. */
  frames: number;
  /** Frames whose stamp did not verify. */
  unreadable: number;
  /** Frames with a counter lower than one already seen. */
  outOfOrder: number;
  /** Same counter twice in a row (a repeated frame). */
  repeats: number;
  /** Counters skipped between consecutive frames (sender drops, encoder drops, network loss). */
  missing: number;
  firstCounter: number | null;
  lastCounter: number | null;
  latencyP50Ms: number | null;
  latencyP95Ms: number | null;
  latencyMaxMs: number | null;
}

export class FrameCheck {
  private frames = 0;
  private unreadable = 0;
  private outOfOrder = 0;
  private repeats = 0;
  private missing = 0;
  private first: number | null = null;
  private last: number | null = null;
  /** Fixed ring of the latest latencies: bounded memory over hours of programme. */
  private readonly lat: Float64Array;
  private latN = 0;

  constructor(keep = 20000) {
    this.lat = new Float64Array(keep);
  }

  /** One decoded frame: its stamp (null if unreadable) and when it was decoded. */
  add(stamp: Stamp | null, nowMs = Date.now()): void {
    if (!stamp) {
      this.unreadable++;
      return;
    }
    this.frames++;
    if (this.last !== null) {
      if (stamp.counter === this.last) this.repeats++;
      else if (stamp.counter < this.last) this.outOfOrder++;
      else this.missing += stamp.counter - this.last - 1;
    } else this.first = stamp.counter;
    if (this.last === null || stamp.counter > this.last) this.last = stamp.counter;
    this.lat[this.latN % this.lat.length] = stampAgeMs(stamp, nowMs);
    this.latN++;
  }

  /** Latencies kept, oldest first (at most the ring size). */
  latencies(): number[] {
    const n = Math.min(this.latN, this.lat.length);
    const out: number[] = [];
    for (let i = this.latN - n; i < this.latN; i++) out.push(this.lat[i % this.lat.length]);
    return out;
  }

  report(): FrameCheckReport {
    const sorted = this.latencies().sort((a, b) => a - b);
    const pct = (p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] : null);
    return {
      frames: this.frames,
      unreadable: this.unreadable,
      outOfOrder: this.outOfOrder,
      repeats: this.repeats,
      missing: this.missing,
      firstCounter: this.first,
      lastCounter: this.last,
      latencyP50Ms: pct(50),
      latencyP95Ms: pct(95),
      latencyMaxMs: sorted.length ? sorted[sorted.length - 1] : null,
    };
  }
}
