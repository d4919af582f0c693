// No secret in any log (issue 14): a carrier set up with the real `diemcau-provision` (init, keys, import,
// broker-plugin, broker-conf, bundle, serve), a real Mosquitto on the rendered config logging everything it logs
// (`log_type all`), a factory box run as the unit runs it (the launcher, the slot's `diemcau run`) that claims its
// identity, is sent a meeting join with a bridge token, leaves, and installs a signed update (download, trial
// start, commit). Then every line every process wrote is searched for every secret: the claim password, the
// service password, the box's broker password, its label password and install code, the bridge token and the update
// signing key. 0 found. Positive controls show each needle is the real secret: each is found where it must be
// (init's hand-over, the box's config, what the bridge received).
// The bridge is a stand-in, not Janus: an HTTP server speaking Janus's REST API far enough to refuse the room's join
// for the token (session and handle made, the videoroom join answered with an error, as Janus's token check does).
// So the token crosses the box's media worker and signalling and the refusal's error path, with no media flowing,
// and the file runs in the suite beside the others; a join that succeeds on a real Janus is test/media/meeting.test.ts.
import t from 'tap';
import { mkdtemp, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { createReadStream } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { provisionCli, startProvisionCli, type ProvisionProcess } from '../../lab/provision-cli.js';
import { startBroker, type Broker } from '../../lab/mosquitto.js';
import { Observer } from '../../lab/observer.js';
import { freeTcpPort } from '../../lab/ports.js';
import { waitFor } from '../../lab/wait.js';
import { makeBox, slotTree, startBox, type Running } from '../../lab/powercut/box.js';
import { Store } from '../../provisioning/store.js';
import { keyPaths } from '../../provisioning/signing.js';
import { syntheticCsv } from '../../provisioning/synthetic.js';

const BOX = 'vn-00010';
const SERIAL = 'SN00010';
const BRIDGE_TOKEN = `bridge-token-${Math.random().toString(36).slice(2)}-4c1d`;

const work = await mkdtemp(join(tmpdir(), 'diemcau-secrets-'));
const db = join(work, 'db');
/** Everything a carrier's tool printed, by what ran it. */
const cliOutput: Array<{ what: string; text: string }> = [];
let broker: Broker | undefined;
let serve: ProvisionProcess | undefined;
let box: Running | undefined;
let ops: Observer | undefined;
let files: ReturnType<typeof createServer> | undefined;
t.teardown(async () => {
  await box?.stop();
  await ops?.close().catch(() => {});
  await serve?.stop();
  await broker?.cleanup();
  if (files) await new Promise<void>((r) => files!.close(() => r()));
  await rm(work, { recursive: true, force: true });
});

async function provision(args: string[]): Promise<string> {
  const r = await provisionCli([...args, '--db', db]);
  if (r.code !== 0) throw new Error(`diemcau-provision ${args.join(' ')}: exit ${r.code}: ${r.err}`);
  cliOutput.push({ what: `diemcau-provision ${args[0]}`, text: r.out + r.err });
  return r.out;
}

// The carrier, as docs/provisioning.md sets one up.
const init = await provisionCli(['init', '--db', db]); // prints the two credentials: its hand-over, not a log
const port = await freeTcpPort();
const csv = join(work, 'halls.csv');
await writeFile(csv, syntheticCsv({ count: 2, broker: `mqtt://127.0.0.1:${port}`, serials: true }));
await provision(['keys']);
await provision(['import', csv]);
await provision(['broker-plugin']);
const conf = (await provision(['broker-conf', '--port', String(port), '--bind', '127.0.0.1'])).split('\n').filter((l) => l && !l.startsWith('#'));
broker = await startBroker({ port, rendered: conf, extraConfig: ['log_type all'] });
const store = new Store(db);
const carrier = await store.carrier();
const id = (await store.identities())[BOX];

// Two versions of the box's slot tree (each runs `diemcau run` of this build), 2.0.0 signed by the CLI, served over HTTP.
const trees = join(work, 'trees');
const www = join(work, 'www');
await mkdir(www);
const v1 = await slotTree(join(trees, '1.0.0'), '1.0.0');
await slotTree(join(trees, '2.0.0'), '2.0.0');
await provision(['bundle', join(trees, '2.0.0'), '--version', '2.0.0', '--out', join(www, '2.0.0.bundle'), '--entry', 'main.mjs']);
files = createServer((req, res) => {
  res.setHeader('content-type', 'application/octet-stream');
  createReadStream(join(www, (req.url ?? '').replace(/[^a-z0-9.]/gi, ''))).on('error', () => res.writeHead(404).end()).pipe(res);
});
await new Promise<void>((r) => files!.listen(0, '127.0.0.1', r));
const bundleUrl = `http://127.0.0.1:${(files.address() as { port: number }).port}/2.0.0.bundle`;

serve = startProvisionCli(['serve', '--db', db, '--url', broker.url]);
await serve.waitLog((l) => l.msg === 'serve: answering claims', 'serve up', 20_000);
ops = await Observer.connect(broker.url, ['diemcau/v1/+/presence', 'diemcau/v1/+/state'], { username: carrier.service.username, password: carrier.service.password });

/** The bridge stand-in: every request it received (URL and body), and its answers (see the file's header). */
const bridgeSaw: string[] = [];
const bridge = createServer((req, res) => {
  let body = '';
  req.on('data', (d) => (body += d));
  req.on('end', () => {
    bridgeSaw.push(`${req.method} ${req.url} ${body}`);
    const answer = (v: unknown, delayMs = 0) => setTimeout(() => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(v)), delayMs);
    if (req.method === 'GET') return answer([], 500); // a long poll with nothing to say
    const msg = JSON.parse(body || '{}') as { janus?: string; transaction?: string };
    const ok = (data: unknown) => answer({ janus: 'success', transaction: msg.transaction, data });
    if (msg.janus === 'create') return ok({ id: 1001 });
    if (msg.janus === 'attach') return ok({ id: 2002 });
    if (msg.janus === 'message') {
      const data = { videoroom: 'event', error_code: 433, error: 'Unauthorized (not allowed to join with this token)' };
      return answer({ janus: 'success', transaction: msg.transaction, plugindata: { plugin: 'janus.plugin.videoroom', data } });
    }
    return answer({ janus: 'success', transaction: msg.transaction });
  });
});
await new Promise<void>((r) => bridge.listen(0, '127.0.0.1', r));
t.teardown(() => new Promise<void>((r) => bridge.close(() => r())));
const bridgeUrl = `http://127.0.0.1:${(bridge.address() as { port: number }).port}/janus`;

