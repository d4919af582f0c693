// A hall's recent past for the detail view: telemetry and media figures over the last 10 minutes and its last
// errors. Numbers live in fixed Float64Array rings (10,400 halls of object arrays cost tens of MB; these do not).
export const HISTORY_MS = 10 * 60_000;

/** A ring of rows of `fields` numbers plus a time; NaN stands for null. */
export class Ring {
  private readonly data: Float64Array;
  private head = 0;
  private count = 0;

  constructor(
    private readonly fields: readonly string[],
    private readonly capacity: number,
  ) {
    this.data = new Float64Array(capacity * (fields.length + 1));
  }

  push(ts: number, values: ReadonlyArray<number | null | undefined>): void {
    const w = this.fields.length + 1;
    const at = this.head * w;
    this.data[at] = ts;
    for (let i = 0; i < this.fields.length; i++) {
      const v = values[i];
      this.data[at + 1 + i] = typeof v === 'number' && Number.isFinite(v) ? v : NaN;
    }
    this.head = (this.head + 1) % this.capacity;
    this.count = Math.min(this.count + 1, this.capacity);
  }

  /** Rows newer than `since`, oldest first, as `{ts, <field>: number | null}`. */
  since(since: number): Array<Record<string, number | string | null>> {
    const w = this.fields.length + 1;
    const out: Array<Record<string, number | string | null>> = [];
    for (let k = this.count; k > 0; k--) {
      const at = ((this.head - k + this.capacity) % this.capacity) * w;
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
  /** 10 minutes of telemetry at 5 s, of media figures at 2.5 s: more is dropped oldest first. */
  readonly telemetry = new Ring(TELEMETRY, 120);
  readonly media = new Ring(MEDIA, 240);
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
