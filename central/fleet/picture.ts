// The live picture of every hall: the halls, which groups each is in, and per group how many halls show each visual
// state. Every message changes one hall, and the counts move by that hall alone (10,400 halls: nothing is rescanned
// per message). What changed since the last look is kept as sets the live feed drains every 100 ms.
import { Hall, type MediaView, type Visual } from './hall.js';
import { groupKind } from '../contract.js';
import type { Counts, GroupRow } from '../wire.js';

export type { Counts, GroupRow };

const KEY: Record<Visual, keyof Counts> = {
  offline: 'offline',
  online: 'online',
  'in-meeting': 'inMeeting',
  seen: 'seen',
  heard: 'heard',
  problem: 'problem',
};

/** How a hall was before a change, for whoever follows transitions (incidents, join progress). */
export interface Before {
  visual: Visual;
  presence: 'online' | 'offline';
  media: MediaView | null;
  isNew: boolean;
}

export type ChangeListener = (hall: Hall, before: Before) => void;

const zero = (): Counts => ({ total: 0, offline: 0, online: 0, inMeeting: 0, seen: 0, heard: 0, problem: 0 });

export class Picture {
  readonly halls = new Map<string, Hall>();
  private readonly members = new Map<string, Set<string>>();
  private readonly counts = new Map<string, Counts>();
  private dirtyHalls = new Set<string>();
  private dirtyGroups = new Set<string>();
  private readonly listeners: ChangeListener[] = [];
  private readonly creators: Array<(h: Hall) => void> = [];
  private sorted: Hall[] | null = null;
  /** Goes up with every change of a row: what was built of every row is still good while it stays. */
  version = 0;

  constructor(private readonly groupNames: Readonly<Record<string, string>> = {}) {}

  onChange(fn: ChangeListener): void {
    this.listeners.push(fn);
  }

  /** Calls `fn` on each hall as it first appears, before its first change is counted (what the server keeps of it). */
  onCreate(fn: (h: Hall) => void): void {
    this.creators.push(fn);
  }

  get(box: string): Hall | undefined {
    return this.halls.get(box);
  }

  /** Changes one hall (creating it on its carrier if new) and moves the counts of its groups by it. */
  update(box: string, carrier: string | null, mutate: (h: Hall) => void): Hall | undefined {
    let h = this.halls.get(box);
    const isNew = !h;
    if (!h) {
      if (carrier === null) return undefined;
      h = new Hall(box, carrier);
      this.halls.set(box, h);
      this.sorted = null;
      for (const fn of this.creators) fn(h);
    }
    if (carrier !== null) h.carrier = carrier;
    const before: Before = { visual: h.visual, presence: h.presence, media: h.media, isNew };
    const groupsBefore = h.groups;
    mutate(h);
    const changed = h.refresh() || isNew;
    this.recount(h, isNew ? [] : groupsBefore, before.visual, isNew);
    if (!changed) return h;
    this.version++;
    this.dirtyHalls.add(box);
    for (const fn of this.listeners) fn(h, before);
    return h;
  }

  private recount(h: Hall, groupsBefore: string[], visualBefore: Visual, isNew: boolean): void {
    const same = !isNew && groupsBefore.length === h.groups.length && groupsBefore.every((g, i) => g === h.groups[i]);
    if (same && visualBefore === h.visual) return;
    for (const g of groupsBefore) {
      const c = this.counts.get(g)!;
      c.total--;
      c[KEY[visualBefore]]--;
      this.members.get(g)!.delete(h.box);
      this.dirtyGroups.add(g);
      if (c.total === 0) {
        this.counts.delete(g);
        this.members.delete(g);
      }
    }
    for (const g of h.groups) {
      let c = this.counts.get(g);
      if (!c) {
        c = zero();
        this.counts.set(g, c);
        this.members.set(g, new Set());
      }
      c.total++;
      c[KEY[h.visual]]++;
      this.members.get(g)!.add(h.box);
      this.dirtyGroups.add(g);
    }
  }

  /** The boxes in group `g` (empty if none). */
  membersOf(g: string): ReadonlySet<string> {
    return this.members.get(g) ?? new Set();
  }

  groupRow(g: string): GroupRow {
    return { group: g, kind: groupKind(g), name: this.groupNames[g] ?? g, counts: { ...(this.counts.get(g) ?? zero()) } };
  }

  groups(): string[] {
    return [...this.counts.keys()].sort();
  }

  /** Every hall, ordered by box id. */
  list(): readonly Hall[] {
    return (this.sorted ??= [...this.halls.values()].sort((a, b) => (a.box < b.box ? -1 : a.box > b.box ? 1 : 0)));
  }

  /** What changed since the last drain: the live feed's input. */
  drain(): { halls: string[]; groups: string[] } {
    const out = { halls: [...this.dirtyHalls], groups: [...this.dirtyGroups] };
    this.dirtyHalls = new Set();
    this.dirtyGroups = new Set();
    return out;
  }
}
