// The verbs of `diemcau-provision` that work on the database and the broker's files, one function each:
// (args) -> exit code. Each prints a table, or one JSON document with --json. The verbs that talk to boxes are in
// fleet-verbs.ts and cmd-verb.ts; help texts in verb-table.ts, dispatch in cli.ts.
import { resolve, join } from 'node:path';
import { mkdir } from 'node:fs/promises';
import { writeFileAtomic } from '../core/atomic-file.js';
import { isIP } from 'node:net';
import { Store, randomSecret } from './store.js';
import { importHalls, brokerFiles } from './import.js';
import { hashPassword } from './passwd.js';
import { resolveTargets } from './targets.js';
import { caPaths, initCa, issueServerCert } from './ca.js';
import { writeCrl, readRevoked, revoke } from './crl.js';
import { renderBrokerConf } from './broker-conf.js';
import { renderEjabberdConf, renderEjabberdAccounts, carrierLogins } from './ejabberd-conf.js';
import { buildBrokerPlugin, pluginExists, pluginPath, PLUGIN_SOURCE } from './broker-plugin.js';
import { initKeys, keyPaths, loadPrivateKey, makeBundle, parseExpiry } from './signing.js';
import { keyId } from '../core/bundle.js';
import { BadRequestError } from '../core/errors.js';
import type { Args } from './args.js';
import { table, json } from './output.js';
import { storeOf, need, inputExists, readInput } from './verb-common.js';

const store = storeOf;

export async function init(a: Args): Promise<number> {
  const s = store(a);
  const { carrier, created } = await s.init();
  const out = { db: s.dir, created, claim: carrier.claim, service: carrier.service, passwd: s.path('passwd'), acl: s.path('acl') };
  if (a.has('json')) json(out);
  else {
    process.stdout.write(`${created ? 'created' : 'exists'}: ${s.dir}\n`);
    table([
      { what: 'claim credential (factory image)', value: `${carrier.claim.username} / ${carrier.claim.password}` },
      { what: 'service login (serve, push, status, cmd, operators)', value: `${carrier.service.username} / ${carrier.service.password}` },
      { what: 'broker password_file', value: s.path('passwd') },
      { what: 'broker acl_file', value: s.path('acl') },
    ]);
    // The one login that may send commands to boxes and read their replies (the ACL gives it diemcau/v1/#).
    process.stdout.write(
      `\nOperators send commands as the service login: \`diemcau-provision cmd BOXID ping\` uses it from ${s.path('carrier')};\n` +
        `another MQTT client (mosquitto_rr) logs in as ${carrier.service.username} with the password above (docs/mqtt.md, Commands).\n` +
        'Keep both passwords secret: the claim credential goes only into factory images.\n',
    );
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
    if (r.brokerFilesRewritten) {
      process.stdout.write('broker files rewritten: reload the broker (systemctl reload mosquitto, or SIGHUP)\n');
    }
  }
  return 0;
}

export async function codes(a: Args): Promise<number> {
  const s = store(a);
  const [halls, ids, claims] = await Promise.all([s.halls(), s.identities(), s.claims()]);
  const targets = resolveTargets(halls, a.pos[0] ?? 'all');
  // Machine values: `issuedTo` is the serial the identity was handed to, `claimed` that box was online as itself.
  const rows = targets.map((b) => ({
    box: b,
    commune: halls[b].commune.name,
    hall: halls[b].name,
    code: ids[b]?.installCode ?? null,
    label: ids[b]?.label ?? null,
    serial: halls[b].serial ?? null,
    issuedTo: claims[b]?.serial ?? null,
    claimed: claims[b]?.confirmedAt !== undefined,
  }));
  if (a.has('json')) json(rows);
  else {
    const claim = (r: (typeof rows)[number]) => (r.claimed ? `yes (${r.issuedTo})` : r.issuedTo ? `issued (${r.issuedTo})` : 'no');
    table(rows.map((r) => ({ box: r.box, commune: r.commune, hall: r.hall, code: r.code, label: r.label ?? '', serial: r.serial ?? '', claimed: claim(r) })));
  }
  return 0;
}

