// The verbs of `diemcau-provision`, one function each: (args) -> exit code. Each prints a table, or one JSON
// document with --json. Help texts and dispatch are in cli.ts.
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { IClientOptions } from 'mqtt';
import { Store, randomSecret } from './store.js';
import { importHalls, brokerFiles } from './import.js';
import { hashPassword } from './passwd.js';
import { resolveTargets } from './targets.js';
import { ClaimService } from './claim-service.js';
import { FleetView } from './fleet-view.js';
import { pushDesired, checkFragment, handoverSection, hallSection, waitSettled, countStatus, statusRows, type Desired, type Fragment, type StatusRow } from './push.js';
import { BROKER_URL_PATTERN } from '../core/config/schema.js';
import { caPaths, initCa, issueServerCert } from './ca.js';
import { writeCrl, readRevoked, revoke } from './crl.js';
import { renderBrokerConf } from './broker-conf.js';
import { buildBrokerPlugin, pluginExists, pluginPath, PLUGIN_SOURCE } from './broker-plugin.js';
import { initKeys, keyPaths, loadPrivateKey, makeBundle, parseExpiry } from './signing.js';
import { keyId } from '../core/bundle.js';
import { parseJson } from '../core/schema/parse.js';
import { BadRequestError } from '../core/errors.js';
import { createLogger } from '../core/log.js';
import type { Args } from './args.js';
import { table, json } from './output.js';

const store = (a: Args) => new Store(a.get('db', process.env.DIEMCAU_DB ?? './diemcau-db')!);
const brokerUrl = (a: Args) => a.get('url', process.env.DIEMCAU_BROKER ?? 'mqtt://localhost:1883')!;

async function tlsOpts(a: Args): Promise<IClientOptions> {
  const ca = a.get('cafile');
  return ca ? { ca: await readFile(ca) } : {};
}

function need(a: Args, n: number, what: string): string[] {
  if (a.pos.length !== n) throw new BadRequestError(`expected ${what} (see --help)`);
  return a.pos;
}

export async function init(a: Args): Promise<number> {
  const s = store(a);
  const { carrier, created } = await s.init();
  const out = { db: s.dir, created, claim: carrier.claim, service: { username: carrier.service.username }, passwd: s.path('passwd'), acl: s.path('acl') };
  if (a.has('json')) json(out);
  else {
    process.stdout.write(`${created ? 'created' : 'exists'}: ${s.dir}\n`);
    table([
      { what: 'claim credential (factory image)', value: `${carrier.claim.username} / ${carrier.claim.password}` },
      { what: 'service login', value: carrier.service.username },
      { what: 'broker password_file', value: s.path('passwd') },
      { what: 'broker acl_file', value: s.path('acl') },
    ]);
  }
  return 0;
}

export async function importVerb(a: Args): Promise<number> {
  const [file] = need(a, 1, 'one CSV file');
  const r = await importHalls(store(a), file, { write: !a.has('dry-run') });
  if (a.has('json')) json(r);
  else {
    table([{ rows: r.rows, added: r.added.length, changed: r.changed.length, unchanged: r.unchanged, kept: r.kept }]);
    for (const c of r.changed.slice(0, 50)) process.stdout.write(`changed ${c.boxId}: ${c.fields.join(', ')}\n`);
    if (r.changed.length > 50) process.stdout.write(`... and ${r.changed.length - 50} more changed\n`);
    if (r.added.length + r.changed.length > 0 && !a.has('dry-run')) {
      process.stdout.write('broker files rewritten: reload the broker (systemctl reload mosquitto, or SIGHUP)\n');
    }
  }
  return 0;
}

export async function codes(a: Args): Promise<number> {
  const s = store(a);
  const [halls, ids, claims] = await Promise.all([s.halls(), s.identities(), s.claims()]);
  const targets = resolveTargets(halls, a.pos[0] ?? 'all');
  const rows = targets.map((b) => ({
    box: b,
    commune: halls[b].commune.name,
    hall: halls[b].name,
    code: ids[b]?.installCode,
    serial: halls[b].serial ?? '',
    claimed: claims[b]?.confirmedAt ? `yes (${claims[b].serial})` : claims[b] ? 'issued' : 'no',
  }));
  if (a.has('json')) json(rows);
  else table(rows);
  return 0;
}

