// How a box downloads an update. First the product as a box runs it: `diemcau run` from slot a, started by the real
// launcher with the systemd unit's node flags and arguments (lab/unit.ts), takes an `update` command over
// a real Mosquitto, downloads the bundle from a real HTTP server through a redirect, installs it into slot b and
// restarts into it. Issue 10: with the unit's --lite-mode, Node's fetch could not run (no WebAssembly) and every
// download failed. Then the bundle cap while streaming, against a real chunked server.
import t from 'tap';
import { spawn } from 'node:child_process';
import { createServer, type Server, type ServerResponse } from 'node:http';
import { existsSync } from 'node:fs';
import type { Socket } from 'node:net';
import { mkdtemp, mkdir, writeFile, readFile, symlink, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import mqtt from 'mqtt';
import { initKeys, loadPrivateKey, makeBundle } from '../../provisioning/signing.js';
import { Requester } from '../../provisioning/requests.js';
import { updateCommands } from '../../agent/update/command.js';
import { readBoot, writeBoot, INSTALLED } from '../../agent/update/slots.js';
import { downloadBundle } from '../../agent/update/download.js';
import { errorToWire, type DiemcauError } from '../../core/errors.js';
import { silentLogger } from '../../core/log.js';
import { startBroker } from '../../lab/mosquitto.js';
import { freeTcpPort } from '../../lab/ports.js';
import { launcherArgv, unitExec } from '../../lab/unit.js';

const DIST = resolve(import.meta.dirname, '../..');
const LAUNCHER = join(DIST, 'agent/update/launcher.js');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** A bound for a race: unref'd, so once the race is won it does not keep the test process alive (it held it 15 s). */
const bound = (ms: number) => new Promise((r) => setTimeout(r, ms).unref());

/** A real HTTP server on loopback; `bytesSent` totals what its sockets have written. */
async function httpServer(handle: (path: string, res: ServerResponse) => void): Promise<{ url: string; server: Server; bytesSent: () => number; requests: string[] }> {
  const sockets = new Set<Socket>();
  const requests: string[] = [];
  const server = createServer((req, res) => {
    requests.push(req.url ?? '');
    handle(req.url ?? '', res);
  });
  server.on('connection', (s) => sockets.add(s));
  // Port 0, then asked: a port found free first could be taken by a subtest running beside this one.
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return { url: `http://127.0.0.1:${port}`, server, bytesSent: () => [...sockets].reduce((n, s) => n + s.bytesWritten, 0), requests };
}

// Each subtest has its servers, files and processes to itself: they run side by side.
t.jobs = 4;

const closeServer = (s: Server) => new Promise<void>((r) => (s.closeAllConnections(), s.close(() => r())));

/** Writes `total` bytes of body in 64 KiB chunks, chunked (no Content-Length), minding backpressure; stops if the client goes. */
async function sendChunked(res: ServerResponse, total: number, contentLength = false): Promise<void> {
  const chunk = Buffer.alloc(64 * 1024, 0x61);
  let closed = false;
  res.on('close', () => (closed = true));
  res.writeHead(200, { 'content-type': 'application/octet-stream', ...(contentLength ? { 'content-length': total } : {}) });
  for (let n = 0; n < total && !closed; n += chunk.length) {
    if (!res.write(chunk)) await new Promise((r) => (res.once('drain', r), res.once('close', r)));
  }
  res.end();
}

t.test('the agent as a box runs it (launcher, unit flags) downloads an update through a redirect and restarts into it', async (t) => {
  const unit = unitExec();
  const base = await mkdtemp(join(tmpdir(), 'diemcau-dl-'));
  t.teardown(() => rm(base, { recursive: true, force: true }));
  const broker = await startBroker();
  t.teardown(() => broker.cleanup());
  const { pub } = await initKeys(join(base, 'db'));
  const key = await loadPrivateKey(join(base, 'db'));

  // The new version: an entry that records how it was started, then exits 0 (the launcher then exits 0 too).
  const tree = join(base, 'v2');
  await mkdir(tree);
  await writeFile(
    join(tree, 'main.mjs'),
    `import { writeFileSync } from 'node:fs';\nwriteFileSync(process.env.DIEMCAU_UPDATE_ROOT + '/ran.json', JSON.stringify({ slot: process.env.DIEMCAU_SLOT, execArgv: process.execArgv, args: process.argv.slice(2) }));\n`,
  );
  const bundle = join(base, 'v2.bundle');
  await makeBundle({ dir: tree, version: '2.0.0', out: bundle, key, expiresAt: new Date(Date.now() + 86400000), entry: 'main.mjs' });
  const bytes = await readFile(bundle);
  const http = await httpServer((path, res) => {
    if (path === '/latest') res.writeHead(302, { location: '/files/v2.bundle' }).end();
    else if (path === '/files/v2.bundle') res.writeHead(200, { 'content-length': bytes.length }).end(bytes);
    else res.writeHead(404).end();
  });
  t.teardown(() => closeServer(http.server));

  // The box: slot a is this build (`dist` linked in), its config and update key outside the slots.
  const root = join(base, 'box');
  const etc = join(root, 'etc');
  await mkdir(join(root, 'slots/a'), { recursive: true });
  await mkdir(etc);
  await symlink(DIST, join(root, 'slots/a/dist'));
  await writeFile(join(root, 'slots/a', INSTALLED), JSON.stringify({ version: '1.0.0', entry: 'dist/agent/cli.js' }));
  await writeBoot(root, { committed: 'a' });
  const config = join(etc, 'config.json');
  await writeFile(config, JSON.stringify({ box: { id: 'vn-00001' }, mqtt: { brokers: [broker.url] } }));
  await writeFile(join(etc, 'update-key.pem'), pub.export({ type: 'spki', format: 'pem' }) as string);

  const launcher = spawn(process.execPath, launcherArgv({ launcher: LAUNCHER, root, config }, unit), {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, DIEMCAU_LOG_LEVEL: 'error' },
  });
  let stderr = '';
  launcher.stderr!.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((r) => launcher.once('exit', (code) => r(code)));
  t.teardown(async () => {
    if (launcher.exitCode === null && launcher.signalCode === null) launcher.kill('SIGTERM');
    await exited;
  });

  const client = await mqtt.connectAsync(broker.url, { protocolVersion: 5, clientId: 'carrier-ops', reconnectPeriod: 0 });
  t.teardown(() => client.endAsync());
  const req = new Requester(client);
  await req.start();
  let online = false;
  for (let i = 0; i < 40 && !online; i++) online = (await req.request('vn-00001', 'ping', {}, 500).catch(() => ({ ok: false }))).ok;
  t.ok(online, `the agent under the launcher answers ping (stderr: ${stderr})`);

  const r = await req.request('vn-00001', 'update', { url: `${http.url}/latest`, version: '2.0.0' }, 30000);
  t.match(r, { ok: true, result: { version: '2.0.0', slot: 'b', restarting: true } }, `update answered ${JSON.stringify(r)}`);
  t.same(http.requests, ['/latest', '/files/v2.bundle'], 'the redirect was followed');
  const code = await Promise.race([exited, bound(15000).then(() => 'still running')]);
  t.equal(code, 0, 'the launcher restarted into the new slot, whose entry ran and exited 0');
  const ran = existsSync(join(root, 'ran.json')) ? JSON.parse(await readFile(join(root, 'ran.json'), 'utf8')) : null;
  t.same(ran, { slot: 'b', execArgv: unit.nodeFlags, args: ['run', '--config', config] }, 'the new version ran from slot b with the unit flags and arguments');
  t.match(await readBoot(root), { committed: 'a', trial: { slot: 'b', version: '2.0.0', starts: 1 } }, 'slot b was started on trial');
  t.notOk(existsSync(join(root, 'incoming.bundle')), 'the downloaded file was removed after the install');
});

