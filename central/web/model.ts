// What the page knows: every hall it may see, the group counts, the floor queue, the incidents, the meeting and the
// progress of operations, kept from the live feed's snapshot and diffs. Views subscribe to what they show and are
// told what changed (the halls by box id), so that they redraw only that.
import type {
  CarrierStatus, CommandProgress, GroupRow, HallRow, Incident, LiveMessage, Meeting, ProgressKind, QueueEntry, ReadyCounts, RollcallCounts, Visual,
} from '../wire.js';
import { byName, searchKey } from './dom.js';

export interface HallChange {
  /** Boxes whose row changed (or appeared). */
  changed: ReadonlySet<string>;
  /** Boxes gone from this page. */
  gone: ReadonlySet<string>;
  /** A hall appeared, went, or changed its groups: layouts must be rebuilt. */
  structural: boolean;
  snapshot: boolean;
}

export interface ProgressUpdate {
  command?: CommandProgress;
  rollcall?: { id: number; counts: RollcallCounts };
  readiness?: { id: number; counts: ReadyCounts };
}

/**
 * How far an operation has come. Its progress only moves forward: a report of less than the page has already seen is
 * an older one (the start's own answer, read after the live feed's first counts on a busy machine) and is dropped,
 * or the page would show it for good (a readiness sweep "pending" after 60 s: stressed run 93).
 */
const REACH: { [K in ProgressKind]: (p: NonNullable<ProgressUpdate[K]>) => number } = {
  command: (p) => p.answered + (p.done ? 1 : 0),
  rollcall: (p) => p.counts.answered + p.counts.confirmed,
  readiness: (p) => p.counts.passed + p.counts.failed + p.counts.offline,
};

type Listener<T> = (v: T) => void;

class Topic<T> {
  private readonly fns: Listener<T>[] = [];
  on(fn: Listener<T>): void {
    this.fns.push(fn);
  }
  emit(v: T): void {
    for (const fn of this.fns) fn(v);
  }
}

/** The first province group of a hall (its wall grid), or '' for none. */
export function provinceOf(row: HallRow): string {
  return row.groups.find((g) => g.startsWith('p-')) ?? '';
}

export class Model {
  readonly halls = new Map<string, HallRow>();
  /** searchKey(box + name), per box, for the filter. */
  readonly keys = new Map<string, string>();
  readonly groups = new Map<string, GroupRow>();
  /** Halls per visual state over every hall of this page. */
  readonly totals: Record<Visual, number> = { offline: 0, online: 0, 'in-meeting': 0, seen: 0, heard: 0, problem: 0 };
  floor: QueueEntry[] = [];
  incidents: Incident[] = [];
  meeting: Meeting | null = null;
  carriers: CarrierStatus[] = [];
  /** The latest progress of each operation seen, by kind and id. */
  readonly progress: { [K in ProgressKind]: Map<number, NonNullable<ProgressUpdate[K]>> } = {
    command: new Map(),
    rollcall: new Map(),
    readiness: new Map(),
  };
  seq = 0;
  /** Moves when a group appears, goes or is renamed (not when its counts change): what lists of groups depend on. */
  groupsVersion = 0;
  private byKind = new Map<GroupRow['kind'], { version: number; rows: GroupRow[] }>();

  readonly hallsChanged = new Topic<HallChange>();
  readonly groupsChanged = new Topic<ReadonlySet<string>>();
  readonly floorChanged = new Topic<QueueEntry[]>();
  readonly incidentsChanged = new Topic<Incident[]>();
  readonly meetingChanged = new Topic<Meeting | null>();
  readonly carriersChanged = new Topic<CarrierStatus[]>();
  readonly progressChanged = new Topic<ProgressUpdate>();

