// A/B updates on directories that stand for the slots: signed bundles verified before anything is written, and
// the installing agent or the new version killed with SIGKILL at every step in turn. After each kill the next
// start (the real launcher) runs a good version, and the config file outside the slots is byte for byte intact.
// The launcher and the installing process run with the systemd unit's node flags (lab/unit.ts), as on a box.
import t from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, mkdir, writeFile, readFile, readdir, cp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { initKeys, loadPrivateKey, makeBundle, keyPaths } from '../../provisioning/signing.js';
import { installBundle } from '../../agent/update/install.js';
import { publicKeyFromPem, BundleRefusedError, compareVersions } from '../../core/bundle.js';
import { readBoot, writeBoot, INSTALLED } from '../../agent/update/slots.js';
import { launcherArgv, unitExec } from '../../lab/unit.js';
import { mapLimit } from '../../core/map-limit.js';

const DIST = resolve(import.meta.dirname, '../..');
const LAUNCHER = join(DIST, 'agent/update/launcher.js');
const CHILD = join(DIST, 'test/provisioning/update-child.js');
const UNIT = unitExec();

// The two subtests have their own directories and keys: side by side.
t.jobs = 2;

/** A tiny agent: proves itself on a trial start (or fails to), then records what ran and with which config. */
function fakeAgent(version: string, healthy: boolean): string {
  return `import { appendFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
const { settleTrial } = await import(${JSON.stringify(join(DIST, 'agent/update/health.js'))});
const { silentLogger } = await import(${JSON.stringify(join(DIST, 'core/log.js'))});
const root = process.env.DIEMCAU_UPDATE_ROOT, slot = process.env.DIEMCAU_SLOT;
if (process.env.KILL_AT === 'trial-start') process.kill(process.pid, 'SIGKILL');
const checks = [
  { name: 'registers', run: async () => { if (!${healthy}) throw new Error('broker refused the login'); } },
  { name: 'devices', run: async () => { if (process.env.KILL_AT === 'in-health') process.kill(process.pid, 'SIGKILL'); } },
];
const out = await settleTrial(root, slot, checks, 2000, silentLogger);
if (out.trial && !out.committed) process.exit(75);
const cfg = createHash('sha256').update(readFileSync(join(root, 'etc/config.json'))).digest('hex');
appendFileSync(join(root, 'runs.log'), ${JSON.stringify(version)} + ' ' + slot + ' ' + cfg + ' ' + JSON.stringify(process.execArgv) + '\\n');
`;
}

async function payload(dir: string, version: string, healthy: boolean, big = 0): Promise<string> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'main.mjs'), fakeAgent(version, healthy));
  if (big > 0) await writeFile(join(dir, 'blob.bin'), randomBytes(big));
  return dir;
}

interface Rig {
  root: string;
  configHash: string;
}

