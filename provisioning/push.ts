// `diemcau-provision push`: desired config to one hall, a group or all. Each push is one version number across the
// fleet (one more than any version pushed before), merged section by section into each target's desired config,
// checked against the agent's own schema before anything is recorded, recorded (desired.json, atomic), then
// published retained on each box's `config/desired`: a box offline now gets it when it returns.
import { createHash } from 'node:crypto';
import type { MqttClient } from 'mqtt';
import { DesiredConfig, MAX_CONFIG_VERSION, REMOTE_SECTIONS } from '../core/config/schema.js';
import { parseWith } from '../core/schema/parse.js';
import { ConfigError } from '../core/errors.js';
import { boxTopic } from '../core/topics.js';
import { classify, type FleetView, type PushStatus } from './fleet-view.js';
import type { Store, Identity, Claim } from './store.js';
import type { Hall } from './halls.js';
import { progress } from './progress.js';

export type Fragment = Record<string, unknown>;
export type Desired = Record<string, unknown> & { version: number; rebase?: boolean };

const HALL_GROUPS_FROM_CSV = 'hall.groups: groups come from the halls CSV (the ACL follows it); change the CSV and import';

/**
 * Checks a fragment whole, every error at once: sections a carrier may not set, and each section it may set as the
 * box will check it (with defaults filled in; a hall's name and groups come from the CSV, see hallSection).
 */
export function checkFragment(f: unknown, source: string): Fragment {
  if (f === null || typeof f !== 'object' || Array.isArray(f)) throw new ConfigError(source, ['(root): must be a JSON object']);
  const errors: string[] = [];
  const known: Fragment = {};
  for (const [k, v] of Object.entries(f)) {
    if ((REMOTE_SECTIONS as readonly string[]).includes(k)) known[k] = v;
    else errors.push(`${k}: not a section a carrier may set (${REMOTE_SECTIONS.join(', ')})`);
  }
  const hall = known.hall;
  if (hall !== null && typeof hall === 'object' && !Array.isArray(hall)) {
    if ((hall as Fragment).groups !== undefined) errors.push(HALL_GROUPS_FROM_CSV);
    known.hall = { name: 'from the CSV', ...hall, groups: [] }; // what hallSection fills in per box
  }
  try {
    parseWith(DesiredConfig, { ...known, version: 1 }, source);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    errors.push(...err.errors);
  }
  if (errors.length > 0) throw new ConfigError(source, errors);
  return f as Fragment;
}

/**
 * A hall section for one box: name and groups from the imported CSV unless the fragment sets the name. Groups
 * always come from the CSV (checkFragment refuses them), because the broker ACL is rendered from it: a box told of
 * a group the ACL does not give it would subscribe and hear nothing. `{"hall": {}}` re-sends names and groups
 * after a re-import.
 */
export function hallSection(h: Hall, given: unknown): Fragment {
  return { name: h.name, ...((given ?? {}) as Fragment), groups: h.groups };
}

/** The mqtt section that moves a box to `brokers` and keeps its credential (password or certificate files). */
export function handoverSection(brokers: string[], id: Identity, claim: Claim | undefined, tlsDir = '/etc/diemcau'): Fragment {
  if (claim?.kind === 'certificate') {
    return { brokers, tls: { ca: `${tlsDir}/ca.crt`, cert: `${tlsDir}/box.crt`, key: `${tlsDir}/box.key` } };
  }
  return { brokers, username: id.username, password: id.password };
}

/**
 * One box's order of a cluster's nodes: a rotation and a direction picked by a hash of its box id. Boxes start
 * evenly on every node, and the boxes of a node that dies move on evenly to the others (for three nodes the six
 * orders are every permutation), rather than all onto the node listed after it.
 */
export function nodeOrder(boxId: string, urls: string[]): string[] {
  const h = createHash('sha256').update(boxId).digest().readUInt32BE(0);
  const n = urls.length;
  const start = h % n;
  const step = Math.floor(h / n) % 2 === 0 ? 1 : n - 1;
  return urls.map((_, i) => urls[(start + i * step) % n]);
}

export interface PushResult {
  version: number;
  targets: string[];
  /** Other nodes (`alsoThrough`) whose connection closed during the push: not every config went through them. */
  nodesLost: string[];
}

/** Another node of a cluster the retained configs are published through as well, by its URL. */
export interface AlsoThrough {
  url: string;
  client: MqttClient;
}

/**
 * The version of a push: one more than any recorded. A rebase leaves out the targets' own records when counting
 * them would pass the maximum (they are what went too high), so `rebase all` starts again from 1.
 */
export function nextVersion(desired: Record<string, Desired>, targets: string[], rebase: boolean, source: string): number {
  const after = (ds: Desired[]) => Math.max(0, ...ds.map((d) => d.version)) + 1;
  const all = after(Object.values(desired));
  if (all <= MAX_CONFIG_VERSION) return all;
  if (rebase) {
    const rebased = new Set(targets);
    const others = after(Object.entries(desired).filter(([b]) => !rebased.has(b)).map(([, d]) => d));
    if (others <= MAX_CONFIG_VERSION) return others;
  }
  throw new ConfigError(source, [`version: the next version ${all} would pass the maximum ${MAX_CONFIG_VERSION}: run \`diemcau-provision rebase all\``]);
}

/**
 * Merges `fragmentFor(boxId)` into each target's desired config under a new version, records and publishes it.
 * Throws ConfigError naming the first box whose result does not validate; then nothing is recorded or sent.
 * `rebase`: the targets take the new version even if they applied a higher one (a version that went too high).
 */
