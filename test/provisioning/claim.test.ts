// Zero-touch claim end to end: agent/claim.ts on the box side, `serve` (ClaimService) on the carrier side, a real
// Mosquitto loading the rendered password file and ACL, and for certificates a TLS listener that takes the
// username from the client certificate the carrier's CA signed from the box's CSR.
import t from 'tap';
import { readFile, writeFile, access } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { scratchDir } from '../../lab/scratch-dir.js';
import { carrierWithBroker, login } from '../../lab/provision-fixture.js';
import { ClaimService } from '../../provisioning/claim-service.js';
import { importHalls } from '../../provisioning/import.js';
import { syntheticCsv } from '../../provisioning/synthetic.js';
import { caPaths } from '../../provisioning/ca.js';
import { Store } from '../../provisioning/store.js';
import { X509Certificate } from 'node:crypto';
import { claimOnce, KEY_FILE } from '../../agent/claim.js';
import { ClaimRefusedError, ephemeralKey, seal, unseal } from '../../core/claim.js';
import { parseConfig, loadConfigFile } from '../../agent/config/load.js';
import { silentLogger } from '../../core/log.js';
import { sleep, waitFor } from '../../lab/wait.js';
import mqtt from 'mqtt';
import { spawn } from 'node:child_process';

const CLI = resolve(import.meta.dirname, '../../provisioning/cli.js');

async function factoryConfig(dir: string, brokers: string[], claim: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  const path = join(dir, 'config.json');
  const cfg = parseConfig({ box: { id: 'unclaimed' }, mqtt: { brokers, ...extra }, claim: { dir, timeoutS: 5, ...claim } }, 'factory');
  await writeFile(path, JSON.stringify(cfg));
  return { path, cfg };
}

