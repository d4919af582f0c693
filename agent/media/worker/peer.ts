// PeerConnection plumbing for the worker: a Negotiator (signalling/types.ts) over an RTCPeerConnection, waiting
// for ICE gathering so that SDPs carry every candidate (the bridges here take non-trickle offers), and the
// publishing PeerConnection with one audio and one video sendonly transceiver.
import wrtc from '@roamhq/wrtc';
import type { Negotiator } from '../signalling/types.js';

const GATHER_TIMEOUT_MS = 3000;

function gathered(pc: RTCPeerConnection): Promise<void> {
  if (pc.iceGatheringState === 'complete') return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(t);
      pc.removeEventListener('icegatheringstatechange', check);
      resolve();
    };
    // Past the timeout, send what was gathered: host candidates come first and are all a bridge on the LAN needs.
    const t = setTimeout(done, GATHER_TIMEOUT_MS);
    const check = () => {
      if (pc.iceGatheringState === 'complete') done();
    };
    pc.addEventListener('icegatheringstatechange', check);
  });
}

export function negotiator(pc: RTCPeerConnection): Negotiator {
  return {
    async createOffer(opts) {
      const offer = await pc.createOffer({ iceRestart: opts?.iceRestart ?? false });
      await pc.setLocalDescription(offer);
      await gathered(pc);
      return pc.localDescription!.sdp;
    },
    async acceptAnswer(sdp) {
      await pc.setRemoteDescription({ type: 'answer', sdp });
    },
    async answerOffer(sdp) {
      await pc.setRemoteDescription({ type: 'offer', sdp });
      const answer = await pc.createAnswer();
      await pc.setLocalDescription(answer);
      await gathered(pc);
      return pc.localDescription!.sdp;
    },
  };
}

export interface Publisher {
  pc: RTCPeerConnection;
  audioSender: RTCRtpSender;
  videoSender: RTCRtpSender;
  close(): void;
}

export function newPeerConnection(): RTCPeerConnection {
  return new wrtc.RTCPeerConnection({ iceServers: [], bundlePolicy: 'max-bundle', rtcpMuxPolicy: 'require' } as RTCConfiguration);
}

/** A PeerConnection sending the given tracks; the caller owns the tracks and their sources. */
export function newPublisher(audio: MediaStreamTrack, video: MediaStreamTrack): Publisher {
  const pc = newPeerConnection();
  const stream = new wrtc.MediaStream();
  const a = pc.addTransceiver(audio, { direction: 'sendonly', streams: [stream] });
  const v = pc.addTransceiver(video, { direction: 'sendonly', streams: [stream] });
  return {
    pc,
    audioSender: a.sender,
    videoSender: v.sender,
    close: () => pc.close(),
  };
}

/** The SDP with the lines of its video section(s) passed through `edit`; the other sections as they were. */
function editVideoSection(sdp: string, edit: (lines: string[]) => string[]): string {
  const eol = sdp.includes('\r\n') ? '\r\n' : '\n';
  return sdp
    .split(/(?=^m=)/m)
    .map((sec) => (sec.startsWith('m=video') ? edit(sec.split(eol)).join(eol) : sec))
    .join('');
}

/**
 * The answer with `b=AS:<kbps>` on its video section (RFC 4566 §5.8), which libwebrtc takes as the ceiling of what
 * it sends. Used because wrtc 0.10's RTCRtpSender.setParameters refuses every change ("modified SSRC").
 */
export function withVideoBandwidth(sdp: string, kbps: number | null): string {
  return editVideoSection(sdp, (all) => {
    const lines = all.filter((l) => !l.startsWith('b=AS:') && !l.startsWith('b=TIAS:'));
    if (kbps !== null) {
      const at = lines.findIndex((l) => l.startsWith('c='));
      lines.splice(at >= 0 ? at + 1 : 1, 0, `b=AS:${kbps}`);
    }
    return lines;
  });
}

/**
 * The answer with `x-google-start-bitrate=<kbps>` on the fmtp of each video codec: libwebrtc's bandwidth estimate
 * restarts from that rate when the value differs from the one it had (its BitrateConstraintsConfigurator).
 */
export function withVideoStartBitrate(sdp: string, kbps: number): string {
  return editVideoSection(sdp, (lines) => {
    const pts = lines.flatMap((l) => /^a=rtpmap:(\d+) (VP8|VP9|AV1|H264)\//.exec(l)?.[1] ?? []);
    for (const pt of pts) {
      const f = lines.findIndex((l) => l.startsWith(`a=fmtp:${pt} `));
      if (f >= 0) {
        const params = lines[f].slice(`a=fmtp:${pt} `.length).split(';').filter((x) => x && !x.startsWith('x-google-start-bitrate='));
        lines[f] = `a=fmtp:${pt} ${[...params, `x-google-start-bitrate=${kbps}`].join(';')}`;
      } else {
        lines.splice(lines.findIndex((l) => l.startsWith(`a=rtpmap:${pt} `)) + 1, 0, `a=fmtp:${pt} x-google-start-bitrate=${kbps}`);
      }
    }
    return lines;
  });
}

/**
 * Re-applies the bridge's last answer with a new video ceiling and, if given, a rate for the bandwidth estimate to
 * restart from: a local offer/answer, nothing goes to the bridge.
 */
export async function setVideoRates(pc: RTCPeerConnection, ceilingKbps: number | null, startKbps?: number): Promise<void> {
  const remote = pc.remoteDescription?.sdp;
  if (!remote || pc.signalingState !== 'stable') return;
  const offer = await pc.createOffer();
  await pc.setLocalDescription(offer);
  const capped = withVideoBandwidth(remote, ceilingKbps);
  await pc.setRemoteDescription({ type: 'answer', sdp: startKbps === undefined ? capped : withVideoStartBitrate(capped, startKbps) });
}
