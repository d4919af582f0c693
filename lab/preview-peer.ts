// What a console page does with a preview, as a real wrtc peer in its own process (wrtc must exit explicitly): it
// takes the bridge's SDP offer the server relayed, answers (every candidate in the SDP: no trickle), and reads the
// stamp (frame-stamp.ts) of every decoded video frame. The test drives it over IPC.
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { stopChild } from '../core/stop-child.js';

export interface PreviewPeer {
  /** The answer to the bridge's offer. */
  answer(offer: string): Promise<string>;
  /** Stamp counters of the frames decoded so far. */
  stamps(): Promise<number[]>;
  close(): Promise<void>;
}

type Msg = { type: string } & Record<string, any>;

export function startPreviewPeer(): PreviewPeer {
  const proc: ChildProcess = fork(fileURLToPath(import.meta.url), ['child'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const ask = (msg: Msg, reply: string, timeoutMs = 10000) =>
    new Promise<Msg>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`preview peer: no ${reply} within ${timeoutMs} ms`)), timeoutMs);
      const on = (m: Msg) => {
        if (m.type !== reply) return;
        clearTimeout(t);
        proc.off('message', on);
        resolve(m);
      };
      proc.on('message', on);
      proc.send(msg);
    });
  return {
    answer: async (sdp) => (await ask({ type: 'offer', sdp }, 'answer')).sdp,
    stamps: async () => (await ask({ type: 'stamps' }, 'stamps')).counters,
    close: () => stopChild(proc, 'SIGTERM', 3000),
  };
}

async function child(): Promise<void> {
  const wrtc = (await import('@roamhq/wrtc')).default;
  const { readStampI420 } = await import('../agent/media/frames/frame-stamp.js');
  const counters: number[] = [];
  const pc = new wrtc.RTCPeerConnection({ iceServers: [] } as RTCConfiguration);
  const sinks: Array<{ stop(): void }> = [];
  pc.ontrack = (ev: RTCTrackEvent) => {
    if (ev.track.kind !== 'video') return;
    const sink = new wrtc.nonstandard.RTCVideoSink(ev.track);
    sinks.push(sink);
    sink.onframe = ({ frame }: { frame: { width: number; data: Uint8Array } }) => {
      const s = readStampI420(frame.data, frame.width);
      if (s) counters.push(s.counter);
    };
  };
  process.on('message', async (m: Msg) => {
    if (m.type === 'offer') {
      await pc.setRemoteDescription({ type: 'offer', sdp: m.sdp });
      await pc.setLocalDescription(await pc.createAnswer());
      if (pc.iceGatheringState !== 'complete') {
        await new Promise<void>((r) => {
          const t = setTimeout(r, 3000);
          pc.addEventListener('icegatheringstatechange', () => pc.iceGatheringState === 'complete' && (clearTimeout(t), r()));
        });
      }
      process.send!({ type: 'answer', sdp: pc.localDescription!.sdp });
    } else if (m.type === 'stamps') process.send!({ type: 'stamps', counters });
  });
  process.on('SIGTERM', () => {
    for (const s of sinks) s.stop();
    pc.close();
    setTimeout(() => process.exit(0), 100); // wrtc: a process that held a peer must end explicitly
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url) && process.argv[2] === 'child') void child();
