// The carrier's provisioning database: a directory of JSON files, each written atomically (temp, fsync, rename,
// fsync dir) and each owned by one verb, so `serve` recording claims and `push` recording versions never
// overwrite each other's work. Secrets live here (box passwords, the CA key, the signing key): mode 0600/0700.
import { readFile, mkdir, open, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { writeFileAtomic } from '../core/atomic-file.js';
import { ConfigError, DiemcauError } from '../core/errors.js';
import type { Hall } from './halls.js';

export interface Credential {
  username: string;
  password: string;
}

export interface Carrier {
  createdAt: string;
  /** The carrier-wide claim credential baked into factory images: may only ask for an identity. */
  claim: Credential;
  /** The provisioning service's own broker login (`serve`, `push`, `rollout`). */
  service: Credential;
}

export interface Identity {
  boxId: string;
  /** Typed or scanned by the technician at install when the box's serial was not known in advance. */
  installCode: string;
  username: string;
  password: string;
  /** Mosquitto `$7$` hash of `password`, kept so the password file is rendered without hashing again. */
  hash: string;
  /** The label password printed on the box for the technician's page (sealed into the claim answer). Databases
   *  made before it existed get one at the next import. */
  label?: string;
}

export interface Claim {
  serial: string;
  /** When the identity was handed out. */
  issuedAt: string;
  /** When the box was first seen online as itself: from then on the hall cannot be claimed again. */
  confirmedAt?: string;
  kind: 'password' | 'certificate';
  certificate?: string;
}

export const FILES = {
  carrier: 'carrier.json',
  halls: 'halls.json',
  identities: 'identities.json',
  claims: 'claims.json',
  desired: 'desired.json',
  resets: 'resets.json',
  passwd: 'broker/passwd',
  acl: 'broker/acl',
  lock: '.lock',
} as const;

export function randomSecret(bytes = 18): string {
  return randomBytes(bytes).toString('base64url');
}

async function readJson<T>(path: string, fallback: T | undefined): Promise<T> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' && fallback !== undefined) return fallback;
    throw new ConfigError(path, [`(root): cannot read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`]);
  }
  try {
    return JSON.parse(text) as T;
  } catch (err) {
    throw new ConfigError(path, [`(root): not valid JSON: ${(err as Error).message}`]);
  }
}

export class Store {
  readonly dir: string;
  constructor(dir: string) {
    this.dir = dir;
  }
  path(name: keyof typeof FILES): string {
    return join(this.dir, FILES[name]);
  }

  async init(): Promise<{ carrier: Carrier; created: boolean }> {
    await mkdir(join(this.dir, 'broker'), { recursive: true, mode: 0o700 });
    const existing = await readJson<Carrier | null>(this.path('carrier'), null);
    if (existing) return { carrier: existing, created: false };
    const carrier: Carrier = {
      createdAt: new Date().toISOString(),
      claim: { username: 'claim', password: randomSecret() },
      service: { username: 'diemcau-provision', password: randomSecret() },
    };
    await writeFileAtomic(this.path('carrier'), JSON.stringify(carrier, null, 2) + '\n');
    return { carrier, created: true };
  }

  async carrier(): Promise<Carrier> {
    const c = await readJson<Carrier | null>(this.path('carrier'), null);
    if (!c) throw new DiemcauError('config_invalid', `${this.path('carrier')}: no carrier here; run \`diemcau-provision init --db ${this.dir}\` first`);
    return c;
  }

  async halls(): Promise<Record<string, Hall>> {
    return readJson(this.path('halls'), {});
  }
  async identities(): Promise<Record<string, Identity>> {
    return readJson(this.path('identities'), {});
  }
  async claims(): Promise<Record<string, Claim>> {
    return readJson(this.path('claims'), {});
  }
  /** Box id -> when `reset` reopened the hall to claims (owned by `reset`; `serve` only reads it). */
  async resets(): Promise<Record<string, string>> {
    return readJson(this.path('resets'), {});
  }
  async desired(): Promise<Record<string, Record<string, unknown> & { version: number }>> {
    return readJson(this.path('desired'), {});
  }

  /** A rendered file as it is on disk, or null when there is none yet. */
  async readText(name: 'passwd' | 'acl'): Promise<string | null> {
    return readFile(join(this.dir, FILES[name]), 'utf8').catch(() => null);
  }

  async write(name: Exclude<keyof typeof FILES, 'lock'>, data: unknown): Promise<void> {
    const text = typeof data === 'string' ? data : JSON.stringify(data) + '\n';
    // The broker reads passwd and acl as its own user: group-readable, and a setgid `broker/` directory owned by
    // the broker's group keeps that group on every rewrite (see docs/provisioning.md).
    await writeFileAtomic(join(this.dir, FILES[name]), text, name === 'passwd' || name === 'acl' ? 0o640 : 0o600);
  }

  /** Runs `fn` holding the database's lock file, so two verbs that write never interleave. */
  async locked<T>(fn: () => Promise<T>): Promise<T> {
    const lock = this.path('lock');
    const deadline = Date.now() + 10000;
    for (;;) {
      try {
        const fh = await open(lock, 'wx', 0o600);
        await fh.writeFile(String(process.pid));
        await fh.close();
        break;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        const holder = Number(await readFile(lock, 'utf8').catch(() => '0'));
        if (holder > 0 && !alive(holder)) {
          await unlink(lock).catch(() => {});
          continue;
        }
        if (Date.now() > deadline) throw new DiemcauError('busy', `${lock}: held by process ${holder} for more than 10 s`);
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    try {
      return await fn();
    } finally {
      await unlink(lock).catch(() => {});
    }
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