export async function pushDesired(
  store: Store,
  client: MqttClient,
  targets: string[],
  fragmentFor: (boxId: string) => Fragment,
  opts: { rebase?: boolean; alsoThrough?: AlsoThrough[] } = {},
): Promise<PushResult> {
  return store.locked(async () => {
    const desired = (await store.desired()) as Record<string, Desired>;
    const version = nextVersion(desired, targets, opts.rebase === true, store.path('desired'));
    const flag = opts.rebase ? { rebase: true } : {};
    const next: Record<string, Desired> = {};
    for (const boxId of targets) {
      const { rebase: _once, ...recorded } = desired[boxId] ?? {}; // a rebase is taken once, not carried on
      // Defaults filled in as the box itself would: every section sent whole, the same on every box.
      next[boxId] = parseWith(DesiredConfig, { ...recorded, ...fragmentFor(boxId), version, ...flag }, `desired config for ${boxId}`);
    }
    await store.write('desired', { ...desired, ...next });
    // Through the view's broker, then the same retained messages through each other node of a cluster (a node of
    // ejabberd 23.01 hands a subscriber only the retained messages published through it: docs/scale.md).
    // The view's client reconnects and sends its QoS 1 messages again; another node's does not, so a node that
    // closes (it died) is left for the rest of the push, and said.
    const others = opts.alsoThrough ?? [];
    const bar = progress('push', targets.length * (1 + others.length));
    const publishAll = async (c: MqttClient, gone: Promise<'gone'>) => {
      const inflight: Promise<unknown>[] = [];
      for (const boxId of targets) {
        inflight.push(c.publishAsync(boxTopic(boxId, 'config/desired'), JSON.stringify(next[boxId]), { qos: 1, retain: true }).then(() => bar.tick()));
        if (inflight.length >= 500 && (await Promise.race([Promise.all(inflight.splice(0)), gone])) === 'gone') return 'gone';
      }
      return Promise.race([Promise.all(inflight), gone]);
    };
    const reconnects = new Promise<'gone'>(() => {}); // the view's client is never gone: it reconnects and resends
    await publishAll(client, reconnects);
    const nodesLost: string[] = [];
    for (const o of others) {
      const gone = new Promise<'gone'>((resolve) => {
        if (!o.client.connected) resolve('gone');
        o.client.once('close', () => resolve('gone'));
      });
      // A node that refuses a publish is left out as one that closed: the configs went through the view's node.
      if ((await publishAll(o.client, gone).catch(() => 'gone')) === 'gone') nodesLost.push(o.url);
    }
    bar.done();
    return { version, targets, nodesLost };
  });
}

export interface StatusRow {
  boxId: string;
  /** Connected now (its presence or state says so); null: never heard from. */
  online: boolean | null;
  version: number;
  status: PushStatus;
  reason?: string;
}

export function statusRows(view: FleetView, desired: Record<string, Desired>, targets: string[]): StatusRow[] {
  return targets.map((boxId) => {
    const version = desired[boxId]?.version ?? 0;
    const v = view.boxes.get(boxId);
    const c = classify(v, version, desired[boxId]?.rebase === true);
    return { boxId, online: v?.online ?? null, version, ...c };
  });
}

export function countStatus(rows: StatusRow[]): Record<PushStatus, number> {
  const out: Record<PushStatus, number> = { applied: 0, partial: 0, refused: 0, offline: 0, pending: 0, none: 0 };
  for (const r of rows) out[r.status]++;
  return out;
}

/**
 * A box never heard from is waited for this long (within the caller's timeout) before it is reported offline: on a
 * cluster a node hands out only the retained presence published through it (docs/scale.md), so a box online through
 * another node is first heard when it answers the push (stressed run 105: 16 of 152 reported offline that way).
 */
export const UNHEARD_GRACE_MS = 5000;

/**
 * Waits until no target is pending (each applied, partial, refused or offline) or `timeoutMs` passes. A target
 * never heard from counts as pending for UNHEARD_GRACE_MS.
 */
export function waitSettled(view: FleetView, desired: Record<string, Desired>, targets: string[], timeoutMs: number): Promise<StatusRow[]> {
  return new Promise((resolve) => {
    const status = (b: string) => classify(view.boxes.get(b), desired[b]?.version ?? 0, desired[b]?.rebase === true).status;
    const unheard = (b: string) => !view.boxes.has(b) && (desired[b]?.version ?? 0) > 0;
    const pending = new Set(targets.filter((b) => status(b) === 'pending' || unheard(b)));
    const bar = progress('acks', pending.size);
    const finish = () => {
      clearTimeout(timer);
      clearTimeout(grace);
      view.off('change', on);
      bar.done();
      resolve(statusRows(view, desired, targets));
    };
    const settled = (boxId: string) => {
      pending.delete(boxId);
      bar.tick();
      if (pending.size === 0) finish();
    };
    const on = (boxId: string) => {
      if (!pending.has(boxId) || status(boxId) === 'pending') return;
      // Heard at last, and known offline: it may only be passing through (a box restarting); it applies on return.
      settled(boxId);
    };
    const timer = setTimeout(finish, timeoutMs);
    const grace = setTimeout(() => {
      for (const b of [...pending]) if (unheard(b)) settled(b);
    }, Math.min(UNHEARD_GRACE_MS, timeoutMs));
    view.on('change', on);
    if (pending.size === 0) finish();
  });
}