/** A TCP port given as an option: a whole number from 1 to 65535. */
function port(a: Args, name: string, fallback: number): number {
  const v = a.get(name);
  if (v === undefined) return fallback;
  if (!/^[0-9]+$/.test(v) || Number(v) < 1 || Number(v) > 65535) throw new BadRequestError(`option --${name}: ${v} is not a port (1 to 65535)`);
  return Number(v);
}

export async function brokerConf(a: Args): Promise<number> {
  const s = new Store(resolve(store(a).dir)); // the broker runs elsewhere: absolute paths
  const given = a.get('plugin');
  const plugin = given ? resolve(given) : pluginPath(s.dir);
  // The default is checked here, where it is built; a --plugin path may name a file on the broker's host.
  if (!given && !(await pluginExists(plugin))) {
    throw new BadRequestError(`no client-id plugin at ${plugin}: build it first with \`diemcau-provision broker-plugin --db ${a.get('db') ?? s.dir}\``);
  }
  const tlsPort = a.get('tls-port') !== undefined ? port(a, 'tls-port', 8883) : undefined;
  const bind = a.get('bind');
  // Mosquitto takes an address (or a name it resolves) after the port; a typo here would bind nothing or fail later.
  if (bind !== undefined && !isIP(bind) && !/^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$/.test(bind)) {
    throw new BadRequestError(`option --bind: ${bind} is not an address (e.g. 127.0.0.1, 10.0.0.5, ::1) or a host name`);
  }
  const lines = renderBrokerConf(s, { port: port(a, 'port', 1883), tlsPort, bind, plugin });
  if (a.has('json')) json({ lines });
  else process.stdout.write(lines.join('\n') + '\n');
  return 0;
}

export async function ejabberdConf(a: Args): Promise<number> {
  const s = store(a);
  const domain = a.get('domain');
  // A JID domain part: a DNS name (or address) the boxes need not resolve: it only names the accounts' host.
  if (!domain || !/^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/.test(domain)) {
    throw new BadRequestError(`option --domain: ${domain === undefined ? 'missing' : `${domain} is not a domain`} (lower case, e.g. mqtt.carrier.vn)`);
  }
  const bind = a.get('bind');
  if (bind !== undefined && !isIP(bind)) throw new BadRequestError(`option --bind: ${bind} is not an address (e.g. 10.0.0.5, ::)`);
  const registered = a.get('registered');
  const skip = new Set(registered === undefined ? [] : (await readInput(registered, '--registered')).toString('utf8').split(/\s+/).filter(Boolean));
  const [carrier, halls, ids] = await Promise.all([s.carrier(), s.halls(), s.identities()]);
  const out = resolve(a.get('out') ?? join(s.dir, 'broker', 'ejabberd'));
  await mkdir(out, { recursive: true, mode: 0o700 });
  // The broker certificate `ca --host` makes, named by absolute path: the nodes read it where the database is copied.
  const brokerDir = caPaths(resolve(s.dir)).brokerDir;
  const tls = a.get('tls-port') === undefined ? undefined : { port: port(a, 'tls-port', 8883), cert: join(brokerDir, 'server.crt'), key: join(brokerDir, 'server.key') };
  const conf = renderEjabberdConf(carrier, Object.values(halls), { domain, port: port(a, 'port', 1883), bind, tls });
  const accounts = await renderEjabberdAccounts(domain, carrierLogins(carrier, ids), skip);
  const files = { config: join(out, 'ejabberd.yml'), accounts: join(out, 'accounts.xml') };
  await writeFileAtomic(files.config, conf, 0o640);
  await writeFileAtomic(files.accounts, accounts.xml, 0o600);
  const result = { config: files.config, accountsFile: files.accounts, domain, written: accounts.written, skipped: skip.size, groups: new Set(Object.values(halls).flatMap((h) => h.groups)).size };
  if (a.has('json')) json(result);
  else {
    table([{ config: files.config, accounts: files.accounts, written: accounts.written, groups: result.groups }]);
    process.stdout.write(`load: ejabberdctl import_piefxis ${files.accounts} (any node), then ejabberdctl reload_config on each node\n`);
  }
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
  await inputExists(dir, 'directory');
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
