// Downloads an update bundle to a file with node:http or node:https.
//
// Not fetch(): Node 20's fetch (undici) parses HTTP with llhttp compiled to WebAssembly, and the agent runs with
// --lite-mode (agent/node-flags.ts, systemd/diemcau.service), which turns WebAssembly off: on a box every download
// failed with `fetch failed` (issue 10). Nor any of undici's globals (Headers, Request, Response, FormData): the
// first touch of one starts the same WebAssembly load, which fails as an unhandled rejection.
//
// Each module is loaded on first use, and only the one the URL needs, like node:tls in agent/mqtt/link.ts: node:http
// costs about 3 MB of a lite-mode agent's RSS and node:https about 4 MB, for a command that runs only at an update.
// The size cap is counted on the bytes as they arrive (a chunked answer has no Content-Length to check first).
import { createRequire } from 'node:module';
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { IncomingMessage } from 'node:http';
import { DiemcauError, DisconnectedError } from '../../core/errors.js';

export interface DownloadOptions {
  /** The bundle cap: a download past it is stopped and its file removed. */
  maxBytes: number;
  /** No byte for this long (connecting, waiting for the answer, or mid-body): give up. */
  idleMs: number;
  /** The whole download, redirects included; below the `update` command's own timeout, so the answer says why. */
  totalMs: number;
  maxRedirects: number;
}

export const DOWNLOAD_DEFAULTS: DownloadOptions = {
  maxBytes: 512 * 1024 * 1024,
  idleMs: 30_000,
  totalMs: 540_000,
  maxRedirects: 5,
};

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const load = createRequire(import.meta.url);

interface Get {
  res: Promise<IncomingMessage>;
  /** Ends the request (and its answer) with this error, unless it already failed. */
  fail(err: Error): void;
  /** The error given to fail(), which is why the transfer stopped. */
  failure(): Error | null;
}

/** Sends a GET for `u`, on a fresh connection (no keep-alive pool, as agent/media/signalling/http.ts). */
function get(u: URL, idleMs: number): Get {
  const mod = (u.protocol === 'https:' ? load('node:https') : load('node:http')) as typeof import('node:http');
  const req = mod.get(u, { agent: false, headers: { accept: 'application/octet-stream' } });
  let failure: Error | null = null;
  const fail = (err: Error) => {
    failure ??= err;
    req.destroy(failure);
  };
  // Socket inactivity, before and during the body.
  req.setTimeout(idleMs, () => fail(new DisconnectedError(`no data for ${idleMs / 1000} s`)));
  const res = new Promise<IncomingMessage>((resolve, reject) => {
    req.once('response', resolve);
    req.once('error', (err) => reject(failure ?? err));
  });
  return { res, fail, failure: () => failure };
}

/** Counts bytes on their way to the file and fails as soon as the cap is passed. */
class Capped extends Transform {
  bytes = 0;
  constructor(
    private readonly maxBytes: number,
    private readonly tooBig: () => Error,
  ) {
    super();
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, done: (err?: Error | null, data?: Buffer) => void): void {
    this.bytes += chunk.length;
    if (this.bytes > this.maxBytes) done(this.tooBig());
    else done(null, chunk);
  }
}

/**
 * Downloads `url` into `file` (mode 0600), following up to maxRedirects redirects. Resolves with the byte count.
 * On any failure the file is removed and the error is one line naming the URL (and where it was redirected).
 */
export async function downloadBundle(url: string, file: string, opts: Partial<DownloadOptions> = {}): Promise<number> {
  const o = { ...DOWNLOAD_DEFAULTS, ...opts };
  const deadline = Date.now() + o.totalMs;
  let at = new URL(url);
  const where = () => (at.href === new URL(url).href ? url : `${url} (redirected to ${at.href})`);
  const named = (err: Error) =>
    err instanceof DiemcauError
      ? new DiemcauError(err.code, `update: ${where()}: ${err.message}`, err.details)
      : new DisconnectedError(`update: cannot download ${where()}: ${err.message}`);
  for (let hops = 0; ; hops++) {
    if (at.protocol !== 'http:' && at.protocol !== 'https:') throw new DiemcauError('bad_request', `update: ${where()}: only http and https are followed`);
    const g = get(at, o.idleMs);
    const total = setTimeout(() => g.fail(new DisconnectedError(`not downloaded within ${o.totalMs / 1000} s`)), Math.max(0, deadline - Date.now()));
    try {
      const res = await g.res.catch((err: Error) => Promise.reject(named(err)));
      const status = res.statusCode ?? 0;
      if (REDIRECTS.has(status)) {
        res.resume();
        const loc = res.headers.location;
        if (!loc) throw new DisconnectedError(`update: ${where()} answered HTTP ${status} without a Location`);
        if (hops >= o.maxRedirects) throw new DisconnectedError(`update: ${url}: more than ${o.maxRedirects} redirects (the last to ${new URL(loc, at).href})`);
        at = new URL(loc, at);
        continue;
      }
      if (status < 200 || status > 299) {
        res.resume();
        throw new DisconnectedError(`update: ${where()} answered HTTP ${status}`);
      }
      const len = Number(res.headers['content-length'] ?? 0);
      if (len > o.maxBytes) {
        const err = new DiemcauError('bad_request', `update: ${where()} is ${len} bytes, more than the bundle cap of ${o.maxBytes}`);
        g.fail(err); // before a byte of the body is read
        throw err;
      }
      const counter = new Capped(o.maxBytes, () => {
        const err = new DiemcauError('bad_request', `update: ${where()} is more than ${o.maxBytes} bytes, the bundle cap: download stopped`);
        g.fail(err); // hang up now: the server sends no more
        return err;
      });
      try {
        await pipeline(res, counter, createWriteStream(file, { mode: 0o600 }));
      } catch (err) {
        await rm(file, { force: true });
        const why = g.failure() ?? (err as Error);
        if (why instanceof DiemcauError && why.message.startsWith('update: ')) throw why;
        const code = (why as NodeJS.ErrnoException).code;
        // The file's own errors (a full disk) are the box's, not the link's.
        if (code === 'ENOSPC' || code === 'EACCES' || code === 'EROFS') throw new DiemcauError('internal', `update: cannot write ${file}: ${why.message}`);
        throw named(why);
      }
      return counter.bytes;
    } finally {
      clearTimeout(total);
    }
  }
}