  apply(m: LiveMessage): void {
    this.seq = m.seq;
    const snapshot = m.t === 'snapshot';
    const changed = new Set<string>();
    const gone = new Set<string>();
    let structural = snapshot;
    if (snapshot) {
      this.halls.clear();
      this.keys.clear();
      this.groups.clear();
      this.groupsVersion++;
      for (const k of Object.keys(this.totals) as Visual[]) this.totals[k] = 0;
    }
    for (const row of m.halls) {
      const was = this.halls.get(row.box);
      if (was) this.totals[was.state]--;
      else structural = true;
      if (was && (was.groups.length !== row.groups.length || was.groups.some((g, i) => g !== row.groups[i]))) structural = true;
      this.totals[row.state]++;
      this.halls.set(row.box, row);
      if (!was || was.name !== row.name) this.keys.set(row.box, searchKey(`${row.box} ${row.name}`));
      changed.add(row.box);
    }
    for (const box of m.gone ?? []) {
      const was = this.halls.get(box);
      if (!was) continue;
      this.totals[was.state]--;
      this.halls.delete(box);
      this.keys.delete(box);
      gone.add(box);
      structural = true;
    }
    const groups = new Set<string>();
    for (const g of m.groups ?? []) {
      const was = this.groups.get(g.group);
      if (!was || was.name !== g.name || was.kind !== g.kind) this.groupsVersion++;
      this.groups.set(g.group, g);
      groups.add(g.group);
    }
    if (changed.size || gone.size || snapshot) this.hallsChanged.emit({ changed, gone, structural, snapshot });
    if (groups.size || snapshot) this.groupsChanged.emit(groups);
    if (m.floor) {
      this.floor = m.floor.queue;
      this.floorChanged.emit(this.floor);
    }
    if (m.incidents) {
      this.incidents = m.incidents;
      this.incidentsChanged.emit(this.incidents);
    }
    if (m.meeting !== undefined) {
      this.meeting = m.meeting;
      this.meetingChanged.emit(this.meeting);
    }
    if (m.carriers) {
      this.carriers = m.carriers;
      this.carriersChanged.emit(this.carriers);
    }
    const p: ProgressUpdate = {};
    if (m.command && this.keep('command', m.command)) p.command = m.command;
    if (m.rollcall && this.keep('rollcall', m.rollcall)) p.rollcall = m.rollcall;
    if (m.readiness && this.keep('readiness', m.readiness)) p.readiness = m.readiness;
    if (p.command || p.rollcall || p.readiness) this.progressChanged.emit(p);
  }

  /** Keeps `p` unless the page has seen this operation further along; says whether it kept it. */
  private keep<K extends ProgressKind>(kind: K, p: NonNullable<ProgressUpdate[K]>): boolean {
    const map = this.progress[kind] as Map<number, NonNullable<ProgressUpdate[K]>>;
    const had = map.get(p.id);
    if (had && REACH[kind](p) < REACH[kind](had)) return false;
    map.set(p.id, p);
    return true;
  }

  /**
   * An operation's progress from elsewhere than the feed (the answer to the request that started it): told to the
   * views like the feed's, unless the feed has already brought it further. Returns what the page now holds of it.
   */
  report<K extends ProgressKind>(kind: K, p: NonNullable<ProgressUpdate[K]>): NonNullable<ProgressUpdate[K]> {
    if (this.keep(kind, p)) this.progressChanged.emit({ [kind]: p });
    return (this.progress[kind] as Map<number, NonNullable<ProgressUpdate[K]>>).get(p.id)!;
  }

  /**
   * Groups of a kind, ordered by display name, each with its latest counts. The order is kept until groups come,
   * go or are renamed: a diff moves the counts of thousands of commune groups, and views ask on every diff.
   */
  groupsOf(kind: GroupRow['kind']): GroupRow[] {
    let c = this.byKind.get(kind);
    if (c?.version !== this.groupsVersion) {
      const rows = [...this.groups.values()].filter((g) => g.kind === kind).sort((a, b) => byName(a.name, b.name) || byName(a.group, b.group));
      this.byKind.set(kind, (c = { version: this.groupsVersion, rows }));
    }
    return c.rows.map((g) => this.groups.get(g.group)!);
  }

  groupName(group: string): string {
    return this.groups.get(group)?.name ?? group;
  }

  /** The newest operation of a kind this page has seen progress of. */
  latest<K extends ProgressKind>(kind: K): NonNullable<ProgressUpdate[K]> | null {
    let best: NonNullable<ProgressUpdate[K]> | null = null;
    for (const [id, v] of this.progress[kind]) if (!best || id > (best as { id: number }).id) best = v as NonNullable<ProgressUpdate[K]>;
    return best;
  }
}
