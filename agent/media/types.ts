// The agent's view of the media path. The controller lives in the agent process and runs the media worker (a
// child process: @roamhq/wrtc can crash at peer close and exit). See issue 5 and docs/architecture.md.
import type { EventEmitter } from 'node:events';
import type { CommandSpec } from '../../core/commands/define.js';
import type { Static } from '../../core/schema/type.js';
import type { MediaSection, ProcessHealth, SnapshotAnswer } from '../../core/payloads.js';
import type { CardSpec } from './programme/card.js';

/** The room's level over the worker's last 200 ms, dBFS (null: silence or no mic), and when it came (ms). */
export interface MicLevel {
  rmsDbfs: number | null;
  peakDbfs: number | null;
  at: number;
}

/** The media report, published as `state.media`: its schema is core/payloads.ts's MediaSection. */
export type MediaReport = Static<typeof MediaSection>;

/**
 * Events: 'change' () when report() changed.
 * Commands (join, leave, mute, unmute, audio-only, quality, selftest) are offered through commands(), named
 * `media.<verb>` or plain `join`/`leave`, as docs/mqtt.md lists.
 */
export interface MediaPath extends EventEmitter {
  start(): Promise<void>;
  stop(): Promise<void>;
  report(): MediaReport;
  commands(): CommandSpec[];
  setMuted(muted: boolean): Promise<void>;
  toggleMuted(): Promise<void>;
  setAudioOnly(on: boolean): Promise<void>;
  /** The region's bridge (media.bridge) changed: a hall in a meeting on another bridge moves there. */
  setBridge(url: string | undefined): Promise<void>;
  /** A line of text drawn onto the programme the hall's TV shows (null: none); kept across worker restarts. */
  setBanner(text: string | null): void;
  /** What the hall's TV shows while no meeting does (card.ts; null: nothing); kept across worker restarts. */
  setCard(card: CardSpec | null): void;
  /** Keep camera and mic running outside a meeting, for micLevel() and the snapshot (the technician page). */
  setMonitor(on: boolean): void;
  micLevel(): MicLevel | null;
  /** A JPEG of what the camera sees now; refused while the meeting is private; logged with `by`. */
  snapshot(by: string): Promise<SnapshotAnswer>;
  /** A JPEG of what the hall's TV is given now. */
  tvStill(): Promise<SnapshotAnswer>;
  /** The worker process's own last health reading (process-health.ts), for telemetry; null before the first. */
  workerHealth?(): ProcessHealth | null;
}