t.test('the bundle cap holds while streaming: a chunked download past it is stopped early and removed', async (t) => {
  const root = await mkdtemp(join(tmpdir(), 'diemcau-dl-'));
  t.teardown(() => rm(root, { recursive: true, force: true }));
  await writeBoot(root, { committed: 'a' });
  const total = 64 * 1024 * 1024;
  const cap = 1024 * 1024;
  let sending: Promise<void> = Promise.resolve();
  const http = await httpServer((_path, res) => (sending = sendChunked(res, total)));
  t.teardown(() => closeServer(http.server));
  const [update] = updateCommands({
    root,
    slot: 'a',
    installedVersion: '1.0.0',
    trustedKeys: async () => [],
    inMeeting: () => false,
    restart: () => t.fail('no restart after a refused download'),
    log: silentLogger,
    download: { maxBytes: cap },
  });
  const url = `${http.url}/huge.bundle`;
  const answer = await update.run({ url, version: '2.0.0' }).then(
    (r) => ({ ok: true, r }),
    (e: unknown) => errorToWire(e),
  );
  await Promise.race([sending, bound(5000)]); // the server saw the box hang up (or sent everything)
  t.match(answer, { code: 'bad_request', message: `update: ${url} is more than ${cap} bytes, the bundle cap: download stopped` }, `answer: ${JSON.stringify(answer)}`);
  t.ok(http.bytesSent() > 0 && http.bytesSent() < total / 4, `the server sent ${http.bytesSent()} of ${total} bytes before the box hung up`);
  t.notOk(existsSync(join(root, 'incoming.bundle')), 'no partial file is left');
});

