// A hall's recent past for the detail view: telemetry and media figures over the last 10 minutes and its last
// errors. Numbers live in Float64Array rings that start small and grow to their capacity as samples come (10,400
// halls of object arrays cost tens of MB; full-size rings for every hall would cost a hundred).
export const HISTORY_MS = 10 * 60_000;

/** A ring of rows of `fields` numbers plus a time; NaN stands for null. */
export class Ring {
  private data: Float64Array;
  private head = 0;
  private count = 0;
  private rows = 4;

  constructor(
    private readonly fields: readonly string[],
    private readonly capacity: number,
  ) {
    this.data = new Float64Array(this.rows * (fields.length + 1));
  }

  /** Doubles the room (up to capacity) while the ring is still filling: rows stay in order, oldest first. */
  private grow(): void {
    const w = this.fields.length + 1;
    this.rows = Math.min(this.capacity, this.rows * 2);
    const next = new Float64Array(this.rows * w);
    next.set(this.data.subarray(0, this.count * w));
    this.data = next;
    this.head = this.count;
  }

  push(ts: number, values: ReadonlyArray<number | null | undefined>): void {
    if (this.count === this.rows && this.rows < this.capacity) this.grow();
    const w = this.fields.length + 1;
    const at = this.head * w;
    this.data[at] = ts;
    for (let i = 0; i < this.fields.length; i++) {
      const v = values[i];
      this.data[at + 1 + i] = typeof v === 'number' && Number.isFinite(v) ? v : NaN;
    }
    this.head = (this.head + 1) % this.rows;
    this.count = Math.min(this.count + 1, this.rows);
  }

  /** Rows newer than `since`, oldest first, as `{ts, <field>: number | null}`. */
  since(since: number): Array<Record<string, number | string | null>> {
    const w = this.fields.length + 1;
    const out: Array<Record<string, number | string | null>> = [];
    for (let k = this.count; k > 0; k--) {
      const at = ((this.head - k + this.rows) % this.rows) * w;
      const ts = this.data[at];
      if (ts < since) continue;
      const row: Record<string, number | string | null> = { ts: new Date(ts).toISOString() };
      this.fields.forEach((f, i) => {
        const v = this.data[at + 1 + i];
        row[f] = Number.isNaN(v) ? null : v;
      });
      out.push(row);
    }
    return out;
  }
}

export interface HallError {
  ts: number;
  where: string;
  code: string;
  message: string;
}

const TELEMETRY = ['cpuPct', 'rssMb', 'tempC'] as const;
const MEDIA = ['bitrateKbps', 'fps', 'lossPct', 'rttMs'] as const;

export class HallHistory {
  /** 10 minutes of telemetry at 5 s, of media figures at 5 s: more is dropped oldest first. */
  readonly telemetry = new Ring(TELEMETRY, 120);
  readonly media = new Ring(MEDIA, 120);
  private readonly errors: HallError[] = [];

  addTelemetry(ts: number, t: Record<string, unknown>): void {
    this.telemetry.push(ts, TELEMETRY.map((f) => t[f] as number | null));
  }

  addMedia(ts: number, stats: Record<string, unknown>): void {
    this.media.push(ts, MEDIA.map((f) => stats[f] as number | null));
  }

  addError(e: HallError): void {
    const last = this.errors[this.errors.length - 1];
    if (last && last.where === e.where && last.code === e.code && last.message === e.message) return; // a repeat
    this.errors.push(e);
    if (this.errors.length > 20) this.errors.shift();
  }

  view(now: number): { telemetry: unknown[]; media: unknown[]; errors: unknown[] } {
    const since = now - HISTORY_MS;
    return {
      telemetry: this.telemetry.since(since),
      media: this.media.since(since),
      errors: this.errors.filter((e) => e.ts >= since).map((e) => ({ ...e, ts: new Date(e.ts).toISOString() })),
    };
  }
}
