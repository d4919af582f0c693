// The gst-launch-1.0 pipeline of the room audio path, as an argument list: pure, no I/O.
//
// One process, two branches, because webrtcdsp finds its webrtcechoprobe by name in a process-wide list
// (gst-plugins-bad 1.22, ext/webrtcdsp/gstwebrtcechoprobe.cpp: gst_webrtc_acquire_echo_probe):
//
//   programme (fd 3) -> rawaudioparse -> audiorate -> webrtcechoprobe name=aecprobe -> loudspeaker
//   microphone       -> [rawaudioparse -> audiorate] -> webrtcdsp probe=aecprobe -> caps -> fdsink (fd 4)
//
// Timing: the probe hands webrtcdsp the far-end samples whose play time (running-time PTS + pipeline latency)
// lines up with the mic buffer's running-time PTS plus the loudspeaker sink's latency, and tells the canceller
// that delay (gst_webrtc_echo_probe_read). So both branches need PTS that follow the sample count: a pipe gives
// bytes whenever the writer's timer fired, so `fdsrc do-timestamp=true` stamps the arrival time and `audiorate`
// (tolerance 200 ms, skip-to-first) turns the jittery arrival stamps into contiguous ones, inserting or dropping
// samples only when the writer really ran early or late by more than that (200 ms: a network burst of programme
// audio is re-timed, not cut; a writer steadily faster than real time is cut). alsasrc stamps capture time itself.
import { CHUNK_BYTES, PCM_CAPS, PCM_CHANNELS, PCM_RATE } from './pcm.js';

/** Where the programme is played. */
export type Playback =
  | { kind: 'alsa'; device?: string }
  /** Played samples go out on a pipe (fd 5) at clock pace: the loudspeaker of the synthetic room and the demo. */
  | { kind: 'pipe' }
  /** Played into nothing, at clock pace. */
  | { kind: 'fake' };

/** Where the mic is read. */
export type Capture = { kind: 'alsa'; device?: string } | { kind: 'pipe' };

export type Level = 'low' | 'moderate' | 'high';

export interface DspOptions {
  echoCancel?: boolean;
  noiseSuppression?: boolean;
  gainControl?: boolean;
  echoSuppressionLevel?: Level;
  noiseSuppressionLevel?: Level | 'very-high';
  /**
   * Delay from the loudspeaker sink handing out a sample to its echo reaching the mic that the sink does not
   * report itself: amplifier or HDMI display plus the air path (343 m/s: 20 ms is 7 m). Default 30 ms. It is set
   * as the sink's render-delay, so the sink's latency, which the probe reports to the canceller as the echo delay,
   * includes it; the real playout is unchanged (basesink renders render-delay early). On the synthetic room the
   * canceller converged (ERLE >= 20 dB) when told between the real lag and about 30 ms less, and failed when told
   * more than the lag (docs/media.md has the table): err on the short side.
   */
  echoDelayMs?: number;
  /**
   * Let the canceller estimate the echo delay itself and ignore the probe's timestamps (default off: it takes the
   * reference as soon as it arrives, so the sink's buffer adds to the delay; it gave 0.1 dB with 60 ms of echo).
   */
  delayAgnostic?: boolean;
  /** The canceller's long adaptive filter (webrtcdsp default on). */
  extendedFilter?: boolean;
}

/** File descriptors of the child, by role. */
export const FD = { programmeIn: 3, micOut: 4, playedOut: 5, micIn: 6 } as const;
export const PROBE_NAME = 'aecprobe';

const rawIn = (fd: number) =>
  [
    'fdsrc', `fd=${fd}`, 'do-timestamp=true', `blocksize=${CHUNK_BYTES}`, '!',
    'rawaudioparse', 'format=pcm', 'pcm-format=s16le', `sample-rate=${PCM_RATE}`, `num-channels=${PCM_CHANNELS}`, '!',
    'audiorate', 'skip-to-first=true', 'tolerance=200000000', '!',
  ];

function playbackSink(p: Playback): string[] {
  switch (p.kind) {
    case 'alsa':
      // buffer-time 40 ms, period 10 ms: the probe reads this sink's latency as the echo delay.
      // convert and resample after the probe: the reference stays 48 kHz mono like the mic, the card gets
      // whatever it takes (HDMI often wants stereo, some codecs 44.1 kHz).
      return ['audioconvert', '!', 'audioresample', '!', 'alsasink', ...(p.device ? [`device=${p.device}`] : []),
        'buffer-time=40000', 'latency-time=10000', 'sync=true'];
    case 'pipe':
      // async=false: the pipeline must reach PLAYING (and the mic flow) before any programme arrives.
      return ['fdsink', `fd=${FD.playedOut}`, 'sync=true', 'async=false'];
    case 'fake':
      return ['fakesink', 'sync=true', 'async=false'];
  }
}

function captureSource(c: Capture): string[] {
  switch (c.kind) {
    case 'alsa':
      return ['alsasrc', ...(c.device ? [`device=${c.device}`] : []), 'buffer-time=40000', 'latency-time=10000',
        '!', 'audioconvert', '!', 'audioresample', '!', PCM_CAPS, '!'];
    case 'pipe':
      return rawIn(FD.micIn);
  }
}

/** Arguments for gst-launch-1.0 (without the program name). */
export function audioPipelineArgs(playback: Playback, capture: Capture, dsp: DspOptions = {}): string[] {
  const {
    echoCancel = true,
    noiseSuppression = true,
    gainControl = true,
    echoSuppressionLevel = 'moderate',
    noiseSuppressionLevel = 'moderate',
    echoDelayMs = 30,
    delayAgnostic = false,
    extendedFilter = true,
  } = dsp;
  return [
    // No -q: the progress lines on stdout tell when the pipeline is PLAYING ("New clock").
    ...rawIn(FD.programmeIn),
    PCM_CAPS, '!', 'webrtcechoprobe', `name=${PROBE_NAME}`, '!', ...playbackSink(playback),
    `render-delay=${Math.round(echoDelayMs * 1e6)}`,
    ...captureSource(capture),
    'webrtcdsp', `probe=${PROBE_NAME}`, `echo-cancel=${echoCancel}`, `noise-suppression=${noiseSuppression}`,
    `gain-control=${gainControl}`, `echo-suppression-level=${echoSuppressionLevel}`,
    `noise-suppression-level=${noiseSuppressionLevel}`, `delay-agnostic=${delayAgnostic}`,
    `extended-filter=${extendedFilter}`, '!',
    PCM_CAPS, '!', 'fdsink', `fd=${FD.micOut}`, 'sync=false', 'async=false',
  ];
}
