// Real synthetic speech for the echo tests: espeak-ng (Debian package espeak-ng) speaks a sentence, ffmpeg
// resamples its 22 050 Hz WAV to the path's 48 kHz mono. Speech, not a tone: the noise suppressor treats a steady
// tone as noise, and the echo canceller's double-talk detector is tuned on speech.
import { spawn } from 'node:child_process';
import { NO_SOUND_SERVER_ENV } from '../no-sound-server.js';
import { DisconnectedError } from '../../core/errors.js';
import { PCM_RATE, s16ToFloat } from '../../agent/media/room-audio/pcm.js';

export interface SpeakOptions {
  /** espeak-ng voice (`espeak-ng --voices`), e.g. 'vi' or 'en'. */
  voice?: string;
  /** Pitch 0-99 (espeak-ng -p). */
  pitch?: number;
  /** Words per minute (espeak-ng -s). */
  speed?: number;
  /** Peak level the speech is scaled to, dBFS. */
  peakDbfs?: number;
}

function run(cmd: string, args: string[], input?: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'], env: NO_SOUND_SERVER_ENV });
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', (e) =>
      reject(new DisconnectedError(`${cmd}: cannot start (${e.message}); scripts/setup.sh installs it`)),
    );
    child.on('close', (code) => {
      if (code === 0) resolve(Buffer.concat(out));
      else reject(new DisconnectedError(`${cmd} exited with ${code}: ${err.trim().split('\n').pop() ?? ''}`));
    });
    child.stdin.on('error', () => {});
    child.stdin.end(input);
  });
}

/** Speaks `text` and returns 48 kHz mono float samples. */
export async function speak(text: string, opts: SpeakOptions = {}): Promise<Float32Array> {
  const { voice = 'vi', pitch = 50, speed = 150, peakDbfs = -6 } = opts;
  const wav = await run('espeak-ng', ['-v', voice, '-p', String(pitch), '-s', String(speed), '--stdout', text]);
  const pcm = await run('ffmpeg', [
    '-hide_banner', '-loglevel', 'error', '-f', 'wav', '-i', 'pipe:0',
    '-ar', String(PCM_RATE), '-ac', '1', '-f', 's16le', 'pipe:1',
  ], wav);
  const x = s16ToFloat(pcm);
  let peak = 0;
  for (const v of x) peak = Math.max(peak, Math.abs(v));
  if (peak === 0) throw new DisconnectedError(`espeak-ng: voice ${voice} produced silence for "${text}"`);
  const scale = Math.pow(10, peakDbfs / 20) / peak;
  for (let i = 0; i < x.length; i++) x[i] *= scale;
  return x;
}
