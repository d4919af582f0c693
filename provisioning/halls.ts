// A hall as the carrier imports it: official administrative codes and names, the hall, its contact, its bridge
// region and broker. Codes follow the General Statistics Office's list (danhmuchanhchinh.gso.gov.vn): provinces
// 2 digits, districts 3, communes 5. After the 2025 reform most districts are gone and provinces and communes were
// merged, so the district is optional and groups are data (`p-01`, `d-001`, `r-north`), not a fixed tree.
import { Type, type Static } from '../core/schema/type.js';
import { schemaErrors } from '../core/schema/parse.js';
import { BOX_ID_PATTERN, BROKER_URL_PATTERN, GROUP_PATTERN } from '../core/config/schema.js';
import type { CsvRecord } from './csv.js';

export const HALL_COLUMNS = [
  'province_code',
  'province_name',
  'district_code',
  'district_name',
  'commune_code',
  'commune_name',
  'hall_name',
  'contact_name',
  'contact_phone',
  'bridge_region',
  'broker',
  'serial',
  'groups',
] as const;
export type HallColumn = (typeof HALL_COLUMNS)[number];
/** Columns a file must have; the others may be left out of the header or empty. */
export const REQUIRED_COLUMNS: HallColumn[] = [
  'province_code',
  'province_name',
  'commune_code',
  'commune_name',
  'hall_name',
  'contact_name',
  'contact_phone',
  'bridge_region',
  'broker',
];

/** A bridge region: lower case, as the `r-<region>` group it makes. */
const REGION_PATTERN = '^[a-z0-9][a-z0-9_-]{0,30}$';

export const Hall = Type.Object(
  {
    boxId: Type.String({ pattern: BOX_ID_PATTERN }),
    province: Type.Object({ code: Type.String({ pattern: '^\\d{2}$' }), name: Type.String({ minLength: 1, maxLength: 100 }) }),
    district: Type.Optional(
      Type.Object({ code: Type.String({ pattern: '^\\d{3}$' }), name: Type.String({ minLength: 1, maxLength: 100 }) }),
    ),
    commune: Type.Object({ code: Type.String({ pattern: '^\\d{5}$' }), name: Type.String({ minLength: 1, maxLength: 100 }) }),
    name: Type.String({ minLength: 1, maxLength: 200 }),
    contact: Type.Object({
      name: Type.String({ minLength: 1, maxLength: 100 }),
      phone: Type.String({ pattern: '^\\+?[0-9][0-9 .-]{7,18}$' }),
    }),
    region: Type.String({ pattern: REGION_PATTERN }),
    broker: Type.String({ pattern: BROKER_URL_PATTERN }),
    serial: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_-]{3,63}$' })),
    groups: Type.Array(Type.String({ pattern: GROUP_PATTERN }), { uniqueItems: true, maxItems: 64 }),
  },
  { additionalProperties: false },
);
export type Hall = Static<typeof Hall>;

/** The box id of a commune's hall: one hall per commune, so the commune code names the box. */
export function boxIdFor(communeCode: string): string {
  return `vn-${communeCode}`;
}

export interface RowError {
  line: number;
  reason: string;
}

/** Maps header names (case and spaces forgiven) to column indexes; reports unknown and missing columns. */
export function readHeader(rec: CsvRecord): { index: Map<HallColumn, number>; errors: RowError[] } {
  const index = new Map<HallColumn, number>();
  const errors: RowError[] = [];
  rec.fields.forEach((raw, i) => {
    const name = raw.trim().toLowerCase().replace(/\s+/g, '_') as HallColumn;
    if (!(HALL_COLUMNS as readonly string[]).includes(name)) {
      errors.push({ line: rec.line, reason: `unknown column "${raw}" (known: ${HALL_COLUMNS.join(', ')})` });
    } else if (index.has(name)) errors.push({ line: rec.line, reason: `column "${name}" appears twice` });
    else index.set(name, i);
  });
  for (const c of REQUIRED_COLUMNS) if (!index.has(c)) errors.push({ line: rec.line, reason: `missing column "${c}"` });
  return { index, errors };
}

/** The fields of a data row by column, trimmed; '' for a column the file does not have. */
export function rowGetter(rec: CsvRecord, index: Map<HallColumn, number>): (c: HallColumn) => string {
  return (c) => {
    const i = index.get(c);
    return i === undefined ? '' : (rec.fields[i] ?? '').trim();
  };
}

