// Config of the room audio process (config.media.roomAudio): devices and the echo canceller's settings.
// agent/media/room-audio/options.ts maps it to startAudioIo() options.
import { Type, type Static } from '../schema/type.js';

const level = (def: string, description: string) =>
  Type.Union([Type.Literal('low'), Type.Literal('moderate'), Type.Literal('high')], { default: def, description });

export const RoomAudioConfig = Type.Object(
  {
    playbackDevice: Type.String({ default: 'default', description: 'ALSA device the programme is played on (e.g. `hdmi:CARD=vc4hdmi0` or `hw:1,0`).' }),
    captureDevice: Type.String({ default: 'default', description: 'ALSA device of the hall microphone.' }),
    echoCancel: Type.Boolean({ default: true, description: 'Cancel the programme out of the mic (webrtcdsp with webrtcechoprobe).' }),
    noiseSuppression: Type.Boolean({ default: true, description: 'Suppress steady noise (fans, air conditioning).' }),
    gainControl: Type.Boolean({ default: true, description: 'Adaptive digital gain control of the mic.' }),
    echoDelayMs: Type.Integer({
      minimum: 0,
      maximum: 500,
      default: 30,
      description:
        'Echo delay the sound card does not report: amplifier or display plus the air path (3 ms per metre). ' +
        'Converges when set between the real delay and 30 ms less; err on the short side (docs/media.md).',
    }),
    echoSuppressionLevel: level('moderate', 'How hard the canceller suppresses echo left over; higher ducks the hall talker more under double-talk.'),
    noiseSuppressionLevel: level('moderate', 'How hard steady noise is suppressed; higher distorts speech more.'),
  },
  { additionalProperties: false, default: {}, description: 'The hall room audio: programme playback and cleaned mic (issue 5).' },
);
export type RoomAudioConfig = Static<typeof RoomAudioConfig>;
