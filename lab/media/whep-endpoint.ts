// A tiny WHEP endpoint (draft-ietf-wish-whep) for tests: a real wrtc peer in its own process (wrtc must exit
// explicitly) that plays a programme: a 640x360@30 grey picture carrying the frame stamp (frame-stamp.ts) and a
// 1 kHz tone. POST /whep/<name> with a recvonly SDP offer and the bearer token gets 201, the answer and a Location;
// DELETE of that location ends the session. Every request is printed as `REQ <method> <path>` on stdout. SIGUSR1
// stops the programme (no frame or audio reaches wrtc, so nothing is sent: a programme whose source went away while
// the endpoint keeps its sessions), SIGUSR2 starts it again.
// Run: node dist/test/media/whep-endpoint.js <token>; it prints `LISTENING <port>` when ready.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type IncomingMessage } from 'node:http';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { stopChild } from '../../core/stop-child.js';

export interface WhepEndpoint {
  url(name: string): string;
  /** Requests seen, e.g. `POST /whep/programme`. */
  readonly requests: string[];
  /** Stops (true) or starts again (false) the programme on every session. */
  pause(on: boolean): void;
  close(): Promise<void>;
}

/** Starts the endpoint as a child process on the host, listening on `host` (an address the hall can reach). */
export async function startWhepEndpoint(token: string, host = '127.0.0.1'): Promise<WhepEndpoint> {
  const proc: ChildProcess = spawn(process.execPath, [fileURLToPath(import.meta.url), token, host], { stdio: ['ignore', 'pipe', 'inherit'] });
  const requests: string[] = [];
  const port = await new Promise<number>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('whep endpoint: not listening within 10 s')), 10000);
    proc.once('exit', (code) => reject(new Error(`whep endpoint: exited with ${code} before listening`)));
    createInterface({ input: proc.stdout! }).on('line', (line) => {
      const m = /^LISTENING (\d+)$/.exec(line);
      if (m) {
        clearTimeout(t);
        resolve(Number(m[1]));
      } else if (line.startsWith('REQ ')) requests.push(line.slice(4));
    });
  });
  return {
    url: (name) => `http://${host}:${port}/whep/${name}`,
    requests,
    pause: (on) => void proc.kill(on ? 'SIGUSR1' : 'SIGUSR2'),
    close: () => stopChild(proc, 'SIGTERM', 3000),
  };
}

function body(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let b = '';
    req.on('data', (d) => (b += d));
    req.on('end', () => resolve(b));
  });
}

async function serve(token: string, host: string): Promise<void> {
  const wrtc = (await import('@roamhq/wrtc')).default;
  const { writeStamp } = await import('../../agent/media/frames/frame-stamp.js');
  const W = 640;
  const H = 360;
  const video = new wrtc.nonstandard.RTCVideoSource({ isScreencast: false });
  const audio = new wrtc.nonstandard.RTCAudioSource();
  const tracks = { video: video.createTrack(), audio: audio.createTrack() };
  const frame = new Uint8Array((W * H * 3) / 2).fill(128);
  let counter = 0;
  let paused = false;
  process.on('SIGUSR1', () => (paused = true));
  process.on('SIGUSR2', () => (paused = false));
  const frames = setInterval(() => {
    if (paused) return;
    writeStamp(frame, W, H, ++counter, Date.now());
    video.onFrame({ width: W, height: H, data: frame });
  }, 1000 / 30);
  const tone = new Int16Array(480);
  let phase = 0;
  const chunks = setInterval(() => {
    if (paused) return;
    for (let i = 0; i < tone.length; i++) tone[i] = Math.round(8192 * Math.sin((2 * Math.PI * 1000 * phase++) / 48000));
    audio.onData({ samples: tone, sampleRate: 48000, bitsPerSample: 16, channelCount: 1, numberOfFrames: tone.length });
  }, 10);
  const sessions = new Map<string, RTCPeerConnection>();
  let next = 0;

  const server = createServer(async (req, res) => {
    console.log(`REQ ${req.method} ${req.url}`);
    const text = await body(req);
    if (req.headers.authorization !== `Bearer ${token}`) return void res.writeHead(401).end('bad token');
    if (req.method === 'POST' && /^\/whep\/[\w-]+$/.test(req.url ?? '')) {
      if (req.headers['content-type'] !== 'application/sdp') return void res.writeHead(415).end();
      const pc = new wrtc.RTCPeerConnection({ iceServers: [], bundlePolicy: 'max-bundle' } as RTCConfiguration);
      const stream = new wrtc.MediaStream();
      try {
        await pc.setRemoteDescription({ type: 'offer', sdp: text });
        // The offer's recvonly m-lines made our transceivers: give each its track and make it send.
        for (const t of pc.getTransceivers()) {
          const kind = t.receiver.track.kind as 'audio' | 'video';
          await t.sender.replaceTrack(tracks[kind]);
          t.direction = 'sendonly';
          t.sender.setStreams?.(stream);
        }
        await pc.setLocalDescription(await pc.createAnswer());
        if (pc.iceGatheringState !== 'complete') {
          await new Promise<void>((r) => {
            const t = setTimeout(r, 3000);
            pc.addEventListener('icegatheringstatechange', () => pc.iceGatheringState === 'complete' && (clearTimeout(t), r()));
          });
        }
      } catch (err) {
        pc.close();
        return void res.writeHead(400).end(`bad offer: ${(err as Error).message}`);
      }
      const id = `s${++next}`;
      sessions.set(id, pc);
      res.writeHead(201, { 'content-type': 'application/sdp', location: `/whep/res/${id}` }).end(pc.localDescription!.sdp);
      return;
    }
    const m = /^\/whep\/res\/(\w+)$/.exec(req.url ?? '');
    if (m && req.method === 'DELETE' && sessions.has(m[1])) {
      sessions.get(m[1])!.close();
      sessions.delete(m[1]);
      return void res.writeHead(200).end();
    }
    res.writeHead(m ? 405 : 404).end();
  });
  server.listen(0, host, () => console.log(`LISTENING ${(server.address() as { port: number }).port}`));
  process.on('SIGTERM', () => {
    clearInterval(frames);
    clearInterval(chunks);
    for (const pc of sessions.values()) pc.close();
    tracks.video.stop();
    tracks.audio.stop();
    server.close();
    // wrtc: a process that made tracks must end explicitly.
    setTimeout(() => process.exit(0), 100);
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) void serve(process.argv[2] ?? '', process.argv[3] ?? '127.0.0.1');
