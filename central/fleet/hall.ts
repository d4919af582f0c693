// One hall as the console knows it, from what its box publishes (docs/mqtt.md): retained presence and state, and
// telemetry. Reading is tolerant (an older or newer agent may lack or add fields); what matters to operators is
// boiled down to the HallRow and the visual state, the highest that applies of: problem, heard, seen, in-meeting,
// online, offline.
import { HallHistory } from './history.js';
import type { HallRow, MediaView, Visual } from '../wire.js';

export type { HallRow, MediaView, Visual };
export const VISUALS: readonly Visual[] = ['offline', 'online', 'in-meeting', 'seen', 'heard', 'problem'];

const BAD_HEALTH = new Set(['missing', 'error', 'not answering']);
const IN_MEETING = new Set(['joining', 'joined', 'recovering']);

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

export class Hall {
  name: string;
  groups: string[] = [];
  presence: 'online' | 'offline' = 'offline';
  /** Server time of the last presence message (a broker restart's rebuild looks at it). */
  presenceAt = 0;
  version: string | null = null;
  media: MediaView | null = null;
  /** media.room, to find the hall's feed for a preview. */
  room: string | number | null = null;
  mediaError: string | null = null;
  deviceProblem: string | null = null;
  /** The open incident's reason (ops/incidents.ts sets it). */
  incident: string | null = null;
  /** `state.hall.rollcall` of agents that have roll calls: the last roll call it was asked to confirm. */
  rollcall: { id: string; confirmedAt: string | null } | null = null;
  /** The floor queue's status for this hall (ops/floor.ts sets it). */
  floor: string | null = null;
  /** The last retained state as received (UTF-8, in its own memory): the detail view shows it. */
  stateRaw: Buffer | null = null;
  stateAt = 0;
  visual: Visual = 'offline';
  problem: string | null = null;
  /** The row as JSON: built once per change, shared by every page. */
  rowJson = '';
  private health = new Map<string, string>();
  private hist: HallHistory | null = null;

  constructor(
    readonly box: string,
    public carrier: string,
  ) {
    this.name = box;
  }

  get history(): HallHistory {
    return (this.hist ??= new HallHistory());
  }

  get inMeeting(): boolean {
    return this.media !== null && IN_MEETING.has(this.media.status);
  }

  applyPresence(p: Obj, now: number): void {
    this.presence = p.state === 'online' ? 'online' : 'offline';
    this.presenceAt = now;
    this.version = str(p.version) ?? this.version;
  }

  /** Takes a retained state document; records device and media errors into the history as they appear. */
  applyState(s: Obj, raw: Buffer, now: number): void {
    // A copy outside Buffer's shared pool: keeping a slice of the packet would keep its whole 8 kB slab alive.
    this.stateRaw = Buffer.allocUnsafeSlow(raw.length);
    raw.copy(this.stateRaw);
    this.stateAt = now;
    if (isObj(s.hall)) {
      this.name = str(s.hall.name) ?? this.name;
      if (Array.isArray(s.hall.groups)) this.groups = s.hall.groups.filter((g): g is string => typeof g === 'string');
      const rc = s.hall.rollcall;
      this.rollcall = isObj(rc) && (typeof rc.id === 'string' || typeof rc.id === 'number') ? { id: String(rc.id), confirmedAt: str(rc.confirmedAt) } : null;
    }
    if (isObj(s.agent)) this.version = str(s.agent.version) ?? this.version;
    this.readDevices(isObj(s.devices) ? s.devices : {}, now);
    this.readMedia(isObj(s.media) ? s.media : null, now);
    if (isObj(s.config) && s.config.status === 'refused' && isObj(s.config.refused)) {
      const r = s.config.refused;
      this.history.addError({ ts: now, where: 'config', code: str(r.code) ?? 'refused', message: str(r.message) ?? '' });
    }
  }

  private readDevices(devices: Obj, now: number): void {
    const bad: string[] = [];
    const seen = new Set<string>();
    for (const [id, d] of Object.entries(devices)) {
      if (!isObj(d) || !isObj(d.health)) continue;
      const status = str(d.health.status) ?? 'unknown';
      seen.add(id);
      if (BAD_HEALTH.has(status)) {
        bad.push(`${id} ${status}`);
        if (this.health.get(id) !== status) {
          this.history.addError({ ts: now, where: id, code: str(d.health.code) ?? status, message: str(d.health.message) ?? status });
        }
      }
      this.health.set(id, status);
    }
    for (const id of this.health.keys()) if (!seen.has(id)) this.health.delete(id);
    this.deviceProblem = bad.length ? bad.join(', ') : null;
  }

  private readMedia(m: Obj | null, now: number): void {
    if (!m) {
      this.media = null;
      this.mediaError = null;
      return;
    }
    this.media = { status: str(m.status) ?? 'idle', seen: m.seen === true, heard: m.heard === true, muted: m.muted === true };
    this.room = typeof m.room === 'number' || typeof m.room === 'string' ? m.room : null;
    const err = isObj(m.error) ? m.error : null;
    const was = this.mediaError;
    this.mediaError = err ? `${str(err.code) ?? 'error'}: ${str(err.message) ?? ''}` : null;
    if (err && this.mediaError !== was) this.history.addError({ ts: now, where: 'media', code: str(err.code) ?? 'error', message: str(err.message) ?? '' });
    if (isObj(m.stats) && this.inMeeting) this.history.addMedia(now, m.stats);
  }

  /** Recomputes the visual state, the problem and the row; true when the row changed. */
  refresh(): boolean {
    const [visual, problem] = this.judge();
    this.visual = visual;
    this.problem = problem;
    const row: HallRow = {
      box: this.box,
      name: this.name,
      carrier: this.carrier,
      groups: this.groups,
      state: visual,
      presence: this.presence,
      version: this.version,
      media: this.media,
      floor: this.floor,
      problem,
    };
    const json = JSON.stringify(row);
    if (json === this.rowJson) return false;
    this.rowJson = json;
    return true;
  }

  private judge(): [Visual, string | null] {
    if (this.incident) return ['problem', this.incident];
    if (this.presence !== 'online') return ['offline', null]; // what the state says of devices is stale
    if (this.media?.status === 'failed') return ['problem', `media failed${this.mediaError ? `: ${this.mediaError}` : ''}`];
    if (this.deviceProblem) return ['problem', this.deviceProblem];
    if (this.media?.status === 'joined') {
      if (this.media.heard) return ['heard', null];
      if (this.media.seen) return ['seen', null];
    }
    return this.inMeeting ? ['in-meeting', null] : ['online', null];
  }
}
