// One client id, one login (issue 10). Mosquitto closes a connected client when another CONNECT names its client
// id, so without a binding any login that passes the password file (the claim credential every factory image
// carries, another box's, the service's) knocks a hall off the broker, as often as it likes. The broker here runs
// what a carrier deploys: the config `diemcau-provision broker-conf` renders (password file, ACL, the client-id
// plugin that `diemcau-provision broker-plugin` builds, the certificate listener); the box is a real `diemcau run`
// process with the agent's node flags, and the service pings it throughout each attack.
import t from 'tap';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { mkdtemp, readFile, readdir, rm, writeFile, mkdir } from 'node:fs/promises';
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { provisionCli, PROVISION_CLI } from '../../lab/provision-cli.js';
import { freeTcpPort } from '../../lab/ports.js';
import { startBroker } from '../../lab/mosquitto.js';
import { startAgent, writeConfig } from '../../lab/agent-process.js';
import { Store } from '../../provisioning/store.js';
import { syntheticCsv } from '../../provisioning/synthetic.js';
import { caPaths, signCsr } from '../../provisioning/ca.js';
import { Requester } from '../../provisioning/requests.js';
import { boxCsr } from '../../agent/claim.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const dir = await mkdtemp(join(tmpdir(), 'diemcau-clientid-'));
t.teardown(() => rm(dir, { recursive: true, force: true }));
const db = join(dir, 'db');
const port = await freeTcpPort();
const tlsPort = await freeTcpPort();
const url = `mqtt://127.0.0.1:${port}`;

async function carrierCli(args: string[]): Promise<string> {
  const r = await provisionCli([...args, '--db', db]);
  if (r.code !== 0) throw new Error(`diemcau-provision ${args[0]} exited ${r.code}: ${r.err.trim()}`);
  return r.out;
}
await writeFile(join(dir, 'halls.csv'), syntheticCsv({ count: 4, broker: url }));
await carrierCli(['init']);
await carrierCli(['import', join(dir, 'halls.csv')]);
await carrierCli(['ca', '--host', '127.0.0.1,localhost']);
// Checked in the first subtest (an assertion at the top level would end the root test before the others run).
const built = await provisionCli(['broker-plugin', '--db', db]);
const rendered = JSON.parse(await carrierCli(['broker-conf', '--port', String(port), '--tls-port', String(tlsPort), '--bind', '127.0.0.1', '--json'])).lines;
const broker = await startBroker({ rendered, port });
t.teardown(() => broker.cleanup());

const store = new Store(db);
const carrier = await store.carrier();
const ids = await store.identities();
const [A, B, C, D] = ['vn-00010', 'vn-00011', 'vn-00012', 'vn-00013'];
const as = (username: string, password: string): IClientOptions => ({ username, password });
const claimLogin = as(carrier.claim.username, carrier.claim.password);
const serviceLogin = as(carrier.service.username, carrier.service.password);
const boxLogin = (box: string) => as(box, ids[box].password);

// Box A, as deployed: a real agent process that logs in as itself.
const agent = startAgent(await writeConfig({ box: { id: A }, mqtt: { brokers: [url], ...boxLogin(A) } }, await mkdtemp(join(dir, 'box-a-'))));
t.teardown(() => agent.stop('SIGKILL'));
await agent.waitLog((l) => l.msg === 'registered with broker', 'registered with broker', 20000);
const drops = () => agent.lines.filter((l) => l.msg === 'broker link dropped').length;

// The operator: the service login, asking the box for `ping` as `diemcau-provision` does.
const ops = await mqtt.connectAsync(url, { protocolVersion: 5, clientId: 'ops-clientid-test', ...serviceLogin, reconnectPeriod: 500 });
t.teardown(() => ops.endAsync(true));
const requester = new Requester(ops);
await requester.start();
const pingOk = () => requester.request(A, 'ping', {}, 2000).then((r) => r.ok, () => false);

/** Waits (bounded) until the box answers a ping: each attack starts with the box online. */
async function boxAnswers(withinMs: number): Promise<boolean> {
  for (const end = Date.now() + withinMs; Date.now() < end; await sleep(250)) if (await pingOk()) return true;
  return false;
}

