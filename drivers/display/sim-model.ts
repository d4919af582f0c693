// What a simulated display remembers (power, input, volume, mute) and the knobs that make it misbehave the way
// real sets do: say nothing, say garbage, answer late, or refuse. Shared by the Samsung and LG simulators.

export interface SimDisplayModel {
  power: boolean;
  /** Input code in the protocol's own numbering. */
  input: number;
  volume: number;
  mute: boolean;
}

export interface SimFaults {
  /** Answer nothing (a set that is unplugged from mains but whose cable is still in). */
  silent: boolean;
  /** Put this many random bytes on the line before each reply. */
  garbageBytes: number;
  /** Hold each reply this long. */
  lateMs: number;
  /** Refuse every command with this error code (MDC ERR byte / LG NG data). */
  refuseWith: number | null;
  /** Send only the first half of each reply (a line that drops out mid-frame). */
  truncate: boolean;
  /** Commands not answered (MDC command byte, or LG command like `ka`): a set that ignores some while booting. */
  ignore: Array<number | string>;
}

export function defaultFaults(): SimFaults {
  return { silent: false, garbageBytes: 0, lateMs: 0, refuseWith: null, truncate: false, ignore: [] };
}

/** Sends replies with the faults applied; owns the timers of late replies so stop() can cancel them. */
export class SimReplier {
  private readonly timers = new Set<NodeJS.Timeout>();
  /** Commands the simulator received (for tests and the bench). */
  received = 0;

  constructor(
    private readonly send: (bytes: Buffer) => void,
    readonly faults: SimFaults,
  ) {}

  reply(bytes: Buffer): void {
    if (this.faults.silent) return;
    const garbage = Buffer.alloc(this.faults.garbageBytes);
    // Garbage that never contains a frame start, so the reply after it stays findable (like line noise).
    for (let i = 0; i < garbage.length; i++) garbage[i] = Math.floor(Math.random() * 0xa0);
    const body = this.faults.truncate ? bytes.subarray(0, Math.max(1, bytes.length >> 1)) : bytes;
    const out = garbage.length ? Buffer.concat([garbage, body]) : body;
    if (this.faults.lateMs > 0) {
      const t = setTimeout(() => {
        this.timers.delete(t);
        this.send(out);
      }, this.faults.lateMs);
      this.timers.add(t);
    } else this.send(out);
  }

  stop(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }
}
