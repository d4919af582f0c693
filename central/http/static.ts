// The page's files (dist/central/web/: index.html, style.css, the compiled modules), served as they are. No bundler,
// no CDN: the console works on a network with no way out. Until the page is built, `/` says so.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createReadStream, existsSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from '../../core/log.js';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
};

/** What every page answer carries: no framing by other sites, nothing loaded from elsewhere. */
export const PAGE_HEADERS = {
  'content-security-policy': "default-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};

/** dist/central/web/, beside this module's folder once compiled. */
export function webRoot(): string {
  return fileURLToPath(new URL('../web/', import.meta.url));
}

const PLACEHOLDER = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>diemcau central console</title></head>
<body><h1>diemcau central console</h1>
<p>The console server is running, but its web page is not built (no <code>dist/central/web/</code>): this is a placeholder.
The HTTP API is at <code>/api/</code> (docs/console.md).</p></body></html>
`;

export async function serveStatic(req: IncomingMessage, res: ServerResponse, url: URL, root: string, log: Logger): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { allow: 'GET, HEAD', ...PAGE_HEADERS }).end();
    return;
  }
  let rel: string;
  try {
    rel = decodeURIComponent(url.pathname);
  } catch {
    res.writeHead(400, PAGE_HEADERS).end();
    return;
  }
  if (rel.endsWith('/')) rel += 'index.html';
  const file = normalize(join(root, rel));
  if (!file.startsWith(root.endsWith(sep) ? root : root + sep) || rel.includes('\0')) {
    res.writeHead(404, PAGE_HEADERS).end();
    return;
  }
  if (!existsSync(root) && rel === '/index.html') {
    res.writeHead(200, { 'content-type': TYPES['.html'], 'cache-control': 'no-store', ...PAGE_HEADERS });
    res.end(req.method === 'HEAD' ? undefined : PLACEHOLDER);
    return;
  }
  const st = await stat(file).catch(() => null);
  if (!st?.isFile()) {
    res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8', ...PAGE_HEADERS }).end(`${url.pathname}: not found\n`);
    return;
  }
  res.writeHead(200, {
    'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
    'content-length': st.size,
    'cache-control': 'no-cache',
    ...PAGE_HEADERS,
  });
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  createReadStream(file)
    .on('error', (err) => {
      log.warn('static: read failed', { file, err });
      res.destroy();
    })
    .pipe(res);
}