interface Outcome {
  attempts: number;
  refused: number;
  accepted: number;
  other: string[];
  pings: number;
  answered: number;
  drops: number;
}

/**
 * The probe's attack, bounded: connect with `clientId` as `login` every 200 ms for 5 s, keeping each connection
 * that is let in (an attacker holds the id), while the service pings box A every 250 ms, and for 1 s after.
 */
async function attack(login: IClientOptions, clientId: string, target = url, extra: IClientOptions = {}): Promise<Outcome> {
  const out: Outcome = { attempts: 0, refused: 0, accepted: 0, other: [], pings: 0, answered: 0, drops: 0 };
  const before = drops();
  const held: MqttClient[] = [];
  const end = Date.now() + 5000;
  const pinging = (async () => {
    while (Date.now() < end + 1000) {
      out.pings++;
      if (await pingOk()) out.answered++;
      await sleep(250);
    }
  })();
  while (Date.now() < end) {
    out.attempts++;
    try {
      held.push(await mqtt.connectAsync(target, { protocolVersion: 5, clientId, reconnectPeriod: 0, connectTimeout: 3000, ...login, ...extra }));
      out.accepted++;
    } catch (err) {
      if ((err as { code?: number }).code === 135) out.refused++;
      else out.other.push((err as Error).message);
    }
    await sleep(200);
  }
  await pinging;
  await Promise.all(held.map((c) => c.endAsync(true)));
  out.drops = drops() - before;
  return out;
}

/** One login: 'ok', 'refused' (CONNACK 0x87, or 5 in MQTT 3.1.1) or the error. */
async function tryLogin(login: IClientOptions, clientId: string, extra: IClientOptions = {}): Promise<string> {
  try {
    const c = await mqtt.connectAsync(url, { protocolVersion: 5, clientId, reconnectPeriod: 0, connectTimeout: 3000, ...login, ...extra });
    await c.endAsync(true);
    return 'ok';
  } catch (err) {
    const code = (err as { code?: number }).code;
    return code === 135 || (extra.protocolVersion === 4 && code === 5) ? 'refused' : (err as Error).message;
  }
}

const summary = (o: Outcome) =>
  `${o.refused} of ${o.attempts} refused, ${o.accepted} let in; box dropped ${o.drops} times; ${o.answered} of ${o.pings} pings answered`;

t.test('the carrier builds the client-id plugin', async (t) => {
  t.equal(built.code, 0, `diemcau-provision broker-plugin exits 0 ${built.err.trim()}`);
  t.ok(rendered.some((l: string) => l.startsWith('plugin ')), 'broker-conf loads it');
});

// The four attacks on box A's client id run at once (each 5 s, with its own pinger): the box is online before
// them, and each attack's counts are its own; the drops are counted over all four, and each must find none.
const attackers = [
  ['the claim credential (every factory image)', claimLogin],
  [`another box's credential (${B})`, boxLogin(B)],
  ['the service credential', serviceLogin],
] as const;
/** Box C's identity as a claim makes it: its key on the box, the CSR signed by the carrier CA with CN = box id. */
async function certBox(): Promise<IClientOptions> {
  const boxDir = join(dir, 'box-c');
  await mkdir(boxDir);
  const cert = await signCsr(caPaths(db), await boxCsr(boxDir, C), C);
  return { key: await readFile(join(boxDir, 'box.key')), cert, ca: await readFile(caPaths(db).cert) };
}
let attacks: Promise<{ tls: IClientOptions; online: boolean; byPassword: Outcome[]; byCert: Outcome }> | undefined;
const allAttacks = () =>
  (attacks ??= (async () => {
    const tls = await certBox();
    const online = await boxAnswers(60000);
    const [byCert, ...byPassword] = await Promise.all([
      attack({}, A, `mqtts://127.0.0.1:${tlsPort}`, tls),
      ...attackers.map(([, login]) => attack(login, A)),
    ]);
    return { tls, online, byPassword, byCert };
  })());

