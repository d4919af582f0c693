// The one schema of the agent's configuration: the TypeScript type, the defaults, the docs (`description`) and the
// JSON Schema that carriers validate against (`diemcau config schema`) all come from here.
import { Type, type Static } from '../schema/type.js';
import { CameraConfig } from './camera.js';
import { DisplayConfig } from './display.js';
import { PanelConfig } from './panel.js';
import { MediaConfig } from './media.js';
import { BROKER_URL_PATTERN } from '../broker-url.js';
import { TechnicianConfig } from './technician.js';

export const BOX_ID_PATTERN = '^[a-z0-9][a-z0-9-]{0,62}$';
export const GROUP_PATTERN = '^[a-z0-9][a-z0-9._-]{0,62}$';
/** mqtt://host[:port] or mqtts://host[:port], checked strictly: the agent speaks MQTT over TCP or TLS (no WebSocket: see link.ts). */
export { BROKER_URL_PATTERN };
/**
 * Highest config version: 15 digits. A carrier that counts pushes never gets near it, and one that writes a
 * time in milliseconds as the version fits until the year 33658; every version and the one after it stay exact
 * in a double (under 2^53 - 1), so `version + 1` is always a valid comparison. A box that reached it anyway is
 * brought back with a rebase (docs/provisioning.md).
 */
export const MAX_CONFIG_VERSION = 999_999_999_999_999;

export const BoxId = Type.String({
  pattern: BOX_ID_PATTERN,
  examples: ['vn-26734', 'vn-1', '0-north-hall'],
  description: 'Box id: lower-case letters, digits and dashes, e.g. `vn-26734` (derived from the commune code).',
});

export const HallConfig = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200, default: 'Unnamed hall', description: 'Hall name shown to operators.' }),
    groups: Type.Array(Type.String({ pattern: GROUP_PATTERN, examples: ['p-01', 'c-26734', 'all', 'north', 'zone.a_1'] }), {
      default: [],
      uniqueItems: true,
      maxItems: 64,
      description: 'Groups the hall belongs to (e.g. `p-01`, `c-00004`, `north`). Data, not a fixed tree.',
    }),
  },
  { additionalProperties: false, default: {}, description: 'The hall as operators know it.' },
);

export const TlsConfig = Type.Object(
  {
    ca: Type.Optional(Type.String({ description: 'Path of the CA certificate (PEM) that signs the broker.' })),
    cert: Type.Optional(Type.String({ description: 'Path of the box certificate (PEM).' })),
    key: Type.Optional(Type.String({ description: 'Path of the box private key (PEM).' })),
    rejectUnauthorized: Type.Boolean({ default: true, description: 'Refuse brokers whose certificate does not verify.' }),
  },
  { additionalProperties: false },
);

export const ReconnectConfig = Type.Object(
  {
    minMs: Type.Integer({ minimum: 50, maximum: 60000, default: 500, description: 'First backoff step after a link drop.' }),
    maxMs: Type.Integer({ minimum: 1000, maximum: 600000, default: 60000, description: 'Backoff cap.' }),
    // After a mass event the fleet returns at the rate the broker takes: the first retry is drawn over
    // fleetSize / brokerConnectsPerS seconds (docs/mqtt.md, "Reconnection"). Both are the carrier's figures.
    fleetSize: Type.Integer({
      minimum: 1,
      maximum: 10_000_000,
      default: 10400,
      description: 'Boxes that drop together when their broker goes (the carrier\'s fleet on that broker).',
    }),
    brokerConnectsPerS: Type.Number({
      minimum: 1,
      maximum: 1_000_000,
      default: 1000,
      description:
        'Connects per second the broker completes without a queue of handshakes (over TLS when the brokers are ' +
        'mqtts): `npm run bench -- fleet` measures it. After a mass event the first retry is spread over ' +
        'fleetSize / brokerConnectsPerS seconds, so the fleet returns at this rate.',
    }),
    massSpreadS: Type.Optional(
      Type.Number({
        minimum: 0,
        maximum: 3600,
        description:
          'A fixed window in seconds for the first retry after a mass event, in place of fleetSize / ' +
          'brokerConnectsPerS (the rule before the rate; tests and a carrier that wants a set window).',
      }),
    ),
  },
  { additionalProperties: false, default: {}, description: 'Reconnection: exponential backoff with full jitter; a mass event spread at the broker\'s rate.' },
);

