// The meeting's commands: join and leave the bridge, mute, audio-only, quality, selftest, echo calibration.
import { Type } from '../schema/type.js';
import { defineCommand } from './define.js';

/** A bridge's API URL: the same rule for `join`, a hall's `media.bridge`, the console's meetings and the technician's selftest. */
export const BridgeUrl = Type.String({
  pattern: '^https?://.+',
  examples: ['https://bridge.example/janus', 'http://10.0.0.2:8088/whip/room-1'],
  description: 'Bridge API URL (Janus HTTP API or WHIP endpoint).',
});

export const JoinArgs = Type.Object(
  {
    bridge: Type.Optional(
      Type.String({
        ...BridgeUrl,
        description: "Bridge API URL (Janus HTTP API or WHIP endpoint). Left out: the hall's own, `media.bridge` in its config (its region's bridge).",
      }),
    ),
    room: Type.Union([Type.Integer({ minimum: 1 }), Type.String({ minLength: 1, maxLength: 128 })], { description: 'Room id.' }),
    token: Type.Optional(Type.String({ minLength: 1, maxLength: 4096, description: 'Bridge token (Janus token / WHIP bearer).' })),
    display: Type.Optional(Type.String({ minLength: 1, maxLength: 128, description: 'Name the centre sees (default: the box id).' })),
    private: Type.Optional(Type.Boolean({ description: 'A private meeting: no camera snapshot is taken while it lasts.' })),
  },
  { additionalProperties: false },
);
const NoArgs = Type.Object({}, { additionalProperties: false });

export const mediaCommands = {
  join: defineCommand({ name: 'join', summary: 'Join a meeting room on the bridge and send the hall.', schema: JoinArgs }),
  leave: defineCommand({ name: 'leave', summary: 'Leave the meeting.', schema: NoArgs }),
  mute: defineCommand({ name: 'mute', summary: 'Mute the hall microphone.', schema: NoArgs }),
  unmute: defineCommand({ name: 'unmute', summary: 'Unmute the hall microphone.', schema: NoArgs }),
  audioOnly: defineCommand({
    name: 'audio-only',
    summary: 'Send audio only (on) or audio and video (off).',
    schema: Type.Object({ on: Type.Boolean() }, { additionalProperties: false }),
  }),
  quality: defineCommand({
    name: 'quality',
    summary: 'Cap the video resolution sent to the bridge.',
    schema: Type.Object({ max: Type.Union([Type.Literal('720p'), Type.Literal('540p'), Type.Literal('360p')]) }, { additionalProperties: false }),
  }),
  selftest: defineCommand({
    name: 'selftest',
    summary: 'Send a tone to the bridge and report whether it arrived (packets, loss, jitter, RTT).',
    schema: Type.Object(
      { seconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 30, default: 3, description: 'How long the tone plays.' })) },
      { additionalProperties: false },
    ),
  }),
  snapshot: defineCommand({
    name: 'camera.snapshot',
    summary:
      'A JPEG (at most 60 kB, 640x360) of what the camera sees now, from the capture path. Off unless media.snapshot; ' +
      'refused while the meeting is private; logged.',
    schema: NoArgs,
  }),
  echoCalibrate: defineCommand({
    name: 'echo-calibrate',
    summary:
      'Find the echo delay of this hall for media.roomAudio.echoDelayMs: outside a meeting, the hall hears noise for about a minute. ' +
      "Answers the delay, the echo removed (dB) and every trial; the carrier sets it in the hall's config.",
    schema: NoArgs,
  }),
};
