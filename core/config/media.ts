// Config of the media path (config.media): capture, encode, bridge; the media worker (agent/media/) runs it.
import { Type, type Static } from '../schema/type.js';
import { RoomAudioConfig } from './room-audio.js';
import { BridgeUrl } from '../commands/media.js';

export const CaptureDevices = Type.Object(
  {
    video: Type.String({ default: '/dev/video0', description: 'V4L2 camera device.' }),
    audio: Type.String({ default: 'default', description: 'ALSA capture device (e.g. `hw:1,0`).' }),
    videoFormat: Type.String({ default: 'yuyv422', description: 'V4L2 input format ffmpeg asks the camera for (`mjpeg` for USB cameras that only do 720p30 in MJPEG).' }),
  },
  { additionalProperties: false, default: {}, description: 'Capture devices (ignored when `simulate`).' },
);

export const MediaConfig = Type.Object(
  {
    enabled: Type.Boolean({ default: false, description: 'Start the media worker.' }),
    width: Type.Integer({ minimum: 160, maximum: 1920, multipleOf: 2, default: 1280, description: 'Capture width.' }),
    height: Type.Integer({ minimum: 90, maximum: 1080, multipleOf: 2, default: 720, description: 'Capture height.' }),
    fps: Type.Integer({ minimum: 1, maximum: 60, default: 30, description: 'Capture frame rate.' }),
    maxBitrateKbps: Type.Integer({ minimum: 64, maximum: 8000, default: 1500, description: 'Video bitrate ceiling.' }),
    denoise: Type.Boolean({
      default: false,
      description: "libvpx's temporal denoiser before encoding: cleaner low-light video, about 20% more encoder CPU.",
    }),
    simulate: Type.Boolean({ default: false, description: 'Capture a test pattern (stamped with counter and time) and a tone instead of camera and mic.' }),
    snapshot: Type.Boolean({
      default: false,
      description:
        'Answer `camera.snapshot` (a JPEG of what the camera sees now, for the central console). Refused while the ' +
        'meeting is private; every snapshot is logged.',
    }),
    devices: CaptureDevices,
    roomAudio: RoomAudioConfig,
    signalling: Type.Union([Type.Literal('janus'), Type.Literal('whip')], {
      default: 'janus',
      description: 'How to talk to the bridge: Janus VideoRoom API (HTTP long poll) or WHIP/WHEP (RFC 9725).',
    }),
    bridge: Type.Optional(
      Type.String({
        ...BridgeUrl,
        description:
          "The region's bridge. `join` without `bridge` joins it; when a push changes it, a hall in a meeting moves: it " +
          'leaves and joins the same room on the new bridge (the media worker keeps running).',
      }),
    ),
    programme: Type.String({
      default: 'centre',
      description: 'Display name of the central programme publisher in the room (Janus), or the WHEP URL (whip).',
    }),
    receiveProgramme: Type.Boolean({ default: true, description: 'Subscribe to the central programme after joining.' }),
    audioRepairAfterMs: Type.Integer({
      minimum: 1000,
      maximum: 60000,
      default: 5000,
      description: 'Video reaches the bridge but audio does not for this long: renegotiate the publisher (heard.ts).',
    }),
    audioNewSessionAfterMs: Type.Integer({
      minimum: 1000,
      maximum: 120000,
      default: 8000,
      description: 'Audio still not heard this long after the renegotiation: a new bridge session.',
    }),
    restartBackoffMaxMs: Type.Integer({
      minimum: 1000,
      maximum: 120000,
      default: 10000,
      description: 'Cap of the backoff between new bridge sessions, and between worker restarts after crashes.',
    }),
  },
  { additionalProperties: false, default: {}, description: 'Media path to the central bridge.' },
);
export type MediaConfig = Static<typeof MediaConfig>;
