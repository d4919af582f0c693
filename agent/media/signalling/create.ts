// Picks the signalling implementation named in config.media.signalling.
import type { JoinOptions, Signalling } from './types.js';
import { JanusSignalling } from './janus.js';
import { WhipSignalling } from './whip.js';
import { http } from './http.js';

export function createSignalling(kind: 'janus' | 'whip', opts: JoinOptions): Signalling {
  return kind === 'whip' ? new WhipSignalling(opts) : new JanusSignalling(opts);
}

/**
 * Removes what a dead worker left on the bridge (Signalling.residue): Janus sessions are destroyed (Janus API
 * `destroy`), WHIP resources deleted (RFC 9725 §4.3). Best effort: each failure is returned, none thrown.
 */
export async function dropResidue(kind: 'janus' | 'whip', urls: string[], token?: string): Promise<string[]> {
  const failed: string[] = [];
  for (const url of urls) {
    const headers: Record<string, string> = { 'content-type': kind === 'janus' ? 'application/json' : 'application/sdp' };
    if (token && kind === 'whip') headers.authorization = `Bearer ${token}`;
    const body = kind === 'janus' ? JSON.stringify({ janus: 'destroy', transaction: 'residue', ...(token ? { token } : {}) }) : undefined;
    await http(kind === 'janus' ? 'POST' : 'DELETE', url, { headers, body, timeoutMs: 3000 }).catch((err) => failed.push(`${url}: ${(err as Error).message}`));
  }
  return failed;
}
