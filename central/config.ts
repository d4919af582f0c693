// The console's config file (`central.json`, docs/console.md): where it listens, its database, the carriers' brokers
// it logs in to, the bridge it asks for previews. One schema gives the type, the defaults and every error as
// `path: reason`.
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { Type, type Static } from '../core/schema/type.js';
import { parseJson, parseWith } from '../core/schema/parse.js';
import { ConfigError } from '../core/errors.js';
import { BROKER_URL_PATTERN } from '../core/config/schema.js';

export const CARRIER_NAME_PATTERN = '^[a-z0-9][a-z0-9_-]{0,31}$';

const Carrier = Type.Object(
  {
    name: Type.String({ pattern: CARRIER_NAME_PATTERN, description: 'Short carrier name shown to operators (viettel, vnpt).' }),
    url: Type.String({ pattern: BROKER_URL_PATTERN, description: "The carrier broker: mqtt://host[:port] or mqtts://host[:port]." }),
    nodes: Type.Optional(
      Type.Array(Type.String({ pattern: BROKER_URL_PATTERN }), {
        maxItems: 32,
        description:
          "The other nodes of the carrier's broker cluster (docs/scale.md): the console fails over to them, and reads " +
          'the retained presence and state of each when it connects (a node hands out only those published through it).',
      }),
    ),
    username: Type.Optional(Type.String({ minLength: 1, description: "The carrier's command credential (its service login)." })),
    password: Type.Optional(Type.String()),
    ca: Type.Optional(Type.String({ minLength: 1, description: 'CA certificate (PEM) of an mqtts:// broker.' })),
  },
  { additionalProperties: false },
);

export const CentralConfig = Type.Object(
  {
    listen: Type.Object(
      {
        host: Type.String({ minLength: 1, default: '127.0.0.1' }),
        port: Type.Integer({ minimum: 0, maximum: 65535, default: 8080, description: '0: any free port (printed at start).' }),
      },
      { additionalProperties: false, default: {} },
    ),
    db: Type.String({ minLength: 1, default: 'central.db', description: 'SQLite file; relative to the config file.' }),
    carriers: Type.Array(Carrier, { minItems: 1, description: 'Every broker the console watches and commands.' }),
    bridge: Type.Object(
      {
        janus: Type.Union([Type.String({ pattern: '^https?://.+' }), Type.Null()], {
          default: null,
          description: "Janus HTTP API as this server reaches it (previews); null: no preview.",
        }),
        token: Type.Union([Type.String({ minLength: 1 }), Type.Null()], { default: null }),
        edges: Type.Array(
          Type.Object(
            {
              api: Type.String({ pattern: '^https?://.+', description: "The edge Janus's HTTP API as this server reaches it." }),
              rtpHost: Type.Optional(Type.String({ minLength: 1, description: 'The address the origin sends RTP to (default: the API URL\'s host).' })),
            },
            { additionalProperties: false },
          ),
          {
            default: [],
            description:
              'Regional edge bridges: with any, `janus` is the origin, this server cascades the current meeting over them ' +
              "(central/cascade/), and `join` goes out without a bridge, so each hall joins its region's (`media.bridge`).",
          },
        ),
        originUplinks: Type.Union([Type.Literal('all'), Type.Literal('watched')], {
          default: 'all',
          description:
            "With edges: which halls' uplinks are cascaded to the origin. 'all': every hall in the meeting. 'watched': only " +
            'the halls the centre watches or may hear (an open preview, the floor queue), for a meeting whose halls the ' +
            'origin cannot all take (docs/scale.md).',
        }),
      },
      { additionalProperties: false, default: {} },
    ),
    groupsFile: Type.Optional(Type.String({ minLength: 1, description: 'JSON {"p-01": "Hà Nội", ...}: display names of groups.' })),
    incidentAfterS: Type.Number({ minimum: 0, maximum: 3600, default: 20, description: 'Not heard this long in a meeting: an incident.' }),
    readinessConcurrency: Type.Integer({ minimum: 1, maximum: 1000, default: 50, description: 'Selftests running at once in a sweep.' }),
    rebuildGraceS: Type.Number({
      minimum: 1,
      maximum: 3600,
      default: 60,
      description: 'After a broker comes back, a hall that has not announced itself within this long is shown offline.',
    }),
  },
  { additionalProperties: false, title: 'diemcau-central configuration' },
);
export type CentralConfig = Static<typeof CentralConfig>;
export type CarrierConfig = CentralConfig['carriers'][number];

/** Reads and checks `path`; relative paths inside (db, ca, groupsFile) are made relative to the file's folder. */
export async function loadCentralConfig(path: string): Promise<CentralConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new ConfigError(path, [`(root): cannot read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`]);
  }
  return parseCentralConfig(parseJson(text, path), path);
}

export function parseCentralConfig(value: unknown, source: string): CentralConfig {
  const cfg = parseWith(CentralConfig, value, source);
  const names = cfg.carriers.map((c) => c.name);
  const dup = names.findIndex((n, i) => names.indexOf(n) !== i);
  if (dup >= 0) throw new ConfigError(source, [`carriers[${dup}].name: "${names[dup]}" is used twice`]);
  const here = dirname(resolve(source));
  cfg.db = resolve(here, cfg.db);
  if (cfg.groupsFile) cfg.groupsFile = resolve(here, cfg.groupsFile);
  for (const c of cfg.carriers) if (c.ca) c.ca = resolve(here, c.ca);
  return cfg;
}
