// The agent's view of the media path. The controller lives in the agent process and runs the media worker (a
// child process: @roamhq/wrtc can crash at peer close and exit). See issue 5 and docs/architecture.md.
import type { EventEmitter } from 'node:events';
import type { CommandSpec } from '../../core/commands/define.js';
import type { Static } from '../../core/schema/type.js';
import type { MediaSection } from '../../core/payloads.js';

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
  /** A line of text drawn onto the programme the hall's TV shows (null: none); kept across worker restarts. */
  setBanner(text: string | null): void;
}
