// `diemcau-provision import`: the whole file is parsed and checked first; only a valid file is written, in one
// atomic replacement of each database file. Same file twice: nothing changes. A changed row: reported by box id.
import { randomBytes } from 'node:crypto';
import { readInput } from './verb-common.js';
import { parseCsv, CsvSyntaxError } from './csv.js';
import { readHeader, rowToHall, rowGetter, canonicalJson, type Hall, type RowError } from './halls.js';
import { hashPassword, renderPasswd } from './passwd.js';
import { renderAcl } from './acl.js';
import { Store, randomSecret, type Identity, type Carrier } from './store.js';
import { progress } from './progress.js';
import { BadRequestError } from '../core/errors.js';

export interface ImportResult {
  file: string;
  rows: number;
  added: string[];
  changed: Array<{ boxId: string; fields: string[] }>;
  unchanged: number;
  /** Halls in the database that this file does not mention: kept (files may cover one province). */
  kept: number;
}

/** Refused file: every bad row with its line number (or the header's errors), nothing written. */
export class ImportError extends BadRequestError {
  readonly rows: RowError[];
  constructor(file: string, rows: RowError[], what: 'rows' | 'header' = 'rows') {
    const shown = rows.slice(0, 20).map((r) => `${file}:${r.line}: ${r.reason}`);
    const more = rows.length > 20 ? [`... and ${rows.length - 20} more`] : [];
    const head = what === 'header' ? `the header has ${rows.length} error(s)` : `${rows.length} bad row(s)`;
    super(`${file}: ${head}, nothing imported\n${[...shown, ...more].join('\n')}`, rows);
    this.rows = rows;
  }
}

/** Parses and checks a whole file; returns the halls or throws ImportError listing every bad row. */
export function checkHalls(file: string, text: string): Hall[] {
  let records;
  try {
    records = parseCsv(text);
  } catch (err) {
    if (err instanceof CsvSyntaxError) throw new ImportError(file, [{ line: err.line, reason: err.message.replace(/^line \d+: /, '') }]);
    throw err;
  }
  if (records.length === 0) throw new ImportError(file, [{ line: 1, reason: 'empty file: no header' }], 'header');
  const { index, errors } = readHeader(records[0]);
  if (errors.length > 0) throw new ImportError(file, errors, 'header');
  const bad: RowError[] = [];
  const halls: Hall[] = [];
  const byCommune = new Map<string, number>();
  const bySerial = new Map<string, number>();
  for (const rec of records.slice(1)) {
    const r = rowToHall(rec, index);
    const reasons = 'reason' in r ? [r.reason] : [];
    // Duplicates are reported with the row's other errors (fixing one must not reveal another), and the first row
    // to use a code holds it even if it is bad itself. A row with the wrong number of fields has no columns to trust.
    if (rec.fields.length === index.size) {
      const get = rowGetter(rec, index);
      for (const [col, seen] of [['commune_code', byCommune], ['serial', bySerial]] as const) {
        const v = get(col);
        if (v === '') continue;
        const first = seen.get(v);
        if (first === undefined) seen.set(v, rec.line);
        else reasons.push(`${col} ${v} already on line ${first}`);
      }
    }
    if (reasons.length > 0) bad.push({ line: rec.line, reason: reasons.join('; ') });
    else halls.push(r as Hall);
  }
  if (bad.length > 0) throw new ImportError(file, bad);
  return halls;
}

/** Crockford base32 without look-alikes, grouped for reading aloud: `7KQ2-M9XD`. */
export function installCode(): string {
  const alphabet = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
  const b = randomBytes(8);
  let s = '';
  for (let i = 0; i < 8; i++) s += alphabet[b[i] & 31];
  return `${s.slice(0, 4)}-${s.slice(4)}`;
}

function changedFields(a: Hall, b: Hall): string[] {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].filter((k) => canonicalJson((a as Record<string, unknown>)[k]) !== canonicalJson((b as Record<string, unknown>)[k])).sort();
}

/** Renders the broker's password file and ACL from the database's halls and identities. */
export function brokerFiles(carrier: Carrier, halls: Record<string, Hall>, ids: Record<string, Identity>, claimHash: string, serviceHash: string) {
  const users = [
    { username: carrier.claim.username, hash: claimHash },
    { username: carrier.service.username, hash: serviceHash },
    ...Object.values(ids).map((i) => ({ username: i.username, hash: i.hash })),
  ];
  return { passwd: renderPasswd(users), acl: renderAcl(carrier, Object.values(halls)) };
}

export async function importHalls(store: Store, file: string, opts: { write?: boolean } = {}): Promise<ImportResult> {
  const text = (await readInput(file)).toString('utf8');
  const incoming = checkHalls(file, text);
  const carrier = await store.carrier();
  return store.locked(async () => {
    const halls = await store.halls();
    const ids = await store.identities();
    const result: ImportResult = { file, rows: incoming.length, added: [], changed: [], unchanged: 0, kept: 0 };
    const bar = progress('import', incoming.length);
    const codes = new Set(Object.values(ids).map((i) => i.installCode));
    const seen = new Set<string>();
    for (const h of incoming) {
      seen.add(h.boxId);
      const old = halls[h.boxId];
      if (!old) result.added.push(h.boxId);
      else if (canonicalJson(old) !== canonicalJson(h)) result.changed.push({ boxId: h.boxId, fields: changedFields(old, h) });
      else result.unchanged++;
      halls[h.boxId] = h;
      if (!ids[h.boxId]) {
        let code = installCode();
        while (codes.has(code)) code = installCode();
        codes.add(code);
        const password = randomSecret();
        ids[h.boxId] = { boxId: h.boxId, installCode: code, username: h.boxId, password, hash: hashPassword(password) };
      }
      bar.tick();
    }
    bar.done();
    result.kept = Object.keys(halls).filter((id) => !seen.has(id)).length;
    if (opts.write === false || (result.added.length === 0 && result.changed.length === 0)) return result;
    const sorted = Object.fromEntries(Object.keys(halls).sort().map((k) => [k, halls[k]]));
    const files = brokerFiles(carrier, sorted, ids, hashPassword(carrier.claim.password), hashPassword(carrier.service.password));
    // Identities before halls: a crash in between leaves an identity for a hall not yet listed, which the next
    // import of the same file completes; never a hall without its identity.
    await store.write('identities', ids);
    await store.write('halls', sorted);
    await store.write('passwd', files.passwd);
    await store.write('acl', files.acl);
    return result;
  });
}