for (const [i, [who]] of attackers.entries()) {
  t.test(`${who} cannot take box ${A}'s client id`, async (t) => {
    const { online, byPassword } = await allAttacks();
    t.ok(online, 'the box is online before the attack');
    const o = byPassword[i];
    t.comment(summary(o));
    t.same(o.other, [], 'no other error than a refusal');
    t.equal(o.refused, o.attempts, `every CONNECT with ${A} refused Not authorized (0x87): ${summary(o)}`);
    t.equal(o.drops, 0, "the box's link never dropped");
    t.equal(o.answered, o.pings, 'the box answered every ping during the attack');
  });
}

t.test('a certificate box on the TLS listener cannot take another box\'s client id', async (t) => {
  const { tls, online, byCert: o } = await allAttacks();
  t.ok(online, 'the box is online before the attack');
  t.comment(summary(o));
  t.same(o.other, [], 'no error');
  t.equal(o.accepted, o.attempts, 'the certificate itself is good: each login is let in');
  t.equal(o.drops, 0, `but as ${C}, not as ${A}: the box's link never dropped`);
  t.equal(o.answered, o.pings, 'the box answered every ping during the attack');

  // Whatever id it asks for, the certificate's box gets its own: a second login with another id replaces the first.
  const first = await mqtt.connectAsync(`mqtts://127.0.0.1:${tlsPort}`, { protocolVersion: 5, clientId: 'asked-1', reconnectPeriod: 0, ...tls });
  const closed = new Promise<boolean>((r) => {
    first.once('close', () => r(true));
    setTimeout(() => r(false), 3000);
  });
  const second = await mqtt.connectAsync(`mqtts://127.0.0.1:${tlsPort}`, { protocolVersion: 5, clientId: 'asked-2', reconnectPeriod: 0, ...tls });
  t.ok(await closed, `"asked-1" and "asked-2" are both ${C} to the broker (use_username_as_clientid)`);
  await Promise.all([first.endAsync(true), second.endAsync(true)]);
});

t.test('who may use which client id', async (t) => {
  t.equal(await tryLogin(boxLogin(A), `${A}-check`), 'ok', "a box's own `<box id>-check` login (agent/claim.ts) is let in");
  t.equal(await tryLogin(claimLogin, `${A}-check`), 'refused', 'the claim credential cannot take it');
  t.equal(await tryLogin(claimLogin, 'SN-0001'), 'ok', 'the claim credential with a serial as client id is let in');
  t.equal(await tryLogin(claimLogin, D), 'refused', `a serial shaped like a box id (${D}, a hall not yet claimed) is refused`);
  t.equal(await tryLogin(boxLogin(D), D), 'ok', `${D} itself logs in`);
  t.equal(await tryLogin(serviceLogin, 'diemcau-provision-serve-4242'), 'ok', 'the service uses its own ids');
  t.equal(await tryLogin(claimLogin, 'diemcau-provision-serve-4242'), 'refused', "the claim credential cannot take the claim service's id");
  t.equal(await tryLogin(boxLogin(B), 'diemcau-provision-serve-4242'), 'refused', 'nor can a box');
  t.equal(await tryLogin(claimLogin, A, { protocolVersion: 4 }), 'refused', 'in MQTT 3.1.1 too');
  t.match(
    await tryLogin(claimLogin, A, { properties: { authenticationMethod: 'SCRAM-SHA-1' } }),
    /Bad authentication method/,
    'an MQTT 5 enhanced-auth CONNECT (which skips the password check) is refused: the broker has no such method',
  );
  t.equal(await tryLogin(as(A, 'wrong'), A), 'refused', "a box's own id with a wrong password is still refused (the password file decides)");
  const log = await readFile(join(broker.dir, 'mosquitto.log'), 'utf8');
  t.match(log, new RegExp(`diemcau_clientid: .*${carrier.claim.username}.*${A}`), 'the broker log names the login and the id it was refused');
  t.equal(drops(), 0, 'box A was never dropped in this whole file');
});