export const MqttConfig = Type.Object(
  {
    brokers: Type.Array(
      Type.String({
        pattern: BROKER_URL_PATTERN,
        examples: ['mqtt://localhost:1883', 'mqtts://mqtt1.carrier.example:8883', 'mqtts://[::1]:8883'],
        description: 'mqtt://host[:port] or mqtts://host[:port] (TLS).',
      }),
      {
        minItems: 1,
        default: ['mqtt://localhost:1883'],
        description: 'Broker URLs in order of preference; the agent fails over down the list.',
      },
    ),
    username: Type.Optional(Type.String({ minLength: 1 })),
    password: Type.Optional(Type.String()),
    tls: Type.Optional(TlsConfig),
    keepaliveS: Type.Integer({ minimum: 5, maximum: 600, default: 30, description: 'MQTT keepalive.' }),
    willDelayS: Type.Integer({
      minimum: 0,
      maximum: 600,
      default: 15,
      description: 'The broker publishes `offline` only after the link has been gone this long (no flapping).',
    }),
    sessionExpiryS: Type.Integer({ minimum: 0, maximum: 86400, default: 60, description: 'MQTT 5 session expiry.' }),
    stateThrottleMs: Type.Integer({ minimum: 0, maximum: 60000, default: 500, description: 'Least time between two `state` publishes.' }),
    // The largest message a box is sent is its desired config: about 2 KB in practice, about 50 KB with every list
    // and string the schema bounds at its bound (64 groups, 200-character names; unbounded paths at 256 characters).
    maxPacketBytes: Type.Integer({
      minimum: 65536,
      maximum: 268435455,
      default: 262144,
      description:
        'Maximum Packet Size the box announces in CONNECT: the broker drops any bigger message for this box instead ' +
        'of sending it. Room for the largest desired config, five times over.',
    }),
    maxCommandBytes: Type.Integer({
      minimum: 1024,
      maximum: 268435455,
      default: 32768,
      description:
        'A command whose payload is bigger is refused with `bad_request` before it is parsed (the largest real one, ' +
        '`join` with a token, is about 2 KB).',
    }),
    reconnect: ReconnectConfig,
  },
  { additionalProperties: false, default: {}, description: 'The carrier broker link.' },
);

export const TelemetryConfig = Type.Object(
  { intervalS: Type.Number({ minimum: 1, maximum: 3600, default: 10, description: 'Telemetry period.' }) },
  { additionalProperties: false, default: {} },
);

export const DevicesConfig = Type.Object(
  {
    camera: Type.Optional(CameraConfig),
    display: Type.Optional(DisplayConfig),
    panel: Type.Optional(PanelConfig),
  },
  { additionalProperties: false, default: {}, description: 'Hall hardware; a device left out is not driven.' },
);

export const ClaimConfig = Type.Object(
  {
    serial: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_-]{3,63}$', examples: ['RPI-0001', '10000000a1b2c3d4'], description: 'The box serial (also its client id while claiming).' }),
    installCode: Type.Optional(
      Type.String({ pattern: '^[0-9A-Za-z]{4}-?[0-9A-Za-z]{4}$', examples: ['AB12-CD34', 'ab12cd34'], description: 'Code typed or scanned by the technician at install.' }),
    ),
    username: Type.String({ minLength: 1, description: 'Carrier-wide claim credential: may only ask for an identity.' }),
    password: Type.String(),
    kind: Type.Union([Type.Literal('password'), Type.Literal('certificate')], {
      default: 'password',
      description: 'Identity to ask for: a broker password, or a certificate for a key made on this box.',
    }),
    dir: Type.String({ default: '/etc/diemcau', description: 'Where the box key, certificate, CA and update key are written.' }),
    timeoutS: Type.Integer({ minimum: 1, maximum: 600, default: 30, description: 'How long to wait for an answer.' }),
  },
  {
    additionalProperties: false,
    description: 'Zero-touch claim (factory config): present until the box has its identity, then removed.',
  },
);

export const Config = Type.Object(
  {
    box: Type.Object({ id: BoxId }, { additionalProperties: false }),
    configVersion: Type.Integer({
      minimum: 0,
      maximum: MAX_CONFIG_VERSION,
      default: 0,
      description: 'Version of the last desired config applied (0: only the local file).',
    }),
    hall: HallConfig,
    mqtt: MqttConfig,
    telemetry: TelemetryConfig,
    devices: DevicesConfig,
    media: MediaConfig,
    technician: TechnicianConfig,
    claim: Type.Optional(ClaimConfig),
  },
  { additionalProperties: false, title: 'diemcau agent configuration', $id: 'https://diemcau.vn/schema/config-v1.json' },
);
export type Config = Static<typeof Config>;

/** Sections a carrier may set remotely through `config/desired`; each replaces the local section whole. */
export const REMOTE_SECTIONS = ['hall', 'mqtt', 'telemetry', 'devices', 'media'] as const;
export type RemoteSection = (typeof REMOTE_SECTIONS)[number];

export const DesiredConfig = Type.Object(
  {
    version: Type.Integer({ minimum: 1, maximum: MAX_CONFIG_VERSION, description: 'Increases with every change the carrier makes.' }),
    rebase: Type.Optional(
      Type.Boolean({
        description:
          'Take `version` even if it is lower than the applied one: the way back from a version that went too high ' +
          '(`diemcau-provision rebase`). Only the carrier can publish config/desired (broker ACL).',
      }),
    ),
    hall: Type.Optional(HallConfig),
    mqtt: Type.Optional(MqttConfig),
    telemetry: Type.Optional(TelemetryConfig),
    devices: Type.Optional(DevicesConfig),
    media: Type.Optional(MediaConfig),
  },
  { additionalProperties: false, title: 'diemcau desired config (config/desired payload)' },
);
export type DesiredConfig = Static<typeof DesiredConfig>;
