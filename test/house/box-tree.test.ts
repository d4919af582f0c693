// What ships on a box is the agent and nothing else: scripts/stage-box.sh stages the compiled core/, drivers/ and
// agent/ with production dependencies only; the staged tree runs the agent on its own (no lab/, test/ or bench/
// module is there to lean on), and a signed update bundle made of it carries exactly those files.
import t from 'tap';
import { spawn, execFile } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { generateKeyPairSync } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { makeBundle } from '../../provisioning/signing.js';
import { verifyBundle } from '../../core/bundle.js';
import { AGENT_NODE_FLAGS } from '../../agent/node-flags.js';
import { startBroker } from '../../lab/mosquitto.js';
import { Observer } from '../../lab/observer.js';

const repo = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../..');
const work = await mkdtemp(join(tmpdir(), 'diemcau-box-tree-'));
t.teardown(() => rm(work, { recursive: true, force: true }));
const box = join(work, 'box');
await promisify(execFile)('bash', [join(repo, 'scripts/stage-box.sh'), box], { cwd: repo, maxBuffer: 1 << 20 });

async function files(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await files(p)));
    else out.push(relative(box, p));
  }
  return out;
}
const staged = await files(box);

t.test('the staged tree holds the agent, its libraries and nothing of the lab', async (t) => {
  const code = staged.filter((f) => f.startsWith('dist/'));
  t.ok(code.includes('dist/agent/cli.js') && code.includes('dist/agent/media/worker/worker.js'), 'the agent and its media worker are there');
  t.same([...new Set(code.map((f) => f.split('/')[1]))].sort(), ['agent', 'core', 'drivers'], 'dist/ holds core, drivers and agent only');
  t.same(code.filter((f) => /\.test\.js$|\.map$/.test(f)), [], 'no tests, no source maps');
  const mods = new Set(staged.filter((f) => f.startsWith('node_modules/')).map((f) => f.split('/').slice(1, f.split('/')[1].startsWith('@') ? 3 : 2).join('/')));
  for (const dev of ['tap', 'typescript', 'playwright-core']) t.notOk(mods.has(dev), `no ${dev} (a dev dependency)`);
  t.notOk(mods.has('better-sqlite3'), "no better-sqlite3 (the central console's)");
  for (const dep of ['mqtt', 'serialport', '@roamhq/wrtc', 'unix-dgram']) t.ok(mods.has(dep), `${dep} is there`);
});

t.test('the staged agent runs on its own: registers and answers a ping', async (t) => {
  const broker = await startBroker();
  t.teardown(() => broker.cleanup());
  const obs = await Observer.connect(broker.url);
  t.teardown(() => obs.close());
  const cfg = join(work, 'config.json');
  await writeFile(cfg, JSON.stringify({ box: { id: 'vn-90077' }, mqtt: { brokers: [broker.url] }, devices: { camera: { simulate: true } } }));
  const agent = spawn(process.execPath, [...AGENT_NODE_FLAGS, join(box, 'dist/agent/cli.js'), 'run', '--config', cfg], { cwd: work, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  agent.stderr!.on('data', (d) => (stderr += d));
  t.teardown(() => agent.kill('SIGKILL'));
  await obs.wait((m) => m.topic === 'diemcau/v1/vn-90077/presence' && m.json?.state === 'online', 'staged agent online', 15000);
  const r = await obs.request('diemcau/v1/vn-90077/cmd/ping', {}, { timeoutMs: 5000 });
  t.equal(r.ok, true, `ping answered (${stderr.trim()})`);
  await obs.wait((m) => m.topic === 'diemcau/v1/vn-90077/state' && m.json?.devices?.camera?.health.status === 'ok', 'simulated camera ok', 15000);
});

t.test('a bundle made of the staged tree carries exactly its files', async (t) => {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const out = join(work, 'box.bundle');
  await makeBundle({ dir: box, version: '9.9.9', out, key: privateKey, expiresAt: new Date(Date.now() + 86400000) });
  const { offset } = await verifyBundle(out, { trustedKeys: [publicKey], installedVersion: '0.0.1' });
  const tar = spawn('tar', ['-tzf', '-'], { stdio: ['pipe', 'pipe', 'inherit'] });
  createReadStream(out, { start: offset }).pipe(tar.stdin!);
  let list = '';
  for await (const chunk of tar.stdout!) list += chunk;
  const inBundle = list.split('\n').filter((l) => l && !l.endsWith('/')).map((l) => l.replace(/^\.\//, '')).sort();
  t.same(inBundle, [...staged].sort(), 'the same files as the staged tree');
  t.same(inBundle.filter((f) => /^(dist\/)?(lab|test|bench|provisioning)\//.test(f)), [], 'no lab/, test/, bench/ or provisioning/ code');
});