t.test('password identity: claim by serial, stored, box logs in as itself; a leaked claim credential gets nothing', async (t) => {
  const c = await carrierWithBroker(3, { serials: true });
  t.teardown(() => c.cleanup());
  const carrier = await c.store.carrier();
  const ids = await c.store.identities();
  const svc = new ClaimService(c.store, { url: c.broker.url, log: silentLogger, updateKeyPem: 'PEM-UPDATE-KEY' });
  await svc.start();
  t.teardown(() => svc.stop());
  const claimCred = { username: carrier.claim.username, password: carrier.claim.password };

  // Everything on the claim topics, as the service user sees it: the password must not be in it.
  const spy = await login(c.broker.url, carrier.service.username, carrier.service.password, 'spy');
  t.teardown(() => spy.endAsync(true));
  const wire: string[] = [];
  spy.on('message', (_topic, p) => wire.push(p.toString()));
  await spy.subscribeAsync('diemcau/v1/claim/#', { qos: 1 });
  const dir = await scratchDir(t, 'diemcau-box-');
  const { path, cfg } = await factoryConfig(dir, [c.broker.url], { serial: 'SN00010', ...claimCred });
  const next = await claimOnce(path, cfg, silentLogger);
  t.ok(wire.some((p) => p.includes('"sealed"')), 'the answer carries a sealed password');
  t.notOk(wire.some((p) => p.includes(ids['vn-00010'].password)), 'the password itself never crosses the broker');
  t.equal(next.box.id, 'vn-00010', 'box id from the commune code');
  t.equal(next.claim, undefined, 'the claim credential is gone from the config');
  t.equal(next.mqtt.username, 'vn-00010');
  t.equal(next.mqtt.password, ids['vn-00010'].password);
  t.match(ids['vn-00010'].label, /^[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}$/, 'import gave the hall a label password');
  t.equal(next.technician?.password, ids['vn-00010'].label, "the box's technician page takes the carrier's label password");
  t.notOk(wire.some((p) => p.includes(ids['vn-00010'].label!)), 'the label password never crosses the broker in clear');
  t.same(next.hall.groups, ['p-01', 'r-north']);
  const onDisk = await loadConfigFile(path);
  t.same(onDisk, next, 'the config file holds the identity');
  t.equal(await readFile(join(dir, 'update-key.pem'), 'utf8'), 'PEM-UPDATE-KEY', 'the update key is stored');

  // Before the box has been seen online, a second serial for the same hall is refused; the same serial is answered again.
  const other = await scratchDir(t, 'diemcau-box-');
  const code = ids['vn-00010'].installCode;
  const thief = await factoryConfig(other, [c.broker.url], { serial: 'EVIL0001', installCode: code, ...claimCred });
  await t.rejects(claimOnce(thief.path, thief.cfg, silentLogger), { code: 'bad_request', message: /serial_mismatch|claim_in_progress/ });
  const again = await claimOnce(path, cfg, silentLogger);
  t.equal(again.mqtt.password, next.mqtt.password, 'a box that lost the answer asks again and gets the same identity');

  // The box comes online as itself: the hall is closed to claims.
  const box = await login(c.broker.url, 'vn-00010', next.mqtt.password!, 'vn-00010');
  await box.publishAsync('diemcau/v1/vn-00010/state', '{"agent":{}}', { qos: 1, retain: true });
  await box.endAsync();
  await waitFor('the service seeing the box online', () => svc.stats, { until: (st) => st.confirmed > 0 });
  t.equal(svc.stats.confirmed, 1, 'the service saw the box online');
  const claims = await waitFor('the confirmation in claims.json', () => c.store.claims(), { until: (cl) => Boolean(cl['vn-00010'].confirmedAt) });
  t.ok(claims['vn-00010'].confirmedAt, 'claims.json records the confirmation');
  await t.rejects(claimOnce(path, cfg, silentLogger), { message: /already_claimed/ }, 'even its own serial cannot claim it again');
  const thief2 = await factoryConfig(other, [c.broker.url], { serial: 'SN00010', ...claimCred });
  await t.rejects(claimOnce(thief2.path, thief2.cfg, silentLogger), ClaimRefusedError, 'a leaked credential with the serial gets nothing');
  t.same(JSON.parse(await readFile(thief2.path, 'utf8')).claim.serial, 'SN00010', 'a refused box keeps its factory config');

  // The box is replaced: the carrier records the new serial (re-import) and resets the hall; the new box claims it,
  // the old password stops working once the broker reloads, and serve needs no restart.
  await writeFile(c.csv, (await readFile(c.csv, 'utf8')).replace(',SN00010,', ',SN99999,'));
  t.same((await importHalls(c.store, c.csv)).changed, [{ boxId: 'vn-00010', fields: ['serial'] }]);
  const reset = await new Promise<{ code: number | null; out: string }>((res) => {
    const p = spawn(process.execPath, [CLI, 'reset', 'vn-00010', '--db', c.store.dir, '--json'], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.on('exit', (code) => res({ code, out }));
  });
  t.equal(reset.code, 0);
  t.match(JSON.parse(reset.out), { boxId: 'vn-00010', passwordRotated: true });
  c.broker.proc!.kill('SIGHUP');
  await new Promise((r) => setTimeout(r, 1100)); // serve re-reads the database at most once a second
  const swap = await scratchDir(t, 'diemcau-box-');
  const fresh = await factoryConfig(swap, [c.broker.url], { serial: 'SN99999', installCode: code, ...claimCred });
  const renewed = await claimOnce(fresh.path, fresh.cfg, silentLogger);
  t.equal(renewed.box.id, 'vn-00010', 'the replacement box claimed the reset hall');
  t.not(renewed.mqtt.password, next.mqtt.password, 'with a new password');
  await t.rejects(login(c.broker.url, 'vn-00010', next.mqtt.password!, 'old-box'), /Not authorized|Bad User Name or Password/, 'the old box is shut out');

  // Unknown serial without code; wrong code.
  const lost = await factoryConfig(other, [c.broker.url], { serial: 'NOPE0001', ...claimCred });
  await t.rejects(claimOnce(lost.path, lost.cfg, silentLogger), { message: /unknown_serial/ });
  const wrong = await factoryConfig(other, [c.broker.url], { serial: 'NOPE0001', installCode: 'ZZZZ-ZZZZ', ...claimCred });
  await t.rejects(claimOnce(wrong.path, wrong.cfg, silentLogger), { message: /unknown_code/ });

  // A malformed request on the claim topic is answered with a refusal and the service stays up.
  const raw = await mqtt.connectAsync(c.broker.url, { protocolVersion: 5, clientId: 'JUNK0001', ...claimCred, reconnectPeriod: 0 });
  await raw.subscribeAsync('diemcau/v1/claim/JUNK0001/res', { qos: 1 });
  const got = new Promise<string>((r) => raw.once('message', (_t, p) => r(p.toString())));
  await raw.publishAsync('diemcau/v1/claim/JUNK0001/req', '{not json', { qos: 1 });
  t.match(JSON.parse(await got), { ok: false, error: { code: 'bad_request' } });
  await raw.endAsync();
  t.equal(svc.stats.refused >= 5, true, 'every refusal counted');
});

t.test('install code claim with a certificate: the key stays on the box, the broker takes the username from the certificate', async (t) => {
  const c = await carrierWithBroker(2, { tls: true });
  const tlsPort = c.tlsPort!;
  const ca = caPaths(c.store.dir);
  t.teardown(() => c.cleanup());
  // Halls are served by the TLS listener.
  await writeFile(c.csv, syntheticCsv({ count: 2, broker: `mqtts://127.0.0.1:${tlsPort}` }));
  await importHalls(c.store, c.csv);
  const carrier = await c.store.carrier();
  const ids = await c.store.identities();
  const svc = new ClaimService(c.store, { url: c.broker.url, log: silentLogger, ca });
  await svc.start();
  t.teardown(() => svc.stop());

  // Two boxes racing for one hall with the same install code: exactly one gets it.
  const racers = await Promise.allSettled(
    ['RACE-0001', 'RACE-0002'].map(async (serial) => {
      const d = await scratchDir(t, 'diemcau-box-');
      const f = await factoryConfig(d, [c.broker.url], { serial, installCode: ids['vn-00010'].installCode, kind: 'certificate', ...{ username: carrier.claim.username, password: carrier.claim.password } });
      return { cfg: await claimOnce(f.path, f.cfg, silentLogger), dir: d };
    }),
  );
  const winner = (racers.find((r) => r.status === 'fulfilled') as PromiseFulfilledResult<{ dir: string }>).value.dir;
  t.same(racers.map((r) => r.status).sort(), ['fulfilled', 'rejected'], 'one racer wins the hall');
  t.match((racers.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason.message, /claim_in_progress/);

  const dir = await scratchDir(t, 'diemcau-box-');
  const { path, cfg } = await factoryConfig(dir, [c.broker.url], {
    serial: 'PI-4B-0042',
    installCode: ids['vn-00011'].installCode.toLowerCase(),
    kind: 'certificate',
    username: carrier.claim.username,
    password: carrier.claim.password,
  });
  const next = await claimOnce(path, cfg, silentLogger);
  t.equal(next.box.id, 'vn-00011');
  t.equal(next.mqtt.password, undefined, 'no password with a certificate identity');
  t.same(next.mqtt.tls, { ca: join(dir, 'ca.crt'), cert: join(dir, 'box.crt'), key: join(dir, KEY_FILE), rejectUnauthorized: true });
  const claims = await c.store.claims();
  t.notOk(JSON.stringify(claims).includes('PRIVATE KEY'), 'the carrier never saw the private key');
  t.match(claims['vn-00011'].certificate, /BEGIN CERTIFICATE/);
  await access(join(dir, KEY_FILE));

  const [key, cert, caPem] = await Promise.all([readFile(join(dir, KEY_FILE)), readFile(join(dir, 'box.crt')), readFile(join(dir, 'ca.crt'))]);
  const self = await mqtt.connectAsync(`mqtts://127.0.0.1:${tlsPort}`, { protocolVersion: 5, clientId: 'x1', key, cert, ca: caPem, reconnectPeriod: 0 });
  const svcClient = await login(c.broker.url, carrier.service.username, carrier.service.password, 'svc-w');
  await svcClient.subscribeAsync('diemcau/v1/#', { qos: 1 });
  const seen: string[] = [];
  svcClient.on('message', (topic) => seen.push(topic));
  await self.publishAsync('diemcau/v1/vn-00011/state', 'mine', { qos: 1 });
  await t.rejects(self.publishAsync('diemcau/v1/vn-00010/state', 'theirs', { qos: 1 }), /Not authorized|135/, 'PUBACK says not authorized');
  await waitFor('its own state at the service', () => seen, { until: (x) => x.includes('diemcau/v1/vn-00011/state') });
  await new Promise((r) => setTimeout(r, 300)); // room for the other one to show up, if the broker let it through
  t.same(seen, ['diemcau/v1/vn-00011/state'], 'the certificate is box vn-00011 to the ACL: its own state passes, another box\'s does not');
  await self.endAsync();
  await svcClient.endAsync();
  await t.rejects(
    mqtt.connectAsync(`mqtts://127.0.0.1:${tlsPort}`, { protocolVersion: 5, clientId: 'x2', ca: caPem, reconnectPeriod: 0, connectTimeout: 3000 }),
    'the TLS listener refuses a client without a certificate',
  );

  // The box is replaced: reset revokes its certificate; after the broker reloads, the old certificate is refused.
  const reset = await new Promise<{ code: number | null; out: string }>((res) => {
    const p = spawn(process.execPath, [CLI, 'reset', 'vn-00011', '--db', c.store.dir, '--json'], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.on('exit', (code) => res({ code, out }));
  });
  t.equal(reset.code, 0);
  const serialHex = new X509Certificate(cert).serialNumber.toUpperCase();
  t.match(JSON.parse(reset.out), { boxId: 'vn-00011', certificateRevoked: serialHex }, 'the certificate is revoked');
  c.broker.proc!.kill('SIGHUP');
  // The broker reloads on its own time: log in until it refuses (a login that still works is closed at once).
  const refused = await waitFor('the broker refusing the revoked certificate after the reload', () =>
    mqtt.connectAsync(`mqtts://127.0.0.1:${tlsPort}`, { protocolVersion: 5, clientId: 'x3', key, cert, ca: caPem, reconnectPeriod: 0, connectTimeout: 3000 }).then(
      (cl) => cl.endAsync(true).then(() => null),
      (err: Error) => err,
    ), { everyMs: 100 });
  t.ok(refused instanceof Error, `the revoked certificate is refused after a reload: ${refused?.message}`);
  const [wk, wc] = await Promise.all([readFile(join(winner, KEY_FILE)), readFile(join(winner, 'box.crt'))]);
  const still = await mqtt.connectAsync(`mqtts://127.0.0.1:${tlsPort}`, { protocolVersion: 5, clientId: 'x4', key: wk, cert: wc, ca: caPem, reconnectPeriod: 0 });
  t.ok(still.connected, 'another box\'s certificate still logs in');
  await still.endAsync();
});

t.test('serve killed with SIGKILL after answering: the claim it handed out survives the restart', async (t) => {
  const c = await carrierWithBroker(2);
  t.teardown(() => c.cleanup());
  const carrier = await c.store.carrier();
  const ids = await c.store.identities();
  const startServe = async () => {
    const p = spawn(process.execPath, [CLI, 'serve', '--db', c.store.dir, '--url', c.broker.url], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((res, rej) => {
      p.stdout.on('data', (d) => String(d).includes('answering claims') && res());
      p.once('exit', (code) => rej(new Error(`serve exited ${code}`)));
    });
    return p;
  };
  const first = await startServe();
  const dir = await scratchDir(t, 'diemcau-box-');
  const code = ids['vn-00010'].installCode;
  const box = await factoryConfig(dir, [c.broker.url], { serial: 'FIRST-001', installCode: code, ...carrier.claim });
  t.equal((await claimOnce(box.path, box.cfg, silentLogger)).box.id, 'vn-00010');
  first.kill('SIGKILL');
  await new Promise((r) => first.once('exit', r));
  const second = await startServe();
  t.teardown(() => second.kill('SIGTERM'));
  const other = await scratchDir(t, 'diemcau-box-');
  const thief = await factoryConfig(other, [c.broker.url], { serial: 'OTHER-001', installCode: code, ...carrier.claim });
  await t.rejects(claimOnce(thief.path, thief.cfg, silentLogger), { message: /claim_in_progress/ }, 'the hall is still taken after the crash');
});

t.test('guessing install codes with a leaked claim credential is slowed for the whole fleet', async (t) => {
  const c = await carrierWithBroker(1);
  t.teardown(() => c.cleanup());
  const carrier = await c.store.carrier();
  let clock = 1_000_000; // frozen: no refill while guessing, whatever the machine's load
  const svc = new ClaimService(c.store, { url: c.broker.url, log: silentLogger, codeGuesses: { burst: 5, perSecond: 1 }, now: () => clock });
  await svc.start();
  t.teardown(() => svc.stop());
  const codes: string[] = [];
  for (let i = 0; i < 8; i++) {
    const dir = await scratchDir(t, 'diemcau-box-');
    const f = await factoryConfig(dir, [c.broker.url], { serial: `GUESS-${i}`, installCode: `AAAA-AAA${i}`, ...carrier.claim });
    const err = await claimOnce(f.path, f.cfg, silentLogger).catch((e: Error) => e);
    codes.push((/\((\w+)\)/.exec((err as Error).message) ?? [])[1] ?? 'granted');
  }
  t.same(codes.slice(0, 5), Array(5).fill('unknown_code'), 'the first guesses are checked');
  t.ok(codes.slice(5).every((x) => x === 'rate_limited'), `then refused unchecked: ${codes.join(',')}`);
  const ids = await c.store.identities();
  clock += 2000; // two seconds: two guesses' worth refilled
  const dir = await scratchDir(t, 'diemcau-box-');
  const ok = await factoryConfig(dir, [c.broker.url], { serial: 'REAL-0001', installCode: ids['vn-00010'].installCode, ...carrier.claim });
  t.equal((await claimOnce(ok.path, ok.cfg, silentLogger)).box.id, 'vn-00010', 'a real code goes through once the bucket refills');
});

t.test('a sealed password opens only with the key of the request it answers', async (t) => {
  const a = ephemeralKey();
  const b = ephemeralKey();
  const s = seal(a.pub, 'SN00010', 'hunter2');
  t.equal(unseal(a.priv, 'SN00010', s), 'hunter2');
  t.throws(() => unseal(b.priv, 'SN00010', s), /does not open with this request's key/, 'another key cannot open it');
  t.throws(() => unseal(a.priv, 'SN00011', s), /does not open/, 'nor the same key under another serial');
  t.throws(() => seal(Buffer.from('junk').toString('base64'), 'SN00010', 'x'), 'a pub that is not a key is refused');
});

t.test('stop() waits for the claims being written and answers them; nothing is written after it', async (t) => {
  const c = await carrierWithBroker(1, { serials: true });
  t.teardown(() => c.cleanup());
  const carrier = await c.store.carrier();
  // A slow disk: each write of the database takes 300 ms, so stop() comes while one is under way.
  const writes: Array<{ at: 'start' | 'end'; stopped: boolean }> = [];
  let stopped = false;
  class SlowStore extends Store {
    override async write(name: Parameters<Store['write']>[0], data: unknown): Promise<void> {
      writes.push({ at: 'start', stopped });
      await sleep(300);
      await super.write(name, data);
      writes.push({ at: 'end', stopped });
    }
  }
  const svc = new ClaimService(new SlowStore(c.store.dir), { url: c.broker.url, log: silentLogger, updateKeyPem: 'PEM-UPDATE-KEY' });
  await svc.start();
  const dir = await scratchDir(t, 'diemcau-box-');
  const box = await factoryConfig(dir, [c.broker.url], { serial: 'SN00010', username: carrier.claim.username, password: carrier.claim.password });
  const claimed = claimOnce(box.path, box.cfg, silentLogger).catch((err: Error) => err);
  await waitFor('the claim being written', () => writes, { until: (w) => w.length > 0 });
  await svc.stop();
  stopped = true;
  t.same(writes, [{ at: 'start', stopped: false }, { at: 'end', stopped: false }], 'stop() returned after the write under way had ended');
  const next = await claimed;
  t.notOk(next instanceof Error, `the claim under way when serve stopped is answered: ${(next as Error).message ?? 'yes'}`);
  t.equal((await c.store.claims())['vn-00010']?.serial, 'SN00010', 'and recorded');
  await sleep(500);
  t.notOk(writes.some((w) => w.stopped), 'nothing is written after stop()');
});
