// Config of the hall's display (config.devices.display): part of the contract (core/config/schema.ts composes it).
import { Type, type Static } from '../schema/type.js';

export const DisplayConfig = Type.Object(
  {
    protocol: Type.Union([Type.Literal('samsung-mdc'), Type.Literal('lg'), Type.Literal('cec')], {
      description: 'samsung-mdc (RS-232 or TCP 1515), lg (RS-232) or cec (HDMI-CEC through cec-ctl).',
      default: 'samsung-mdc',
    }),
    transport: Type.Union([Type.Literal('serial'), Type.Literal('tcp'), Type.Literal('cec')], {
      default: 'serial',
      description: 'How the display is reached.',
    }),
    port: Type.String({
      minLength: 1,
      default: '/dev/ttyUSB1',
      description: 'Serial device path, host[:port] for tcp (Samsung MDC listens on 1515), or CEC device (/dev/cec0).',
    }),
    baudRate: Type.Integer({ minimum: 1200, maximum: 115200, default: 9600, description: 'Serial speed.' }),
    displayId: Type.Integer({ minimum: 0, maximum: 254, default: 1, description: 'Display id (Samsung) / set id (LG, 1-99).' }),
    input: Type.String({
      default: 'hdmi1',
      description:
        'Input the box is plugged into: hdmi1..hdmi4, displayport1, dvi, pc, ... (see docs/drivers.md). Over CEC the ' +
        'TV is switched to the box itself (active source) whatever this says.',
    }),
    onJoin: Type.Boolean({ default: true, description: 'Switch on and to `input` when the hall joins a meeting.' }),
    offOnLeave: Type.Boolean({ default: true, description: 'Switch off when the hall leaves the meeting.' }),
    pollS: Type.Number({
      minimum: 0.2,
      maximum: 3600,
      default: 10,
      description: 'How often the display is asked for its state (power, input, volume, mute); also the health check.',
    }),
    replyTimeoutMs: Type.Integer({
      minimum: 100,
      maximum: 10000,
      default: 1000,
      description: 'How long to wait for the display to answer one command before it counts as not answering.',
    }),
    simulate: Type.Boolean({
      default: false,
      description:
        'Run a simulated display (samsung-mdc or lg) behind a real socat pty pair (transport serial) or a loopback ' +
        'TCP listener (transport tcp); `port` is then ignored.',
    }),
  },
  { additionalProperties: false, description: 'TV or display.' },
);
export type DisplayConfig = Static<typeof DisplayConfig>;