/** One data row to a Hall, or the reasons it is refused (each `field: reason`). Nothing is quietly changed: a value
 *  that breaks a rule (`North` for a lower-case region) is refused, saying what would be taken. */
export function rowToHall(rec: CsvRecord, index: Map<HallColumn, number>): Hall | RowError {
  const get = rowGetter(rec, index);
  if (rec.fields.length !== index.size) {
    return { line: rec.line, reason: `${rec.fields.length} fields, the header has ${index.size}` };
  }
  const region = get('bridge_region');
  const provinceCode = get('province_code');
  const districtCode = get('district_code');
  const extra = get('groups')
    .split(';')
    .map((g) => g.trim())
    .filter((g) => g !== '');
  const groups = [`p-${provinceCode}`, ...(districtCode ? [`d-${districtCode}`] : []), `r-${region}`, ...extra];
  const hall: Hall = {
    boxId: boxIdFor(get('commune_code')),
    province: { code: provinceCode, name: get('province_name') },
    ...(districtCode || get('district_name') ? { district: { code: districtCode, name: get('district_name') } } : {}),
    commune: { code: get('commune_code'), name: get('commune_name') },
    name: get('hall_name'),
    contact: { name: get('contact_name'), phone: get('contact_phone') },
    region,
    broker: get('broker'),
    ...(get('serial') ? { serial: get('serial') } : {}),
    groups: [...new Set(groups)],
  };
  const errors = schemaErrors(Hall, hall)
    .filter((e) => !e.startsWith('boxId:')) // derived from commune_code, which is reported itself
    .map((e) => columnError(e, get, extra))
    .filter((e): e is string => e !== null);
  if (errors.length > 0) return { line: rec.line, reason: [...new Set(errors)].join('; ') };
  return hall;
}

/** Schema paths of a Hall, back to the CSV column and the rule a person can act on. */
const RULES: Record<string, [HallColumn, string]> = {
  'province.code': ['province_code', 'must be 2 digits'],
  'province.name': ['province_name', 'must not be empty'],
  'district.code': ['district_code', 'must be 3 digits (or leave district_name empty too)'],
  'district.name': ['district_name', 'must not be empty when district_code is given'],
  'commune.code': ['commune_code', 'must be 5 digits'],
  'commune.name': ['commune_name', 'must not be empty'],
  name: ['hall_name', 'must not be empty'],
  'contact.name': ['contact_name', 'must not be empty'],
  'contact.phone': ['contact_phone', 'must be a phone number (digits, spaces, dots, dashes; + first)'],
  region: ['bridge_region', 'must be a lower-case name (letters, digits, - and _)'],
  broker: ['broker', 'must be an mqtt://host[:port] or mqtts://host[:port] URL'],
  serial: ['serial', 'must be 4-64 letters, digits, - or _'],
};

const GROUP_RE = new RegExp(GROUP_PATTERN);

/** A schema error as the column and rule a person can act on; null for one another column's error covers. */
function columnError(e: string, get: (c: HallColumn) => string, extra: string[]): string | null {
  const path = e.slice(0, e.indexOf(':'));
  if (path === 'groups') return `groups: ${e.slice(e.indexOf(':') + 2)} (${extra.length} in the groups column)`;
  if (path.startsWith('groups[')) {
    // p-, d- and r- groups come from their own columns, reported there; the groups column's own are named here.
    const bad = extra.filter((g) => !GROUP_RE.test(g));
    if (bad.length === 0) return null;
    return `groups: each group must be lower-case letters, digits, . _ - (separated by ;) (got ${bad.map((g) => JSON.stringify(g)).join(', ')})`;
  }
  const rule = RULES[path];
  if (!rule) return e;
  const v = get(rule[0]);
  const lower = v.toLowerCase();
  const hint = rule[0] === 'bridge_region' && lower !== v && new RegExp(REGION_PATTERN).test(lower) ? `; write "${lower}"` : '';
  return `${rule[0]}: ${rule[1]} (got ${JSON.stringify(v)}${hint})`;
}

/** JSON with keys sorted at every level, for telling a changed row from an unchanged one. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    const keys = Object.keys(o).filter((k) => o[k] !== undefined).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`).join(',')}}`;
  }
  return JSON.stringify(v);
}
