// Picks the signalling implementation named in config.media.signalling.
import type { JoinOptions, Signalling } from './types.js';
import { JanusSignalling } from './janus.js';
import { WhipSignalling } from './whip.js';

export function createSignalling(kind: 'janus' | 'whip', opts: JoinOptions): Signalling {
  return kind === 'whip' ? new WhipSignalling(opts) : new JanusSignalling(opts);
}