/** The needles: every secret of this run, each long enough to be found only where it is. */
const updateKey = (await readFile(keyPaths(db).priv, 'utf8')).split('\n').filter((l) => l.length > 20 && !l.startsWith('-----'));
const secrets: Record<string, string> = {
  'claim password': carrier.claim.password,
  'service password': carrier.service.password,
  'box password': id.password,
  'label password': id.label!,
  'install code': id.installCode,
  'install code (ungrouped)': id.installCode.replace('-', ''),
  'bridge token': BRIDGE_TOKEN,
  ...Object.fromEntries(updateKey.map((l, i) => [`update signing key, line ${i + 1}`, l])),
};

t.afterEach(async (t) => {
  if (!t.passing() && box) t.comment(box.lines.slice(-30).map((l) => JSON.stringify(l).slice(0, 400)).join('\n'));
});

t.test('the needles are the real secrets', async (t) => {
  for (const [what, v] of Object.entries(secrets)) t.ok(v.length >= 8, `${what}: ${v.length} characters`);
  t.ok(init.out.includes(carrier.claim.password) && init.out.includes(carrier.service.password), 'init hands both credentials over (its output, not a log)');
});

t.test('a factory box under the launcher claims, is refused a meeting for its token, leaves, and installs an update', async (t) => {
  const b = await makeBox(join(work, 'box'), v1, (etc) => ({
    box: { id: 'unclaimed' },
    mqtt: { brokers: [broker!.url], stateThrottleMs: 200 },
    claim: { serial: SERIAL, username: carrier.claim.username, password: carrier.claim.password, dir: etc, timeoutS: 5 },
    devices: { camera: { simulate: true }, panel: { simulate: true, talkButton: 17, muteButton: 27, tallyLed: 22 } },
    media: { enabled: true, simulate: true, width: 640, height: 360 },
  }));
  box = startBox(b);
  const logged = (msg: string, timeoutMs = 30_000) => waitFor(msg, () => box!.lines.find((l) => l.msg === msg), { timeoutMs });
  await logged('claim: identity stored');
  await ops!.wait((m) => m.topic === `diemcau/v1/${BOX}/presence` && m.json?.state === 'online', `${BOX} online`, 30_000);
  const saved = await readFile(b.config, 'utf8');
  t.ok(saved.includes(id.password) && saved.includes(id.label!), 'the claim put the box password and the label password in its config');

  const cmd = (name: string, args: unknown = {}, timeoutMs = 20_000) => ops!.request(`diemcau/v1/${BOX}/cmd/${name}`, args, { timeoutMs });
  const joined = await cmd('join', { bridge: bridgeUrl, room: 1234, token: BRIDGE_TOKEN }, 30_000);
  t.equal(joined.ok, true, 'the join is taken (the box joins in the background and retries)');
  const refused = await waitFor('the box logging the refused join', () => box!.lines.find((l) => l.msg === 'media: join failed, retrying'), { timeoutMs: 30_000 });
  t.match(refused!.err, /videoroom join: Unauthorized \(not allowed to join with this token\)/, 'the bridge refused the join, and the box logs why');
  t.ok(bridgeSaw.some((r) => r.includes(BRIDGE_TOKEN)), `the token reached the bridge (${bridgeSaw.length} requests)`);
  t.match(await cmd('leave'), { ok: true });

  const update = await cmd('update', { url: bundleUrl, version: '2.0.0' }, 60_000);
  t.equal(update.ok, true, `the update is taken ${update.ok ? '' : JSON.stringify(update.error)}`);
  await logged('update: committed', 90_000);
  t.ok(box.lines.some((l) => l.msg === 'launcher: starting' && l.version === '2.0.0'), 'the launcher started 2.0.0');
});

t.test('no secret in any line of any process', async (t) => {
  await box?.stop();
  await serve?.stop();
  await broker?.stop();
  const sources: Array<{ what: string; text: string }> = [
    { what: 'box (launcher and agent)', text: box!.lines.map((l) => JSON.stringify(l)).join('\n') },
    { what: 'diemcau-provision serve', text: serve!.lines.map((l) => JSON.stringify(l)).join('\n') + serve!.stderr() },
    { what: 'mosquitto log', text: await readFile(join(broker!.dir, 'mosquitto.log'), 'utf8') },
    ...cliOutput,
  ];
  const counts = sources.map((s) => `${s.what}: ${s.text.split('\n').length} lines`);
  t.ok(sources.every((s) => s.text.length > 0), `searched ${counts.join(', ')}`);
  t.ok(sources[0].text.includes(BOX) && sources[2].text.includes(BOX), 'the logs are about this box (its id is in the agent and broker logs)');
  const found: string[] = [];
  for (const s of sources) for (const [what, v] of Object.entries(secrets)) if (s.text.includes(v)) found.push(`${what} in ${s.what}`);
  t.same(found, [], `0 of ${Object.keys(secrets).length} secrets found in ${sources.length} logs`);
});
