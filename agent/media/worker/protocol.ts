// Messages between the controller (agent process) and the media worker (child process), over Node's IPC channel.
// Plain JSON; the worker validates nothing it did not get from the controller, which validated commands already.
import type { MediaReport } from '../types.js';
import type { MediaConfig } from '../../../core/config/media.js';
import type { FeedSelector } from '../signalling/types.js';
import type { HeapStats } from '../../heap-collect.js';
import type { EchoCalibration } from '../room-audio/echo-calibrate.js';
import type { CardSpec } from '../programme/card.js';
import type { ProcessHealth, SnapshotAnswer } from '../../../core/payloads.js';

export type Quality = '720p' | '540p' | '360p';

export interface JoinRequest {
  bridge: string;
  room: number | string;
  token?: string;
  display?: string;
  /** A private meeting: the controller takes no camera snapshot while it lasts. */
  private?: boolean;
  /** Send camera and mic (default true). */
  publish?: boolean;
  /** Remote publisher to receive as the programme (default: cfg.programme by display; null: none). */
  programme?: FeedSelector | null;
  /** Ask the bridge for a playout delay of at most this many ms on the programme (SubscribeOptions). */
  programmeMaxDelayMs?: number;
  /** How often the worker reports, ms (default 1000; tests and the bench time recovery with less). */
  reportMs?: number;
  /**
   * Renew the programme subscription after this long with nothing arriving on it, ms (default PROGRAMME.staleMs;
   * tests that prove the renewal shorten it).
   */
  programmeStaleMs?: number;
  /** Clean samples before the encoder steps up a level (default adapt.ts GOOD_SAMPLES; tests of the climb shorten it). */
  adaptGoodSamples?: number;
}

export interface SelftestResult {
  /** The bridge acknowledged our tone in its RTCP receiver reports. */
  received: boolean;
  packetsSent: number;
  packetsLost: number;
  lossPct: number;
  jitterMs: number | null;
  rttMs: number | null;
  /** RTCP receiver reports that came back during the test. */
  reports: number;
  durationMs: number;
}

export type ToWorker =
  | { type: 'init'; cfg: MediaConfig }
  | { type: 'join'; join: JoinRequest; residue?: string[] }
  | { type: 'leave' }
  | { type: 'mute'; on: boolean }
  | { type: 'audio-only'; on: boolean }
  | { type: 'quality'; max: Quality }
  | { type: 'selftest'; id: number; seconds: number }
  | { type: 'echo-calibrate'; id: number }
  | { type: 'reset-programme-check' }
  /** A line drawn onto every programme frame before the TV (or the check) gets it; null: none (banner.ts). */
  | { type: 'banner'; text: string | null }
  /** What the TV shows while no meeting does (card.ts); null: nothing (worker/local.ts). */
  | { type: 'card'; card: CardSpec | null }
  /** Keep camera and mic running outside a meeting, and send the room's `level` (worker/local.ts). */
  | { type: 'monitor'; on: boolean }
  /** A JPEG of what the camera sees now, or of what the TV is given now. */
  | { type: 'still'; id: number; what: 'camera' | 'tv' }
  | { type: 'stop' };

export interface WorkerExtra {
  /** Frames captured, handed to the encoder, dropped by the pool. */
  capture?: { frames: number; dropped: number; audioChunks: number };
  /** Frames the encoder produced (outbound-rtp framesEncoded of the current session). */
  framesEncoded?: number;
  /** Programme received: the checking sink's report. */
  programme?: Record<string, unknown>;
  /**
   * What the programme PeerConnection's stats say arrived (current subscription), and when the programme last did
   * (ms since epoch, 0: never): what the programme keeper judges by (programme-keeper.ts).
   */
  programmeArrivals?: { audioPackets: number; framesDecoded: number; videoPackets: number; pliSent: number; lastArrivedAt: number };
  level?: string;
  /** The encoder's last second (encoder-load.ts): frames kept, load, the CPU's verdict; libwebrtc's own limitation. */
  encoder?: { kept?: number; load?: number | null; verdict?: string | null; qualityLimitation: string | null };
  /** Opus packets sent in this session, and lost as the bridge's receiver reports count them. */
  audioPackets?: { sent: number; lost: number | null };
  repairs?: number;
  iceRestarts?: number;
  sessions?: number;
  /** The worker's heap: full collections, their longest pause, heap in use after the last one (heap-collect.ts). */
  heap?: HeapStats;
}

/** How the worker's parts log: each line goes to the controller as a `log` message. */
export type WorkerLog = (level: 'debug' | 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>) => void;

/** A still picture (worker/local.ts): the camera snapshot's answer. */
export type StillResult = SnapshotAnswer;

export type FromWorker =
  | { type: 'ready' }
  | { type: 'report'; report: MediaReport; extra: WorkerExtra }
  | { type: 'log'; level: 'debug' | 'info' | 'warn' | 'error'; msg: string; fields?: Record<string, unknown> }
  | { type: 'result'; id: number; ok: true; value: SelftestResult | EchoCalibration | StillResult }
  /** The room's level over the last 200 ms while monitored, dBFS (null: silence or no mic). */
  | { type: 'level'; rmsDbfs: number | null; peakDbfs: number | null }
  | { type: 'result'; id: number; ok: false; error: { code: string; message: string } }
  | { type: 'joined' }
  /** The worker's own process health, every few seconds (worker.ts). */
  | { type: 'health'; health: ProcessHealth }
  | { type: 'residue'; urls: string[] }
  | { type: 'left' };
