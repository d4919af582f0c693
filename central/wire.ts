// What the console server sends its page and API clients (docs/console.md): the shapes of the JSON, written once,
// for both sides. Types only, and no imports: the page (central/web, compiled for the browser with its own
// tsconfig and no Node types) includes this file, and imports it with `import type` alone, so the browser never
// loads it. The server's modules take their wire types from here (fleet/hall.ts HallRow, ops/floor.ts QueueEntry...).

/** A hall's state as the wall colours it, the highest that applies. */
export type Visual = 'problem' | 'heard' | 'seen' | 'in-meeting' | 'online' | 'offline';

export interface MediaView {
  status: string;
  seen: boolean;
  heard: boolean;
  muted: boolean;
}

/** What the page and the API show of a hall (docs/console.md, HallRow). */
export interface HallRow {
  box: string;
  name: string;
  carrier: string;
  groups: string[];
  state: Visual;
  presence: 'online' | 'offline';
  version: string | null;
  media: MediaView | null;
  floor: string | null;
  problem: string | null;
}

export interface Counts {
  total: number;
  offline: number;
  online: number;
  inMeeting: number;
  seen: number;
  heard: number;
  problem: number;
}

/** The kind of a group, from its prefix (contract.ts groupKind). */
export type GroupKind = 'province' | 'commune' | 'other';

export interface GroupRow {
  group: string;
  kind: GroupKind;
  name: string;
  counts: Counts;
}

export type FloorStatus = 'requested' | 'granted' | 'called' | 'declined';

export interface QueueEntry {
  box: string;
  name: string;
  status: FloorStatus;
  requestedAt: string;
  error?: string;
}

export interface Incident {
  box: string;
  name: string;
  reason: string;
  since: string;
  openedAt: string;
  meeting: number | null;
}

export interface Meeting {
  id: number;
  title: string;
  bridge: string;
  room: string | number;
  /** The bridge token is never shown; whether there is one is. */
  hasToken: boolean;
  createdBy: string;
  createdAt: string;
  endedAt: string | null;
}

export interface CarrierStatus {
  name: string;
  connected: boolean;
  /** When it last connected or dropped (ISO), null before the first attempt ended. */
  since: string | null;
  connects: number;
}

export interface CommandProgress {
  id: number;
  command: string;
  asked: number;
  answered: number;
  ok: number;
  failed: number;
  reached?: number;
  done: boolean;
}

export interface RollcallCounts {
  asked: number;
  answered: number;
  heard: number;
  confirmed: number;
  missing: number;
}

export interface ReadyCounts {
  passed: number;
  failed: number;
  offline: number;
  pending: number;
}

export type ProgressKind = 'command' | 'rollcall' | 'readiness';

/** A message of the live feed (`GET /api/live`): a snapshot, then batched diffs. */
export interface LiveMessage {
  t: 'snapshot' | 'diff';
  seq: number;
  halls: HallRow[];
  gone?: string[];
  groups?: GroupRow[];
  floor?: { queue: QueueEntry[] };
  incidents?: Incident[];
  meeting?: Meeting | null;
  carriers?: CarrierStatus[];
  command?: CommandProgress;
  rollcall?: { id: number; counts: RollcallCounts };
  readiness?: { id: number; counts: ReadyCounts };
}

export type Role = 'national' | 'provincial' | 'viewer';

export interface Operator {
  username: string;
  role: Role;
  /** Granted groups: a provincial operator's halls (at least one); a viewer with groups sees only those. */
  groups: string[];
}

/** `{all: true}` or groups and boxes (docs/console.md, "Scope"); the server checks it against ops/scope.ts ScopeSchema. */
export interface Scope {
  all?: true;
  groups?: string[];
  boxes?: string[];
}