/** The error codes docs/mqtt.md promises a carrier's tooling (its "Error codes:" paragraph, each in backticks). */
async function documentedErrorCodes(): Promise<string[]> {
  const doc = await readFile(resolve(DIST, '../docs/mqtt.md'), 'utf8');
  const para = doc.slice(doc.indexOf('Error codes:'), doc.indexOf('\n\n', doc.indexOf('Error codes:')));
  return [...para.matchAll(/`([a-z_]+)`(?=\s*[(,.])/g)].map((m) => m[1]);
}

const CONFIG = JSON.stringify({ box: { id: 'vn-26734' }, configVersion: 7, hall: { name: 'Xã Đông' } }, null, 2);

/** A box on version 1.0.0 in slot a, committed, with its config outside the slots. */
async function rig(base: string, v1: string): Promise<Rig> {
  const root = await mkdtemp(join(base, 'box-'));
  await mkdir(join(root, 'etc'));
  await writeFile(join(root, 'etc/config.json'), CONFIG);
  await cp(v1, join(root, 'slots/a'), { recursive: true });
  await writeFile(join(root, 'slots/a', INSTALLED), JSON.stringify({ version: '1.0.0', entry: 'main.mjs' }));
  await writeBoot(root, { committed: 'a' });
  const configHash = spawnSync('sha256sum', [join(root, 'etc/config.json')]).stdout.toString().split(' ')[0];
  return { root, configHash };
}

function run(cmd: string[], env: Record<string, string> = {}, onLine?: (l: string, kill: () => void) => void): Promise<{ code: number | null; signal: string | null; out: string }> {
  return new Promise((res) => {
    const p = spawn(process.execPath, cmd, { env: { ...process.env, DIEMCAU_LOG_LEVEL: 'error', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d) => {
      out += d;
      if (onLine) for (const l of String(d).split('\n')) if (l) onLine(l, () => p.kill('SIGKILL'));
    });
    p.stderr.on('data', (d) => (out += d));
    p.on('exit', (code, signal) => res({ code, signal, out }));
  });
}

const launchOnce = (root: string, env: Record<string, string> = {}) => run(launcherArgv({ launcher: LAUNCHER, root, config: join(root, 'etc/config.json') }, UNIT), env);
/** The installing agent, with the node flags the agent runs with on a box. */
const installer = (args: string[]) => [...UNIT.nodeFlags, CHILD, ...args];

async function lastRun(root: string): Promise<{ version: string; slot: string; cfg: string; flags: string[] }> {
  const lines = (await readFile(join(root, 'runs.log'), 'utf8')).trim().split('\n');
  const [version, slot, cfg, flags] = lines[lines.length - 1].split(' ');
  return { version, slot, cfg, flags: JSON.parse(flags) };
}

t.test('kill -9 at every step of an update: the next start runs a good version with its config', async (t) => {
  const base = await mkdtemp(join(tmpdir(), 'diemcau-ab-'));
  t.teardown(() => rm(base, { recursive: true, force: true }));
  const db = join(base, 'db');
  await initKeys(db);
  const key = await loadPrivateKey(db);
  const pub = keyPaths(db).pub;
  const v1 = await payload(join(base, 'p1'), '1.0.0', true);
  const v2dir = await payload(join(base, 'p2'), '2.0.0', true, 8 * 1024 * 1024);
  const v2 = join(base, 'v2.bundle');
  await makeBundle({ dir: v2dir, version: '2.0.0', out: v2, key, expiresAt: new Date(Date.now() + 86400000), entry: 'main.mjs' });

  // The installing agent killed right after each step.
  const expectAfter: Record<string, string> = { verified: '1.0.0', extracting: '1.0.0', extracted: '1.0.0', placed: '1.0.0', switched: '2.0.0' };
  // Every case below is a box (a directory) of its own: they run a few at a time (jobs).
  const jobs: Array<() => Promise<void>> = Object.entries(expectAfter).map(([step, expected]) => async () => {
    const r = await rig(base, v1);
    const child = await run(installer([r.root, v2, pub, '1.0.0', step]));
    t.equal(child.signal, 'SIGKILL', `installer killed after "${step}"`);
    const l = await launchOnce(r.root);
    t.equal(l.code, 0, `next start after a kill at "${step}" exits cleanly`);
    const last = await lastRun(r.root);
    t.equal(last.version, expected, `killed after "${step}": the next start runs ${expected}`);
    t.equal(last.cfg, r.configHash, `killed after "${step}": config intact`);
    t.same(last.flags, UNIT.nodeFlags, `killed after "${step}": the agent ran with the unit's node flags`);
    if (expected === '1.0.0') {
      // The interrupted update can be retried and lands.
      const again = await run(installer([r.root, v2, pub, '1.0.0', 'none']));
      t.match(again.out, /installed 2\.0\.0 b/, `after "${step}" the update installs again`);
      await launchOnce(r.root);
      t.equal((await lastRun(r.root)).version, '2.0.0', `after "${step}" the retried update runs 2.0.0`);
    }
    t.same(await readBoot(r.root), { committed: 'b' }, `after "${step}" slot b is committed`);
  });

  // Killed while tar is writing the new slot: by the installer process itself once the first file is there (a
  // timer in this process would race the installer on a busy machine, which could finish and switch first).
  jobs.push(async () => {
    const r = await rig(base, v1);
    const child = await run(installer([r.root, v2, pub, '1.0.0', 'mid-extract']));
    t.equal(child.signal, 'SIGKILL', 'installer killed in the middle of extraction');
    t.same(await readBoot(r.root), { committed: 'a' }, 'no switch recorded');
    t.ok((await readdir(join(r.root, 'slots'))).includes('b.new'), 'the kill left a half-extracted slot');
    await launchOnce(r.root);
    t.same(await readdir(join(r.root, 'slots')), ['a'], 'the next start removed the half-extracted slot (as big as a slot)');
    const last = await lastRun(r.root);
    t.equal(last.version, '1.0.0', 'mid-extraction kill: 1.0.0 runs');
    t.equal(last.cfg, r.configHash, 'mid-extraction kill: config intact');
  });

  // The new version killed on its trial start, before and during its health check: rolled back by itself.
  for (const when of ['trial-start', 'in-health']) jobs.push(async () => {
    const r = await rig(base, v1);
    await run(installer([r.root, v2, pub, '1.0.0', 'none']));
    const first = await launchOnce(r.root, { KILL_AT: when });
    t.not(first.code, 0, `the trial start killed (${when}) ends the launcher with an error; systemd restarts it`);
    await launchOnce(r.root);
    const last = await lastRun(r.root);
    t.equal(last.version, '1.0.0', `killed at ${when}: the restart rolls back to 1.0.0`);
    t.equal(last.cfg, r.configHash, `killed at ${when}: config intact`);
    const boot = await readBoot(r.root);
    t.equal(boot.committed, 'a');
    t.match(boot.lastFailure, { version: '2.0.0', reason: /did not commit/ }, 'the failure is recorded');
  });

  // A version that fails its health check rolls back within the same launcher run.
  jobs.push(async () => {
    const r = await rig(base, v1);
    const bad = join(base, 'v3.bundle');
    await makeBundle({ dir: await payload(join(base, 'p3'), '3.0.0', false), version: '3.0.0', out: bad, key, expiresAt: new Date(Date.now() + 86400000), entry: 'main.mjs' });
    await run(installer([r.root, bad, pub, '1.0.0', 'none']));
    const l = await launchOnce(r.root);
    t.equal(l.code, 0);
    t.equal((await lastRun(r.root)).version, '1.0.0', 'an unhealthy 3.0.0 is rolled back to 1.0.0');
    t.match((await readBoot(r.root)).lastFailure, { version: '3.0.0', reason: /registers failed: broker refused/ });
  });
  await mapLimit(jobs, 3, (job) => job());
});

t.test('bundles are verified before anything is written; each refusal names its reason', async (t) => {
  const base = await mkdtemp(join(tmpdir(), 'diemcau-ab-'));
  t.teardown(() => rm(base, { recursive: true, force: true }));
  const db = join(base, 'db');
  const { pub } = await initKeys(db);
  const key = await loadPrivateKey(db);
  const v1 = await payload(join(base, 'p1'), '1.0.0', true);
  const dir = await payload(join(base, 'p2'), '2.0.0', true);
  const future = new Date(Date.now() + 86400000);
  const good = join(base, 'good.bundle');
  await makeBundle({ dir, version: '2.0.0', out: good, key, expiresAt: future, entry: 'main.mjs' });
  const bytes = await readFile(good);
  const documented = await documentedErrorCodes();
  const variants: Array<[string, Buffer | (() => Promise<string>), RegExp, string]> = [];
  const flipped = Buffer.from(bytes);
  flipped[flipped.length - 10] ^= 0xff;
  variants.push(['payload byte flipped', flipped, /tampered/, 'bad_request']);
  variants.push(['manifest edited', Buffer.from(bytes.toString('latin1').replace('"version":"2.0.0"', '"version":"9.0.0"'), 'latin1'), /bad_signature/, 'bad_request']);
  const lines = bytes.toString('latin1').split('\n');
  variants.push(['signature removed', Buffer.from([lines[0], lines[1], '', ...lines.slice(3)].join('\n'), 'latin1'), /unsigned/, 'bad_request']);
  variants.push(['not a bundle', Buffer.from('hello\n'), /malformed/, 'bad_request']);
  const other = generateKeyPairSync('ed25519').privateKey;
  const make = (version: string, k = key, expiresAt = future) => async () => {
    const out = join(base, `${version}-${Math.random()}.bundle`);
    await makeBundle({ dir, version, out, key: k, expiresAt, entry: 'main.mjs' });
    return out;
  };
  variants.push(['signed by an unknown key', make('2.0.0', other), /untrusted_key/, 'bad_request']);
  variants.push(['expired', make('2.0.0', key, new Date(Date.now() - 1000)), /expired/, 'bad_request']);
  variants.push(['older than installed', make('0.9.0'), /not_newer/, 'bad_request']);
  variants.push(['same as installed', make('1.0.0'), /not_newer/, 'bad_request']);
  for (const [what, v, reason, code] of variants) {
    const r = await rig(base, v1);
    const file = typeof v === 'function' ? await v() : join(base, 'variant.bundle');
    if (typeof v !== 'function') await writeFile(file, v);
    const before = await readdir(join(r.root, 'slots'));
    const err = await installBundle({ root: r.root, bundle: file, trustedKeys: [pub], installedVersion: '1.0.0', inMeeting: () => false }).catch((e) => e);
    t.type(err, BundleRefusedError, `${what}: refused`);
    t.match(err.message, reason, `${what}: reason in the message: ${err.message}`);
    t.equal(err.code, code, `${what}: answers ${code}`);
    t.ok(documented.includes(err.code), `${what}: ${err.code} is one of docs/mqtt.md's error codes (${documented.join(', ')})`);
    t.same(err.details, { reason: err.reason }, `${what}: details.reason says why`);
    t.same(await readdir(join(r.root, 'slots')), before, `${what}: nothing written to the slots`);
    t.same(await readBoot(r.root), { committed: 'a' }, `${what}: boot record untouched`);
  }

  const r = await rig(base, v1);
  const busy = await installBundle({ root: r.root, bundle: good, trustedKeys: [pub], installedVersion: '1.0.0', inMeeting: () => true }).catch((e) => e);
  t.match(busy, { code: 'busy', message: /in a meeting/ }, 'no update during a meeting');
  t.same(await readdir(join(r.root, 'slots')), ['a'], 'nothing written during a meeting');
  await installBundle({ root: r.root, bundle: good, trustedKeys: [pub], installedVersion: '1.0.0', inMeeting: () => false });
  const twice = await installBundle({ root: r.root, bundle: good, trustedKeys: [publicKeyFromPem(pub.export({ type: 'spki', format: 'pem' }) as string)], installedVersion: '1.0.0', inMeeting: () => false }).catch((e) => e);
  t.match(twice, { code: 'busy', message: /still on trial/ }, 'a second update waits for the trial to settle');
  t.equal(compareVersions('1.2.0-rc.1', '1.2.0'), -1);
  t.equal(compareVersions('1.10.0', '1.9.9'), 1);
});
