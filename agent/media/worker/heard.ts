// "Does the centre receive us?" from the bridge's own word: RTCP receiver reports (RFC 3550 §6.4.2) that the
// bridge sends about our audio and video SSRCs, as getStats shows them (`remote-inbound-rtp`, W3C
// webrtc-stats §5.3), plus the local mic level. Pure: the worker feeds one sample a second and applies the
// repair action it gets back. Issue 5: when video flows but audio does not, renegotiate, then start a new session;
// the same when our audio goes out, the session is up, and the bridge hears nothing at all.
import type { SelftestResult } from './protocol.js';

/** Per kind (audio or video), what getStats said at one moment. */
export interface RtpSnapshot {
  /** outbound-rtp packetsSent. */
  packetsSent: number;
  /** remote-inbound-rtp: receiver reports counted so far (roundTripTimeMeasurements), null if none yet. */
  reports: number | null;
  packetsLost: number | null;
  fractionLost: number | null;
  jitterS: number | null;
  rttS: number | null;
}

export interface HeardSample {
  now: number;
  audio: RtpSnapshot | null;
  video: RtpSnapshot | null;
  /** Mic level over the last second, dBFS (-Infinity: digital silence). */
  micDbfs: number;
  muted: boolean;
  /**
   * The bridge's own word on our audio where it gives one (Janus `media` events: receiving true/false), null
   * otherwise. Needed because receiver reports keep coming for an SSRC whose packets stopped arriving: the
   * bridge still answers our sender reports, and with nothing expected nothing counts as lost.
   */
  bridgeAudio?: boolean | null;
  videoActive: boolean;
  /**
   * The worker is joined (not recovering an outage, whose own steps are under way); absent: joined. Deaf time counts
   * only while joined, so a recovery's end does not find a repair already due.
   */
  joined?: boolean;
}

export type RepairAction = 'none' | 'renegotiate' | 'new-session';

/** How long without a fresh receiver report before a kind counts as not received. */
export const REPORT_STALE_MS = 3500;
/** Video seen but audio not heard for this long: repair (the default of `media.audioRepairAfterMs`). */
export const REPAIR_AFTER_MS = 5000;
/** Still deaf this long after a repair: a new session (the default of `media.audioNewSessionAfterMs`). */
export const NEW_SESSION_AFTER_MS = 8000;

export interface RepairTimings {
  repairAfterMs: number;
  newSessionAfterMs: number;
}
const SILENCE_DBFS = -90;

interface KindState {
  lastReports: number | null;
  lastReportAt: number;
  lastSent: number;
  lastSentAt: number;
}

function fresh(k: KindState, s: RtpSnapshot | null, now: number): boolean {
  if (!s) return false;
  if (s.reports !== null && s.reports !== k.lastReports) {
    k.lastReports = s.reports;
    k.lastReportAt = now;
  }
  if (s.packetsSent !== k.lastSent) {
    k.lastSent = s.packetsSent;
    k.lastSentAt = now;
  }
  const sending = now - k.lastSentAt < REPORT_STALE_MS;
  const reported = now - k.lastReportAt < REPORT_STALE_MS;
  const lossOk = s.fractionLost === null || s.fractionLost < 0.5;
  return sending && reported && lossOk;
}

export class HeardTracker {
  private audio: KindState = { lastReports: null, lastReportAt: -Infinity, lastSent: -1, lastSentAt: -Infinity };
  private video: KindState = { lastReports: null, lastReportAt: -Infinity, lastSent: -1, lastSentAt: -Infinity };
  private deafSince: number | null = null;
  private lastAction: RepairAction = 'none';
  private lastActionAt = 0;
  heard = false;
  seen = false;

  constructor(private readonly timings: RepairTimings = { repairAfterMs: REPAIR_AFTER_MS, newSessionAfterMs: NEW_SESSION_AFTER_MS }) {}

  update(x: HeardSample): RepairAction {
    const audioFlows = fresh(this.audio, x.audio, x.now) && x.bridgeAudio !== false;
    this.seen = x.videoActive && fresh(this.video, x.video, x.now);
    // Muted or silent: the centre may get packets, but it does not hear the hall.
    this.heard = audioFlows && !x.muted && x.micDbfs > SILENCE_DBFS;
    // Deaf: our audio goes out and the bridge does not report it, while the session is up. With video seen, the
    // 2021 case (the hall seen, not heard). With no video seen, the bridge hears nothing at all, yet ICE says the
    // path is up (whip.test.ts, run 53: ICE "connected" again 0.9 s into a restart under 100% loss, so the
    // recovery ended; the hall, audio-only by then, stayed unheard): without this it stayed so for good.
    const sendingAudio = x.audio !== null && x.now - this.audio.lastSentAt < REPORT_STALE_MS;
    if (audioFlows || x.muted || x.joined === false || !(this.seen || sendingAudio)) {
      this.deafSince = null;
      this.lastAction = 'none';
      return 'none';
    }
    this.deafSince ??= x.now;
    const deafFor = x.now - this.deafSince;
    if (this.lastAction === 'none' && deafFor >= this.timings.repairAfterMs) return this.act('renegotiate', x.now);
    if (this.lastAction !== 'none' && x.now - this.lastActionAt >= this.timings.newSessionAfterMs) return this.act('new-session', x.now);
    return 'none';
  }

  private act(a: RepairAction, now: number): RepairAction {
    this.lastAction = a;
    this.lastActionAt = now;
    return a;
  }

  /** Forget history (a new session has new SSRCs and counters). */
  reset(): void {
    this.audio = { lastReports: null, lastReportAt: -Infinity, lastSent: -1, lastSentAt: -Infinity };
    this.video = { lastReports: null, lastReportAt: -Infinity, lastSent: -1, lastSentAt: -Infinity };
    this.deafSince = null;
    this.lastAction = 'none';
    this.heard = this.seen = false;
  }
}

/** The selftest verdict from audio snapshots taken before and after sending the tone. */
export function selftestVerdict(before: RtpSnapshot | null, after: RtpSnapshot | null, durationMs: number): SelftestResult {
  const sent = (after?.packetsSent ?? 0) - (before?.packetsSent ?? 0);
  const reports = (after?.reports ?? 0) - (before?.reports ?? 0);
  const lost = Math.max(0, (after?.packetsLost ?? 0) - (before?.packetsLost ?? 0));
  return {
    received: sent > 0 && reports > 0 && lost < sent,
    packetsSent: sent,
    packetsLost: lost,
    lossPct: sent > 0 ? Math.round((1000 * lost) / sent) / 10 : 0,
    jitterMs: after?.jitterS != null ? Math.round(after.jitterS * 10000) / 10 : null,
    rttMs: after?.rttS != null ? Math.round(after.rttS * 10000) / 10 : null,
    reports,
    durationMs,
  };
}
