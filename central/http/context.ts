// One API request as handlers see it: the parsed URL and path parameters, the caller's address, session and access,
// the JSON body, and the audit line the router writes for it.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { BadRequestError } from '../../core/errors.js';
import { parseJsonText, JsonTextError } from '../../core/schema/json-text.js';
import type { Access } from '../auth/access.js';
import type { Session } from '../auth/sessions.js';
import type { Outcome } from '../store/audit.js';

export const MAX_BODY = 1024 * 1024;

export interface Ctx {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  params: Record<string, string>;
  address: string;
  session: Session | null;
  /** Set on every route but login. */
  access: Access;
  body(): Promise<Record<string, unknown>>;
  /** What the audit line says of this request (the router writes it). */
  audit: { scope?: unknown; detail?: string; operator?: string; outcome?: Outcome };
}

/** A reply other than 200 JSON: a status, headers, and a body (an object as JSON, a string as is). */
export class Reply {
  constructor(
    readonly status: number,
    readonly body: unknown,
    readonly headers: Record<string, string | string[]> = {},
  ) {}
}

export function readBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(new BadRequestError(`body: larger than ${MAX_BODY} bytes`));
        req.destroy();
      } else chunks.push(c);
    });
    req.on('error', reject);
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      if (text.trim() === '') return resolve({});
      const type = req.headers['content-type'] ?? '';
      if (!/^application\/json\b/i.test(type)) return reject(new BadRequestError(`body: Content-Type must be application/json (got "${type}")`));
      try {
        const v = parseJsonText(text);
        if (typeof v !== 'object' || v === null || Array.isArray(v)) return reject(new BadRequestError('body: must be a JSON object'));
        resolve(v as Record<string, unknown>);
      } catch (err) {
        reject(new BadRequestError(err instanceof JsonTextError ? `body: ${err.line}` : `body: ${(err as Error).message}`));
      }
    });
  });
}

/** `?name=` as a whole number within bounds, or `fallback` when absent; 400 naming it otherwise. */
export function intParam(url: URL, name: string, fallback: number, min: number, max: number): number {
  const v = url.searchParams.get(name);
  if (v === null || v === '') return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) throw new BadRequestError(`${name}: must be a whole number from ${min} to ${max} (got "${v}")`);
  return n;
}

/** A path parameter that is a record id. */
export function idParam(ctx: Ctx, name = 'id'): number {
  const n = Number(ctx.params[name]);
  if (!Number.isSafeInteger(n) || n < 1) throw new BadRequestError(`${name}: "${ctx.params[name]}" is not an id`);
  return n;
}
