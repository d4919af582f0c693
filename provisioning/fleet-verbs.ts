// The verbs that talk to boxes through the broker, logged in as the service: serve, push, rebase, handover and
// status. Each logs in to the broker chosen in verb-common.ts (said on stderr when not given) and prints a table,
// or one JSON document with --json.
import { readFile } from 'node:fs/promises';
import mqtt, { type IClientOptions } from 'mqtt';
import { Store } from './store.js';
import { resolveTargets } from './targets.js';
import { ClaimService } from './claim-service.js';
import { FleetView, serviceLogin } from './fleet-view.js';
import { pushDesired, checkFragment, handoverSection, nodeOrder, hallSection, waitSettled, countStatus, statusRows, type AlsoThrough, type Desired, type Fragment, type StatusRow } from './push.js';
import { caPaths } from './ca.js';
import { keyPaths } from './signing.js';
import { parseJson } from '../core/schema/parse.js';
import { checkBrokerUrl } from '../core/broker-url.js';
import { BadRequestError } from '../core/errors.js';
import { createLogger } from '../core/log.js';
import type { Args } from './args.js';
import { table, json } from './output.js';
import { storeOf, need, readInput, tlsOpts, chooseBroker, sayBroker, unreachable } from './verb-common.js';

/** Runs `fn` with a fleet view logged in to the chosen broker, for the halls `target` names. */
export async function withView<T>(a: Args, verb: string, target: string, fn: (view: FleetView, s: Store, targets: string[]) => Promise<T>): Promise<T> {
  const s = storeOf(a);
  const carrier = await s.carrier();
  const halls = await s.halls();
  const targets = resolveTargets(halls, target);
  const broker = chooseBroker(a, halls, targets);
  sayBroker(verb, broker);
  const view = new FleetView(broker.url, carrier.service, await tlsOpts(a));
  try {
    await view.start();
  } catch (err) {
    throw unreachable(broker, err);
  }
  try {
    return await fn(view, s, targets);
  } finally {
    await view.stop();
  }
}

export const onlineCell = (online: boolean | null) => (online === null ? 'never seen' : online ? 'yes' : 'no');

function report(a: Args, head: Record<string, unknown>, rows: StatusRow[]): number {
  const counts = countStatus(rows);
  const online = rows.filter((r) => r.online === true).length;
  if (a.has('json')) json({ ...head, online, counts, boxes: rows });
  else {
    table([{ ...head, online, ...counts }]);
    // What needs a look: a pushed config not applied, or a box not connected now (an applied config says nothing
    // of whether the box still runs).
    const notable = rows.filter((r) => (r.status !== 'applied' && r.status !== 'none') || r.online !== true);
    if (notable.length > 0) {
      process.stdout.write('\n');
      table(notable.slice(0, 100).map((r) => ({ box: r.boxId, online: onlineCell(r.online), version: r.version, status: r.status, reason: r.reason ?? '' })));
      if (notable.length > 100) process.stdout.write(`... and ${notable.length - 100} more\n`);
    }
  }
  return counts.refused > 0 || counts.partial > 0 ? 1 : 0;
}

async function pushWith(
  a: Args,
  verb: string,
  target: string,
  fragmentFor: (s: Store) => Promise<(boxId: string) => Fragment>,
  opts: { rebase?: boolean } = {},
): Promise<number> {
  const nodes = (a.get('nodes') ?? '').split(',').filter(Boolean);
  for (const u of nodes) checkBrokerUrl(u, '--nodes');
  return withView(a, verb, target, async (view, s, targets) => {
    const frag = await fragmentFor(s);
    const others = await openNodes(verb, nodes.filter((u) => u !== view.url), (await s.carrier()).service, await tlsOpts(a));
    let r;
    try {
      r = await pushDesired(s, view.mqtt, targets, frag, { ...opts, alsoThrough: others });
    } finally {
      others.forEach((o) => o.client.end(true));
    }
    for (const url of r.nodesLost) process.stderr.write(`diemcau-provision ${verb}: node ${url} (--nodes) closed during the push: left out\n`);
    await view.settle(200, 3000);
    const desired = (await s.desired()) as Record<string, Desired>;
    const rows = await waitSettled(view, desired, targets, a.num('wait', 10) * 1000);
    return report(a, { target, version: r.version, ...(opts.rebase ? { rebase: true } : {}), boxes: targets.length }, rows);
  });
}