t.test('downloadBundle: each failure is one line naming the URL, and leaves no file', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'diemcau-dl-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'incoming.bundle');
  const total = 64 * 1024 * 1024;
  let stalled: ServerResponse | null = null;
  const http = await httpServer((path, res) => {
    if (path.startsWith('/loop')) res.writeHead(302, { location: `/loop${Number(path.slice(5) || 0) + 1}` }).end();
    else if (path === '/big') void sendChunked(res, total, true);
    else if (path === '/slow') (res.writeHead(200), res.write('diemcau-bundle/1\n'), (stalled = res));
    else if (path === '/ftp') res.writeHead(301, { location: 'ftp://127.0.0.1/x' }).end();
    else if (path === '/ok') res.writeHead(200).end('bundle bytes');
    else res.writeHead(404).end();
  });
  t.teardown(() => closeServer(http.server));
  const u = http.url;
  const fails = (url: string, o: Parameters<typeof downloadBundle>[2] = {}) => downloadBundle(url, file, o).then(() => null, (e: DiemcauError) => e);

  t.equal(await downloadBundle(`${u}/ok`, file), 12, 'a plain answer is saved');
  t.equal(await readFile(file, 'utf8'), 'bundle bytes');
  await rm(file);
  t.match(await fails(`${u}/loop`), { code: 'disconnected', message: `update: ${u}/loop: more than 5 redirects (the last to ${u}/loop6)` });
  t.equal(http.requests.filter((p) => p.startsWith('/loop')).length, 6, 'the first request and five redirects, then no more');
  t.match(await fails(`${u}/gone`), { code: 'disconnected', message: `update: ${u}/gone answered HTTP 404` });
  t.match(await fails(`${u}/ftp`), { code: 'bad_request', message: `update: ${u}/ftp (redirected to ftp://127.0.0.1/x): only http and https are followed` });
  const before = http.bytesSent();
  t.match(await fails(`${u}/big`, { maxBytes: 1024 * 1024 }), { code: 'bad_request', message: `update: ${u}/big is ${total} bytes, more than the bundle cap of 1048576` });
  await sleep(200);
  t.ok(http.bytesSent() - before < total / 4, `a Content-Length past the cap is refused before the body: the server sent ${http.bytesSent() - before} of ${total} bytes`);
  t.match(await fails(`${u}/slow`, { idleMs: 300 }), { code: 'disconnected', message: `update: ${u}/slow: no data for 0.3 s` }, 'a stall mid-body');
  t.ok(stalled, 'the stalled answer had started');
  t.match(await fails(`${u}/slow`, { idleMs: 5000, totalMs: 400 }), { code: 'disconnected', message: `update: ${u}/slow: not downloaded within 0.4 s` }, 'the overall deadline');
  const closed = await freeTcpPort();
  t.match(await fails(`http://127.0.0.1:${closed}/x`), { code: 'disconnected', message: `update: cannot download http://127.0.0.1:${closed}/x: connect ECONNREFUSED 127.0.0.1:${closed}` });
  t.notOk(existsSync(file), 'no file is left behind by any of them');
});

t.test('under the unit flags a download over http loads node:http only: not node:https, node:tls or undici', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'diemcau-dl-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const http = await httpServer((_path, res) => res.writeHead(200).end('abc'));
  t.teardown(() => closeServer(http.server));
  const script = `const loaded = () => process.moduleLoadList.filter((m) => /^NativeModule (http|https|tls|internal\\/deps\\/undici\\/undici)$/.test(m)).map((m) => m.slice(13));
const before = loaded();
const { downloadBundle } = await import(${JSON.stringify(join(DIST, 'agent/update/download.js'))});
const bytes = await downloadBundle(${JSON.stringify(`${http.url}/v.bundle`)}, ${JSON.stringify(join(dir, 'f'))});
console.log(JSON.stringify({ before, bytes, after: loaded() }));`;
  const { out, err } = await new Promise<{ out: string; err: string }>((res) => {
    const p = spawn(process.execPath, [...unitExec().nodeFlags, '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (err += d));
    p.on('exit', () => res({ out, err }));
  });
  t.same(JSON.parse(out || '{}'), { before: [], bytes: 3, after: ['http'] }, `stderr: ${err}`);
});
