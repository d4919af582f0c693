// The agent's view of the media path. The controller lives in the agent process and runs the media worker (a
// child process: @roamhq/wrtc can crash at peer close and exit). See issue 5 and docs/architecture.md.
import type { EventEmitter } from 'node:events';
import type { CommandSpec } from '../../core/commands/define.js';

export interface MediaReport {
  /** idle | joining | joined | recovering | failed */
  status: string;
  room?: string | number;
  /** The bridge receives our video (frames acknowledged by RTCP). */
  seen: boolean;
  /** The bridge receives our audio (RTCP receiver reports with packets advancing, mic level > 0). */
  heard: boolean;
  muted: boolean;
  audioOnly: boolean;
  stats?: {
    bitrateKbps?: number;
    fps?: number;
    width?: number;
    height?: number;
    lossPct?: number;
    jitterMs?: number;
    rttMs?: number;
    framesDropped?: number;
  };
  error?: { code: string; message: string };
}

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
}