/**
 * Service logins to a cluster's other nodes (--nodes), to publish the retained configs through each. A node that
 * does not answer is left out, said on stderr: a node that starts again rebuilds its index from the cluster's store.
 */
async function openNodes(verb: string, urls: string[], login: { username: string; password: string }, tls: IClientOptions): Promise<AlsoThrough[]> {
  const opened = await Promise.all(
    urls.map((url) =>
      mqtt
        .connectAsync(url, { ...serviceLogin(login), reconnectPeriod: 0, ...tls }, false)
        .then((client) => ({ url, client }))
        .catch((err: Error) => {
          process.stderr.write(`diemcau-provision ${verb}: node ${url} (--nodes) left out: ${err.message}\n`);
          return null;
        }),
    ),
  );
  return opened.filter((o): o is AlsoThrough => o !== null);
}

export async function push(a: Args): Promise<number> {
  const [target, file] = need(a, 2, 'TARGET FILE.json');
  const fragment = checkFragment(parseJson((await readInput(file)).toString('utf8'), file), file);
  return pushWith(a, 'push', target, async (s) => {
    if (fragment.hall === undefined) return () => fragment;
    const halls = await s.halls();
    return (boxId) => ({ ...fragment, hall: hallSection(halls[boxId], fragment.hall) });
  });
}

/** Re-sends each target's recorded desired config under the fleet's next version, marked `rebase`. */
export async function rebase(a: Args): Promise<number> {
  const [target] = need(a, 1, 'TARGET');
  return pushWith(a, 'rebase', target, async () => () => ({}), { rebase: true });
}

export async function handover(a: Args): Promise<number> {
  const [target] = need(a, 1, 'TARGET');
  const to = (a.get('to') ?? '').split(',').filter(Boolean);
  if (to.length === 0) throw new BadRequestError('handover: give --to with the new broker URL(s)');
  for (const u of to) checkBrokerUrl(u, '--to');
  return pushWith(a, 'handover', target, async (s) => {
    const [ids, claims] = await Promise.all([s.identities(), s.claims()]);
    const order = (boxId: string) => (a.has('spread') ? nodeOrder(boxId, to) : to);
    return (boxId) => ({ mqtt: handoverSection(order(boxId), ids[boxId], claims[boxId], a.get('tls-dir')) });
  });
}

export async function status(a: Args): Promise<number> {
  const target = a.pos[0] ?? 'all';
  return withView(a, 'status', target, async (view, s, targets) => {
    await view.settle(300, 10000);
    const desired = (await s.desired()) as Record<string, Desired>;
    return report(a, { target, boxes: targets.length }, statusRows(view, desired, targets));
  });
}

export async function serve(a: Args): Promise<number> {
  const s = storeOf(a);
  const halls = await s.halls();
  const broker = chooseBroker(a, halls, Object.keys(halls));
  sayBroker('serve', broker);
  const pub = await readFile(keyPaths(s.dir).pub, 'utf8').catch(() => undefined);
  const ca = caPaths(s.dir);
  const hasCa = await readFile(ca.cert).then(() => true, () => false);
  const log = createLogger({ part: 'serve' });
  const svc = new ClaimService(s, { url: broker.url, connect: await tlsOpts(a), ca: hasCa ? ca : undefined, updateKeyPem: pub, log });
  try {
    await svc.start();
  } catch (err) {
    throw unreachable(broker, err);
  }
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await svc.stop();
  log.info('serve: stopped', svc.stats);
  return 0;
}
