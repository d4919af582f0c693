// Config of the hall's PTZ camera (config.devices.camera): part of the contract (core/config/schema.ts composes it).
import { Type, type Static } from '../schema/type.js';

export const CameraConfig = Type.Object(
  {
    protocol: Type.Literal('visca', { description: 'Camera control protocol.', default: 'visca' }),
    transport: Type.Union([Type.Literal('serial'), Type.Literal('udp')], {
      description: 'VISCA over RS-232/RS-422 (serial) or VISCA over IP (udp, port 52381).',
      default: 'serial',
    }),
    port: Type.String({
      minLength: 1,
      description: 'Serial device path (e.g. /dev/ttyUSB0), or host[:port] for udp (port 52381 when left out). Ignored when simulate is on.',
      default: '/dev/ttyUSB0',
    }),
    baudRate: Type.Integer({ minimum: 1200, maximum: 115200, default: 9600, description: 'Serial speed.' }),
    address: Type.Integer({ minimum: 1, maximum: 7, default: 1, description: 'VISCA camera address (1-7); always 1 over udp.' }),
    localPort: Type.Integer({
      minimum: 0,
      maximum: 65535,
      default: 52381,
      description: 'udp only: local port the agent sends from. Sony cameras answer to 52381; 0 lets the system pick.',
    }),
    simulate: Type.Boolean({
      default: false,
      description: 'Run a simulated camera behind a real pty (or UDP socket) instead of the real one.',
    }),
  },
  { additionalProperties: false, description: 'PTZ camera.' },
);
export type CameraConfig = Static<typeof CameraConfig>;