export async function brokerConf(a: Args): Promise<number> {
  const s = new Store(resolve(store(a).dir)); // the broker runs elsewhere: absolute paths
  const given = a.get('plugin');
  const plugin = given ? resolve(given) : pluginPath(s.dir);
  // The default is checked here, where it is built; a --plugin path may name a file on the broker's host.
  if (!given && !(await pluginExists(plugin))) {
    throw new BadRequestError(`no client-id plugin at ${plugin}: build it first with \`diemcau-provision broker-plugin --db ${a.get('db') ?? s.dir}\``);
  }
  const tlsPort = a.get('tls-port') ? a.num('tls-port', 8883) : undefined;
  const lines = renderBrokerConf(s, { port: a.num('port', 1883), tlsPort, bind: a.get('bind'), plugin });
  if (a.has('json')) json({ lines });
  else process.stdout.write(lines.join('\n') + '\n');
  return 0;
}

export async function brokerPlugin(a: Args): Promise<number> {
  const out = resolve(a.get('out') ?? pluginPath(store(a).dir));
  await buildBrokerPlugin(out);
  if (a.has('json')) json({ plugin: out, source: PLUGIN_SOURCE });
  else process.stdout.write(`built ${out}\nrender the broker config again (broker-conf) and restart the broker to load it\n`);
  return 0;
}

export async function caVerb(a: Args): Promise<number> {
  const s = store(a);
  const hosts = (a.get('host') ?? '').split(',').filter(Boolean);
  if (hosts.length === 0) throw new BadRequestError('ca: give --host with the broker name(s), e.g. --host mqtt.carrier.vn,10.0.0.5');
  const ca = caPaths(s.dir);
  const created = await initCa(ca);
  const server = await issueServerCert(ca, hosts);
  const crl = await writeCrl(ca, await readRevoked(ca));
  const out = { caCreated: created, ca: ca.cert, serverCert: server.cert, serverKey: server.key, crl, hosts };
  if (a.has('json')) json(out);
  else table(Object.entries(out).map(([k, v]) => ({ what: k, value: Array.isArray(v) ? v.join(',') : v })));
  return 0;
}

export async function serve(a: Args): Promise<number> {
  const s = store(a);
  const pub = await readFile(keyPaths(s.dir).pub, 'utf8').catch(() => undefined);
  const ca = caPaths(s.dir);
  const hasCa = await readFile(ca.cert).then(() => true, () => false);
  const log = createLogger({ part: 'serve' });
  const svc = new ClaimService(s, { url: brokerUrl(a), connect: await tlsOpts(a), ca: hasCa ? ca : undefined, updateKeyPem: pub, log });
  await svc.start();
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await svc.stop();
  log.info('serve: stopped', svc.stats);
  return 0;
}

async function withView<T>(a: Args, fn: (view: FleetView, s: Store) => Promise<T>): Promise<T> {
  const s = store(a);
  const carrier = await s.carrier();
  const view = new FleetView(brokerUrl(a), carrier.service, await tlsOpts(a));
  await view.start();
  try {
    return await fn(view, s);
  } finally {
    await view.stop();
  }
}

function report(a: Args, head: Record<string, unknown>, rows: StatusRow[]): number {
  const counts = countStatus(rows);
  if (a.has('json')) json({ ...head, counts, boxes: rows });
  else {
    table([{ ...head, ...counts }]);
    const notable = rows.filter((r) => r.status !== 'applied');
    if (notable.length > 0) {
      process.stdout.write('\n');
      table(notable.slice(0, 100).map((r) => ({ box: r.boxId, version: r.version, status: r.status, reason: r.reason ?? '' })));
      if (notable.length > 100) process.stdout.write(`... and ${notable.length - 100} more\n`);
    }
  }
  return counts.refused > 0 || counts.partial > 0 ? 1 : 0;
}

async function pushWith(
  a: Args,
  target: string,
  fragmentFor: (s: Store) => Promise<(boxId: string) => Fragment>,
  opts: { rebase?: boolean } = {},
): Promise<number> {
  return withView(a, async (view, s) => {
    const targets = resolveTargets(await s.halls(), target);
    const frag = await fragmentFor(s);
    const r = await pushDesired(s, view.mqtt, targets, frag, opts);
    await view.settle(200, 3000);
    const desired = (await s.desired()) as Record<string, Desired>;
    const rows = await waitSettled(view, desired, targets, a.num('wait', 10) * 1000);
    return report(a, { target, version: r.version, ...(opts.rebase ? { rebase: true } : {}), boxes: targets.length }, rows);
  });
}

