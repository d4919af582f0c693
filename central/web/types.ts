// What the server sends the page (docs/console.md; central/fleet/hall.ts HallRow, central/http/live.ts). Kept apart
// from the server's own types: the page is compiled for the browser, with no Node types.
export type Visual = 'problem' | 'heard' | 'seen' | 'in-meeting' | 'online' | 'offline';

export interface HallRow {
  box: string;
  name: string;
  carrier: string;
  groups: string[];
  state: Visual;
  presence: 'online' | 'offline';
  version: string | null;
  media: { status: string; seen: boolean; heard: boolean; muted: boolean } | null;
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

export interface GroupRow {
  group: string;
  kind: 'province' | 'commune' | 'other';
  name: string;
  counts: Counts;
}

export interface QueueEntry {
  box: string;
  name: string;
  status: 'requested' | 'granted' | 'called' | 'declined';
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
  hasToken: boolean;
  createdBy: string;
  createdAt: string;
  endedAt: string | null;
}

export interface CarrierStatus {
  name: string;
  connected: boolean;
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

export interface Operator {
  username: string;
  role: 'national' | 'provincial' | 'viewer';
  groups: string[];
}

/** `{all: true}` or groups and boxes (docs/console.md, "Scope"). */
export interface Scope {
  all?: true;
  groups?: string[];
  boxes?: string[];
}
