// The technician page as a phone reaches it: plain HTTP requests from a chosen local address (another phone on the
// LAN, or the broker's own address), and the page in Debian's Chromium at a phone's viewport, logged in through its
// form with the label password.
import { request } from 'node:http';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { collectPageErrors } from './page-errors.js';

export interface PageAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  json: any;
}

export interface PageRequest {
  method?: 'GET' | 'POST';
  json?: unknown;
  /** A body sent as it is (posted as JSON unless `contentType` says otherwise), instead of `json`. */
  raw?: string;
  cookie?: string;
  csrf?: string;
  origin?: string;
  /** The local address the request comes from (a loopback address stands for a peer). */
  from?: string;
  contentType?: string;
  /** A Host header other than the page's own (a DNS rebinding). */
  host?: string;
}

/** One request to the page at `base` (http://host:port/); rejects when the connection is refused or dropped. */
export function pageRequest(base: string, path: string, o: PageRequest = {}): Promise<PageAnswer> {
  const u = new URL(path, base);
  const body = o.raw !== undefined ? Buffer.from(o.raw) : o.json === undefined ? undefined : Buffer.from(JSON.stringify(o.json));
  const headers: Record<string, string> = {};
  if (body) headers['content-type'] = o.contentType ?? 'application/json';
  if (o.cookie) headers.cookie = o.cookie;
  if (o.csrf) headers['x-csrf-token'] = o.csrf;
  if (o.origin) headers.origin = o.origin;
  if (o.host) headers.host = o.host;
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, path: u.pathname + u.search, method: o.method ?? (body ? 'POST' : 'GET'), headers, localAddress: o.from, timeout: 30_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const buf = Buffer.concat(chunks);
        let json: unknown = null;
        try {
          json = JSON.parse(buf.toString('utf8'));
        } catch {
          // not JSON: a page, a picture
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: buf, json });
      });
    });
    req.on('timeout', () => req.destroy(new Error(`${path}: no answer in 30 s`)));
    req.on('error', reject);
    req.end(body);
  });
}

/** Logs in over HTTP: the session cookie and the CSRF token. */
export async function pageLogin(base: string, password: string, from?: string): Promise<{ cookie: string; csrf: string }> {
  const r = await pageRequest(base, '/api/login', { json: { password }, from });
  if (r.status !== 200) throw new Error(`login: ${r.status} ${r.body.toString()}`);
  const set = ([] as string[]).concat(r.headers['set-cookie'] ?? [])[0] ?? '';
  return { cookie: set.split(';')[0], csrf: r.json.csrf };
}

/** A phone: the page at 390x844 (an iPhone 12-15's CSS viewport), logged in through the form. */
export async function openOnPhone(browser: Browser, url: string, password: string): Promise<{ context: BrowserContext; page: Page; errors: string[] }> {
  const context = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
  const page = await context.newPage();
  const errors = collectPageErrors(page);
  await page.goto(url);
  await page.fill('#password', password);
  await page.click('#login button[type=submit]');
  await page.waitForSelector('#main:not([hidden])');
  return { context, page, errors };
}
