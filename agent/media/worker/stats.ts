// What the worker reads from getStats on the publishing PeerConnection (W3C webrtc-stats: outbound-rtp,
// remote-inbound-rtp, candidate-pair, media-source), boiled down to the numbers heard.ts, adapt.ts and the report
// use. Bitrate and fps come from deltas between two readings. And from the programme PeerConnection (inbound-rtp),
// what has arrived on it, for the programme keeper (programme-keeper.ts).
import { selftestVerdict, type RtpSnapshot } from './heard.js';
import type { SelftestResult } from './protocol.js';
import type { ProgrammeArrivals } from './programme-keeper.js';
import type { MediaReport } from '../types.js';

type Stat = Record<string, any>;

export interface PublisherStats {
  at: number;
  audio: RtpSnapshot | null;
  video: RtpSnapshot | null;
  videoBytesSent: number;
  audioBytesSent: number;
  framesEncoded: number;
  /** outbound-rtp totalEncodeTime (s): the encoder's wall-clock time (encoder-load.ts); null where absent. */
  encodeTimeS: number | null;
  /** outbound-rtp qualityLimitationReason ('none', 'cpu', 'bandwidth', 'other'): libwebrtc's own view. */
  qualityLimitation: string | null;
  frameWidth: number | null;
  frameHeight: number | null;
  availableBps: number | null;
  /** RTT of the selected candidate pair (STUN), seconds. */
  pairRttS: number | null;
}

/** The `stats` of the media report (state.media.stats) from the last reading: loss in %, times in ms. */
export function reportedStats(st: PublisherStats | null, shown: { bitrateKbps: number; fps: number }, framesDropped: number): MediaReport['stats'] {
  const a = st?.audio;
  const tenths = (sec: number) => Math.round(sec * 10000) / 10;
  return {
    bitrateKbps: shown.bitrateKbps,
    fps: shown.fps,
    width: st?.frameWidth ?? undefined,
    height: st?.frameHeight ?? undefined,
    lossPct: a?.fractionLost != null ? Math.round(a.fractionLost * 1000) / 10 : undefined,
    jitterMs: a?.jitterS != null ? tenths(a.jitterS) : undefined,
    rttMs: a?.rttS != null ? tenths(a.rttS) : st?.pairRttS != null ? tenths(st.pairRttS) : undefined,
    framesDropped,
  };
}

function snapshot(out: Stat | undefined, remote: Stat | undefined): RtpSnapshot | null {
  if (!out) return null;
  return {
    packetsSent: out.packetsSent ?? 0,
    reports: remote ? (remote.roundTripTimeMeasurements ?? remote.reportsReceived ?? null) : null,
    packetsLost: remote?.packetsLost ?? null,
    fractionLost: remote?.fractionLost ?? null,
    jitterS: remote?.jitter ?? null,
    rttS: remote?.roundTripTime ?? null,
  };
}

export async function readPublisherStats(pc: RTCPeerConnection): Promise<PublisherStats> {
  const report = await pc.getStats();
  const out: Record<string, Stat> = {};
  const remote: Record<string, Stat> = {};
  let pair: Stat | undefined;
  report.forEach((s: Stat) => {
    if (s.type === 'outbound-rtp') {
      // Several outbound-rtp per kind can exist after renegotiation; the one that sent most is the live one.
      const prev = out[s.kind];
      if (!prev || (s.packetsSent ?? 0) >= (prev.packetsSent ?? 0)) out[s.kind] = s;
    } else if (s.type === 'remote-inbound-rtp') remote[s.localId ?? s.kind] = s;
    else if (s.type === 'candidate-pair' && (s.nominated || s.selected) && s.state === 'succeeded') pair = s;
  });
  const remoteFor = (o: Stat | undefined) =>
    o ? (remote[o.id] ?? Object.values(remote).find((r) => r.kind === o.kind || r.ssrc === o.ssrc)) : undefined;
  return {
    at: Date.now(),
    audio: snapshot(out.audio, remoteFor(out.audio)),
    video: snapshot(out.video, remoteFor(out.video)),
    videoBytesSent: out.video?.bytesSent ?? 0,
    audioBytesSent: out.audio?.bytesSent ?? 0,
    framesEncoded: out.video?.framesEncoded ?? 0,
    encodeTimeS: out.video?.totalEncodeTime ?? null,
    qualityLimitation: out.video?.qualityLimitationReason ?? null,
    frameWidth: out.video?.frameWidth ?? null,
    frameHeight: out.video?.frameHeight ?? null,
    availableBps: pair?.availableOutgoingBitrate ?? null,
    pairRttS: pair?.currentRoundTripTime ?? null,
  };
}

/** Audio packets received and video frames decoded so far on `pc`, over all its inbound streams. */
export async function readProgrammeArrivals(pc: RTCPeerConnection): Promise<ProgrammeArrivals> {
  const report = await pc.getStats();
  let audioPackets = 0;
  let framesDecoded = 0;
  let videoPackets = 0;
  let pliSent = 0;
  report.forEach((s: Stat) => {
    if (s.type !== 'inbound-rtp') return;
    const kind = s.kind ?? s.mediaType;
    if (kind === 'audio') audioPackets += s.packetsReceived ?? 0;
    else if (kind === 'video') {
      framesDecoded += s.framesDecoded ?? 0;
      videoPackets += s.packetsReceived ?? 0;
      pliSent += s.pliCount ?? 0;
    }
  });
  return { at: Date.now(), audioPackets, framesDecoded, videoPackets, pliSent };
}

/** The selftest: a tone into the uplink for `seconds` (through `tone`), then what the bridge's reports say of it. */
export async function toneSelftest(pc: RTCPeerConnection, tone: (ms: number) => void, seconds: number): Promise<SelftestResult> {
  const before = (await readPublisherStats(pc)).audio;
  const t0 = Date.now();
  tone(seconds * 1000);
  // One second more for the receiver report that covers the end of the tone.
  await new Promise((r) => setTimeout(r, seconds * 1000 + 1200));
  const after = (await readPublisherStats(pc)).audio;
  return selftestVerdict(before, after, Date.now() - t0);
}
