// The one mapping from the room audio config (core/config/room-audio.ts) to startAudioIo() options.
import type { RoomAudioConfig } from '../../../core/config/room-audio.js';
import type { AudioIoOptions } from './audio-io.js';

/** Options for startAudioIo(): ALSA on a box; with `simulate`, played into nothing and the mic from micIn. */
export function audioIoOptions(cfg: RoomAudioConfig, simulate: boolean): Omit<AudioIoOptions, 'log'> {
  return {
    playback: simulate ? { kind: 'fake' } : { kind: 'alsa', device: cfg.playbackDevice },
    capture: simulate ? { kind: 'pipe' } : { kind: 'alsa', device: cfg.captureDevice },
    dsp: {
      echoCancel: cfg.echoCancel,
      noiseSuppression: cfg.noiseSuppression,
      gainControl: cfg.gainControl,
      echoDelayMs: cfg.echoDelayMs,
      echoSuppressionLevel: cfg.echoSuppressionLevel,
      noiseSuppressionLevel: cfg.noiseSuppressionLevel,
    },
  };
}
