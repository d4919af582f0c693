// What a console rebuilds its picture from: every box's retained presence and desired config, as a fresh clean
// session of the service login receives them on one broker (or one node of a cluster).
import type { Credential } from '../provisioning/store.js';
import { everyBox } from '../core/topics.js';
import { login } from './provision-fixture.js';

export interface RetainedPicture {
  /** Box id -> presence state (`online`, `offline`). */
  presence: Map<string, string>;
  /** Box id -> the retained desired config's version. */
  desired: Map<string, number>;
}

/** What a picture reads: presence and desired configs, or (a bench counting one of them) that leaf alone. */
const BOTH = ['presence', 'config/desired'] as const;

/**
 * The union of what each of `urls` hands out. ejabberd 23.01 indexes retained topics per node (mod_mqtt's
 * mqtt_topic_cache, an ETS table filled when the node starts and on each retained publish through that node): the
 * messages themselves are replicated in Mnesia, but a node hands out on SUBSCRIBE only those published through it
 * or present when it started. A reader of the whole picture asks every node, all at once (each read ends with its
 * own quiet second), and merges them in the order of `urls`.
 */
export async function clusterPicture(urls: string[], service: Credential, leaves: readonly string[] = BOTH): Promise<RetainedPicture> {
  const all: RetainedPicture = { presence: new Map(), desired: new Map() };
  for (const p of await Promise.all(urls.map((url) => retainedPicture(url, service, leaves)))) {
    for (const [k, v] of p.presence) all.presence.set(k, v);
    for (const [k, v] of p.desired) all.desired.set(k, v);
  }
  return all;
}

/**
 * Collects retained messages until none has come for `quietMs` since the last (at most `timeoutMs`). A broker may
 * take a while to gather thousands of them after its SUBACK (ejabberd reads each from disk first): the quiet
 * starts with the first message, or after `firstMs` without any.
 */
export async function retainedPicture(url: string, service: Credential, leaves: readonly string[] = BOTH, quietMs = 1000, timeoutMs = 60_000, firstMs = 15_000): Promise<RetainedPicture> {
  const client = await login(url, service.username, service.password, `picture-${Math.random().toString(36).slice(2, 8)}`);
  const pic: RetainedPicture = { presence: new Map(), desired: new Map() };
  let last = 0;
  client.on('message', (topic, payload, packet) => {
    if (!packet.retain) return;
    last = Date.now();
    const [, , box, leaf] = topic.split('/');
    try {
      const body = JSON.parse(payload.toString());
      if (leaf === 'presence') pic.presence.set(box, String(body.state));
      else pic.desired.set(box, Number(body.version));
    } catch {
      // not JSON: not counted, which the caller's totals show
    }
  });
  try {
    await client.subscribeAsync(leaves.map((l) => everyBox(l)), { qos: 1 });
    const start = Date.now();
    const settled = () => (last === 0 ? Date.now() - start >= firstMs : Date.now() - last >= quietMs);
    while (!settled() && Date.now() - start < timeoutMs) await new Promise((r) => setTimeout(r, 100));
    return pic;
  } finally {
    await client.endAsync(true);
  }
}