t.test('boxes added by a later import own their ids once the broker reloads', async (t) => {
  const E = 'vn-00014';
  await writeFile(join(dir, 'halls.csv'), syntheticCsv({ count: 5, broker: url }));
  await carrierCli(['import', join(dir, 'halls.csv')]);
  const fresh = (await store.identities())[E];
  // Until the broker reloads it knows nothing of the new box (nor can the box log in): the id is still free.
  t.equal(await tryLogin(claimLogin, E), 'ok', `before the reload ${E} is nobody's id`);
  broker.proc!.kill('SIGHUP');
  let outcome = '';
  for (let i = 0; i < 50 && outcome !== 'refused'; i++, await sleep(100)) outcome = await tryLogin(claimLogin, E);
  t.equal(outcome, 'refused', `after the reload the claim credential cannot take ${E}`);
  t.equal(await tryLogin(as(E, fresh.password), E), 'ok', `${E} logs in as itself`);
  t.equal(await tryLogin(claimLogin, A), 'refused', `${A} is still bound`);
});

t.test('a plugin that cannot read its password file stops the broker from starting', async (t) => {
  const p2 = await freeTcpPort();
  const lines: string[] = JSON.parse(await carrierCli(['broker-conf', '--port', String(p2), '--bind', '127.0.0.1', '--json'])).lines;
  const missing = join(dir, 'no-such-passwd');
  const bad = lines.map((l) => (l.startsWith('plugin_opt_password_file ') ? `plugin_opt_password_file ${missing}` : l));
  const started = await startBroker({ rendered: bad, port: p2 }).catch((err: Error) => err);
  if (!(started instanceof Error)) await started.cleanup(); // it should not have started; stop it all the same
  t.match(started, { message: new RegExp(`mosquitto exited .*diemcau_clientid: cannot read plugin_opt_password_file ${missing}: No such file`) }, 'refused to start, naming the file');
});

t.test('the carrier is told what is missing, in one line, and nothing is written', async (t) => {
  const out = join(dir, 'built', 'diemcau_clientid.so');
  const noCc = await provisionCli(['broker-plugin', '--db', db, '--out', out], { CC: '/nonexistent/cc' });
  t.equal(noCc.code, 2, 'no compiler: exit 2');
  t.equal(noCc.err, 'diemcau-provision broker-plugin: no C compiler "/nonexistent/cc" on this host (Debian: apt-get install gcc)\n', 'named in one line');
  // No plugin headers: the real compiler under an /usr/include where mosquitto_broker.h is deleted (an overlay with
  // a whiteout, in a private mount namespace that dies with the shell).
  const ovl = join(dir, 'ovl');
  const script = [
    'set -e',
    `mkdir -p ${ovl}/up ${ovl}/work`,
    `mknod ${ovl}/up/mosquitto_broker.h c 0 0`,
    `mount -t overlay overlay -o lowerdir=/usr/include,upperdir=${ovl}/up,workdir=${ovl}/work /usr/include`,
    `exec "${process.execPath}" "${PROVISION_CLI}" broker-plugin --db "${db}" --out "${out}"`,
  ].join('\n');
  const noHeader = await new Promise<{ code: number | null; err: string }>((res) => {
    const p = spawn('unshare', ['--mount', '--propagation', 'private', 'bash', '-c', script], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    p.stderr.on('data', (d) => (err += d));
    p.once('exit', (code) => res({ code, err }));
  });
  t.equal(noHeader.code, 2, `no headers: exit 2 ${noHeader.err.trim()}`);
  t.match(noHeader.err, /^diemcau-provision broker-plugin: Mosquitto's plugin header mosquitto_broker\.h is missing \(Debian: apt-get install mosquitto-dev libmosquitto-dev\)\n$/, 'named in one line');
  t.same(await readdir(join(dir, 'built')).catch(() => []), [], 'no plugin and no temp file left');

  const empty = join(dir, 'empty-db');
  await provisionCli(['init', '--db', empty]);
  const conf = await provisionCli(['broker-conf', '--db', empty]);
  t.equal(conf.code, 2, 'broker-conf before broker-plugin: exit 2');
  t.match(conf.err, /^diemcau-provision broker-conf: no client-id plugin at \S+diemcau_clientid\.so: build it first with `diemcau-provision broker-plugin --db \S+`\n$/, 'says which verb to run first');
  t.equal(conf.out, '', 'no config printed');
});
