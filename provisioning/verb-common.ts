// What the verbs take from their arguments: the database, the positionals they need, files the carrier names (a
// missing one is bad input, named in one line), and the broker the service logs in to, chosen and checked here.
import { readFile, stat } from 'node:fs/promises';
import type { IClientOptions } from 'mqtt';
import { Store } from './store.js';
import type { Hall } from './halls.js';
import type { Args } from './args.js';
import { brokerUrlFault, checkBrokerUrl } from '../core/broker-url.js';
import { BadRequestError, DiemcauError, DisconnectedError } from '../core/errors.js';

export const DEFAULT_BROKER = 'mqtt://localhost:1883';

export const storeOf = (a: Args) => new Store(a.get('db', process.env.DIEMCAU_DB ?? './diemcau-db')!);

export function need(a: Args, n: number, what: string): string[] {
  if (a.pos.length !== n) throw new BadRequestError(`expected ${what} (see --help)`);
  return a.pos;
}

const FILE_FAULTS: Record<string, string> = {
  ENOENT: 'no such file',
  EACCES: 'permission denied',
  EISDIR: 'is a directory, not a file',
  ENOTDIR: 'a part of the path is not a directory',
};

/** Reads a file the carrier named; one that cannot be read is bad input, in one line: `[<what> ]<path>: no such file`. */
export async function readInput(path: string, what = ''): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? '';
    throw new BadRequestError(`${what ? `${what} ` : ''}${path}: ${FILE_FAULTS[code] ?? 'cannot be read'}${code ? ` (${code})` : ''}`);
  }
}

/** Checks that a file or directory the carrier named is there (without reading it: a bundle may be large). */
export async function inputExists(path: string, kind: 'file' | 'directory', what = ''): Promise<void> {
  const st = await stat(path).catch((err: NodeJS.ErrnoException) => err);
  const fault =
    st instanceof Error
      ? `${FILE_FAULTS[st.code ?? ''] ?? 'cannot be read'}${st.code ? ` (${st.code})` : ''}`.replace('no such file', `no such ${kind}`)
      : kind === 'directory' && !st.isDirectory()
        ? 'is a file, not a directory'
        : kind === 'file' && st.isDirectory()
          ? FILE_FAULTS.EISDIR
          : null;
  if (fault) throw new BadRequestError(`${what ? `${what} ` : ''}${path}: ${fault}`);
}

export async function tlsOpts(a: Args): Promise<IClientOptions> {
  const ca = a.get('cafile');
  return ca ? { ca: await readInput(ca, '--cafile') } : {};
}

export interface BrokerChoice {
  url: string;
  /** Where the URL came from, said to the carrier when it was not given on the command line. */
  from: string;
  given: boolean;
}

/**
 * The broker the service logs in to: --url, else $DIEMCAU_BROKER, else the broker most of the target halls use
 * (the CSV's `broker` column; the first by name on a tie), else localhost. Each is checked strictly.
 */
export function chooseBroker(a: Args, halls: Record<string, Hall>, targets: string[]): BrokerChoice {
  const given = a.get('url');
  if (given !== undefined) return { url: checkBrokerUrl(given, '--url'), from: '--url', given: true };
  const env = process.env.DIEMCAU_BROKER;
  if (env) return { url: checkBrokerUrl(env, '$DIEMCAU_BROKER'), from: '$DIEMCAU_BROKER', given: false };
  const count = new Map<string, number>();
  for (const b of targets) if (halls[b]) count.set(halls[b].broker, (count.get(halls[b].broker) ?? 0) + 1);
  const ranked = [...count].sort((x, y) => y[1] - x[1] || x[0].localeCompare(y[0]));
  if (ranked.length === 0) return { url: DEFAULT_BROKER, from: 'the default: the database names no broker', given: false };
  const [url, n] = ranked[0];
  // A CSV imported before URLs were checked strictly may hold one mqtt.js would quietly take for another.
  const fault = brokerUrlFault(url);
  if (fault) throw new BadRequestError(`the halls' broker ${url} (from the database) ${fault}: give the broker with --url URL, and correct the CSV`);
  const others = ranked.length > 1 ? `; ${ranked.length - 1} other broker(s) serve the rest` : '';
  return { url, from: `the database: ${n} of ${targets.length} hall(s) use it${others}`, given: false };
}

/** Says which broker was chosen (on stderr: stdout stays one JSON document under --json). */
export function sayBroker(verb: string, b: BrokerChoice): void {
  if (!b.given) process.stderr.write(`diemcau-provision ${verb}: broker ${b.url} (from ${b.from}; --url to choose another)\n`);
}

/** A failed connection, as one line naming the broker and how to name another (our own errors pass as they are). */
export function unreachable(b: BrokerChoice, err: unknown): Error {
  if (err instanceof DiemcauError) return err;
  const why = (err as Error).message ?? String(err);
  const hint = b.given ? 'check --url (and --cafile for mqtts://)' : 'give the broker with --url URL';
  return new DisconnectedError(`cannot log in to the broker ${b.url} (from ${b.from}): ${why}; ${hint}`);
}