export async function push(a: Args): Promise<number> {
  const [target, file] = need(a, 2, 'TARGET FILE.json');
  const fragment = checkFragment(parseJson(await readFile(file, 'utf8'), file), file);
  return pushWith(a, target, async (s) => {
    if (fragment.hall === undefined) return () => fragment;
    const halls = await s.halls();
    return (boxId) => ({ ...fragment, hall: hallSection(halls[boxId], fragment.hall, file) });
  });
}

/** Re-sends each target's recorded desired config under the fleet's next version, marked `rebase`. */
export async function rebase(a: Args): Promise<number> {
  const [target] = need(a, 1, 'TARGET');
  return pushWith(a, target, async () => () => ({}), { rebase: true });
}

export async function handover(a: Args): Promise<number> {
  const [target] = need(a, 1, 'TARGET');
  const to = (a.get('to') ?? '').split(',').filter(Boolean);
  if (to.length === 0) throw new BadRequestError('handover: give --to with the new broker URL(s)');
  for (const u of to) if (!new RegExp(BROKER_URL_PATTERN).test(u)) throw new BadRequestError(`handover: --to ${u} is not an mqtt://host[:port] or mqtts://host[:port] URL`);
  return pushWith(a, target, async (s) => {
    const [ids, claims] = await Promise.all([s.identities(), s.claims()]);
    return (boxId) => ({ mqtt: handoverSection(to, ids[boxId], claims[boxId], a.get('tls-dir')) });
  });
}

export async function status(a: Args): Promise<number> {
  return withView(a, async (view, s) => {
    const target = a.pos[0] ?? 'all';
    const targets = resolveTargets(await s.halls(), target);
    await view.settle(300, 10000);
    const desired = (await s.desired()) as Record<string, Desired>;
    return report(a, { target, boxes: targets.length }, statusRows(view, desired, targets));
  });
}

export async function keys(a: Args): Promise<number> {
  const s = store(a);
  const { pub, created } = await initKeys(s.dir);
  const out = { created, keyId: keyId(pub), publicKey: keyPaths(s.dir).pub };
  if (a.has('json')) json(out);
  else table([out]);
  return 0;
}

export async function bundle(a: Args): Promise<number> {
  const [dir] = need(a, 1, 'the directory to ship (the agent tree)');
  const version = a.get('version');
  const out = a.get('out');
  if (!version || !out) throw new BadRequestError('bundle: give --version X.Y.Z and --out FILE');
  const s = store(a);
  const m = await makeBundle({ dir, version, out, key: await loadPrivateKey(s.dir), expiresAt: parseExpiry(a.get('expires', '90d')!), entry: a.get('entry') });
  if (a.has('json')) json({ file: out, manifest: m });
  else table([{ file: out, version: m.version, expires: m.expiresAt, key: m.keyId, bytes: m.payload.size }]);
  return 0;
}

export async function reset(a: Args): Promise<number> {
  const [boxId] = need(a, 1, 'BOXID');
  const s = store(a);
  const carrier = await s.carrier();
  const at = await s.locked(async () => {
    const [halls, ids, resets] = await Promise.all([s.halls(), s.identities(), s.resets()]);
    if (!halls[boxId] || !ids[boxId]) throw new BadRequestError(`reset: no hall ${boxId}`);
    // A new password shuts the replaced box out (once the broker reloads the password file).
    const password = randomSecret();
    ids[boxId] = { ...ids[boxId], password, hash: hashPassword(password) };
    const files = brokerFiles(carrier, halls, ids, hashPassword(carrier.claim.password), hashPassword(carrier.service.password));
    await s.write('identities', ids);
    await s.write('passwd', files.passwd);
    resets[boxId] = new Date().toISOString();
    // A certificate box's certificate goes on the CRL: rotating a password does not shut it out.
    const claim = (await s.claims())[boxId];
    const revoked = claim?.certificate ? await revoke(caPaths(s.dir), claim.certificate, boxId) : null;
    await s.write('resets', resets);
    return { at: resets[boxId], revoked: revoked?.serial ?? null };
  });
  if (a.has('json')) json({ boxId, resetAt: at.at, passwordRotated: true, certificateRevoked: at.revoked });
  else {
    process.stdout.write(`${boxId}: open to a new claim since ${at.at}; password rotated${at.revoked ? `, certificate ${at.revoked} revoked` : ''}\n`);
    process.stdout.write('reload the broker (systemctl reload mosquitto) to shut the old box out\n');
  }
  return 0;
}
