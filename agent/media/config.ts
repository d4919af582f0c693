// Config of the media path (config.media): capture, encode, bridge. Owned by the media worker.
import { Type, type Static } from '@sinclair/typebox';

export const MediaConfig = Type.Object(
  {
    enabled: Type.Boolean({ default: false, description: 'Start the media worker.' }),
    width: Type.Integer({ minimum: 160, maximum: 1920, default: 1280, description: 'Capture width.' }),
    height: Type.Integer({ minimum: 90, maximum: 1080, default: 720, description: 'Capture height.' }),
    fps: Type.Integer({ minimum: 1, maximum: 60, default: 30, description: 'Capture frame rate.' }),
    maxBitrateKbps: Type.Integer({ minimum: 64, maximum: 8000, default: 1500, description: 'Video bitrate ceiling.' }),
    simulate: Type.Boolean({ default: false, description: 'Capture a test pattern and tone instead of camera and mic.' }),
  },
  { additionalProperties: false, default: {}, description: 'Media path to the central bridge.' },
);
export type MediaConfig = Static<typeof MediaConfig>;
