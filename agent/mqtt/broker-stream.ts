// The byte stream to a broker: TCP for mqtt://, TLS for mqtts://, and the TLS context it is opened with.
//
// A TLS context (the CA parsed into a certificate store, the box's key and certificate) is made once and kept while
// the files stay the same: making one per attempt cost about 1 ms of the box's CPU, a quarter of a TLS connect. The
// files are read again at each attempt, so a renewed certificate is used at the next one.
import { readFileSync } from 'node:fs';
import { connect as tcpConnect } from 'node:net';
import { createRequire } from 'node:module';
import type { SecureContext } from 'node:tls';
import type { Static } from '../../core/schema/type.js';
import type { TlsConfig } from '../../core/config/schema.js';

type Tls = typeof import('node:tls');
let tlsModule: Tls | null = null;
// Loaded only for TLS brokers: node:tls costs about 3 MB of RSS that a plain-TCP box need not carry.
const nodeTls = (): Tls => (tlsModule ??= createRequire(import.meta.url)('node:tls') as Tls);

interface TlsFiles {
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
}

const sameBytes = (a: Buffer | undefined, b: Buffer | undefined) => (a && b ? a.equals(b) : a === b);

/** One link's TLS context, made again only when the bytes of its files change. */
export class TlsContextCache {
  private last: { files: TlsFiles; ctx: SecureContext } | null = null;

  /** Throws (naming the file) when a file cannot be read or does not parse. */
  get(tls: Static<typeof TlsConfig> | undefined): SecureContext {
    const files: TlsFiles = { ca: read(tls?.ca), cert: read(tls?.cert), key: read(tls?.key) };
    const l = this.last;
    if (l && sameBytes(l.files.ca, files.ca) && sameBytes(l.files.cert, files.cert) && sameBytes(l.files.key, files.key)) return l.ctx;
    let ctx: SecureContext;
    try {
      ctx = nodeTls().createSecureContext(files);
    } catch (err) {
      throw new Error(`TLS files ${[tls?.ca, tls?.cert, tls?.key].filter(Boolean).join(', ')}: ${(err as Error).message}`);
    }
    this.last = { files, ctx };
    return ctx;
  }
}

function read(path: string | undefined): Buffer | undefined {
  return path === undefined ? undefined : readFileSync(path);
}

/** The byte stream to a broker URL: mqtt://host[:1883] or mqtts://host[:8883] (with `secureContext`). */
export function openStream(url: string, secureContext: SecureContext | undefined, rejectUnauthorized: boolean) {
  const u = new URL(url);
  const host = u.hostname.replace(/^\[|\]$/g, '');
  if (u.protocol === 'mqtts:') {
    return nodeTls().connect({
      host,
      port: Number(u.port || 8883),
      servername: /^[\d.:]+$/.test(host) ? undefined : host,
      secureContext,
      rejectUnauthorized,
    });
  }
  return tcpConnect({ host, port: Number(u.port || 1883) });
}
