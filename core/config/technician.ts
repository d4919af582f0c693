// Config of the technician's page (config.technician): the page a carrier technician opens on a phone, on the hall's
// LAN, to commission the box (agent/technician/, docs/commissioning.md). Local to the box: a desired config does not
// set it (the label password comes with the claim answer instead).
import { Type, type Static } from '../schema/type.js';
import { BridgeUrl, JoinArgs } from '../commands/media.js';

export const TechnicianConfig = Type.Object(
  {
    enabled: Type.Boolean({
      default: true,
      description:
        'Serve the technician page on the hall LAN while the box is unclaimed, and for `windowS` after a 5 s hold of ' +
        'talk + mute on the panel (or after the claim). Needs `password`.',
    }),
    password: Type.Optional(
      Type.String({
        minLength: 8,
        maxLength: 128,
        description: 'The label password printed on the box: the factory one, replaced by the carrier one from the claim answer.',
      }),
    ),
    interface: Type.String({
      minLength: 1,
      maxLength: 15,
      default: 'eth0',
      description: 'The hall LAN interface: the page listens on its IPv4 address only and answers peers on its subnet only.',
    }),
    address: Type.Optional(
      Type.String({
        pattern: '^(?!0\\.0\\.0\\.0$)(25[0-5]|2[0-4]\\d|1?\\d?\\d)(\\.(25[0-5]|2[0-4]\\d|1?\\d?\\d)){3}$',
        examples: ['192.168.1.50'],
        description: "One IPv4 address of `interface` to listen on (default: the interface's first). Never 0.0.0.0.",
      }),
    ),
    port: Type.Integer({ minimum: 1, maximum: 65535, default: 8080, description: 'TCP port of the page.' }),
    windowS: Type.Integer({
      minimum: 10,
      maximum: 86400,
      default: 1800,
      description: 'How long the page stays open after the panel hold or the claim (then it closes and forgets its sessions).',
    }),
    selftest: Type.Optional(
      Type.Object(
        { bridge: BridgeUrl, room: JoinArgs.properties.room, token: JoinArgs.properties.token },
        { additionalProperties: false, description: "The test room the page's selftest joins when the hall is not in a meeting." },
      ),
    ),
  },
  { additionalProperties: false, default: {}, description: "The technician's page (docs/commissioning.md)." },
);
export type TechnicianConfig = Static<typeof TechnicianConfig>;
