// What operations tell the live feed (http/live.ts): progress of an operation (with the halls it concerns, so a
// page is sent only what its operator may see), and that the floor queue, the incidents or the meeting changed.
import type { ProgressKind } from '../wire.js';

export type { ProgressKind };

export interface LiveSink {
  progress(kind: ProgressKind, id: number, body: Record<string, unknown>, boxes: ReadonlySet<string>): void;
  floorChanged(): void;
  incidentsChanged(): void;
  meetingChanged(): void;
}

/** For tools that run operations without pages (the CLI). */
export const noLive: LiveSink = { progress() {}, floorChanged() {}, incidentsChanged() {}, meetingChanged() {} };
