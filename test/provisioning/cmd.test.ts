// The operator's way to send a command and see the answers, on a broker as a carrier runs it (issue 13, items 2, 3
// and 8): a real Mosquitto with the rendered password file, ACL and client-id plugin, real `diemcau run` processes
// logged in as their halls, and the real CLI. `init` names the login operators use; `cmd` answers per box, for a
// group one per hall, and names the halls that did not answer; the Mosquitto client lines in docs/mqtt.md work as
// written with that login; `status` shows who is connected, and `none` where nothing was pushed.
import t from 'tap';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { carrierWithBroker, login, type Carrier } from '../../lab/provision-fixture.js';
import { provisionCli, PROVISION_CLI } from '../../lab/provision-cli.js';
import { startAgent, type AgentProcess } from '../../lab/agent-process.js';
import { stopChild } from '../../core/stop-child.js';
import { waitFor } from '../../lab/wait.js';

// The two subtests have a carrier, a broker and boxes of their own: they run side by side.
t.jobs = 2;

const cli = (c: Carrier, args: string[]) => provisionCli([...args, '--db', c.store.dir], { DIEMCAU_BROKER: undefined });
const DOCS = new URL('../../../docs/mqtt.md', import.meta.url);

/** A box running as its hall, with the identity the carrier's database holds for it. */
async function runBox(c: Carrier, dir: string, boxId: string, devices: object = {}): Promise<AgentProcess> {
  const [halls, ids] = await Promise.all([c.store.halls(), c.store.identities()]);
  const path = join(dir, `${boxId}.json`);
  await writeFile(
    path,
    JSON.stringify({
      box: { id: boxId },
      hall: { name: halls[boxId].name, groups: halls[boxId].groups },
      mqtt: { brokers: [c.broker.url], username: ids[boxId].username, password: ids[boxId].password, stateThrottleMs: 50, willDelayS: 0 },
      devices,
    }),
  );
  const a = startAgent(path);
  await a.waitLog((l) => l.msg === 'registered with broker', `${boxId} registered`, 20000);
  return a;
}

/** The Mosquitto client lines of docs/mqtt.md's Commands section, continuation lines joined. */
async function docsClientLines(): Promise<string[]> {
  const md = (await readFile(DOCS, 'utf8')).replace(/\\\n\s*/g, '');
  const commands = md.slice(md.indexOf('\n## Commands'), md.indexOf('\n### Sizes'));
  return commands.split('\n').filter((l) => /^(mosquitto_(rr|sub|pub)|diemcau-provision) /.test(l));
}

t.test('an operator sends commands as the service login and sees every answer', async (t) => {
  // Four halls: vn-00010 and vn-00013 in r-north, vn-00011 in r-central, vn-00012 never started.
  const c = await carrierWithBroker(4);
  t.teardown(() => c.cleanup());
  const dir = await mkdtemp(join(tmpdir(), 'diemcau-cmd-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const carrier = await c.store.carrier();

  const boxes = new Map<string, AgentProcess>();
  t.teardown(async () => {
    for (const b of boxes.values()) await b.stop();
  });
  // The boxes start (and register) while init runs. init names the login operators use, with its password.
  const started = Promise.all(
    ([['vn-00010', { camera: { simulate: true } }], ['vn-00011', {}], ['vn-00013', {}]] as const).map(async ([id, devices]) => boxes.set(id, await runBox(c, dir, id, devices))),
  );
  const [init, initJson] = await Promise.all([cli(c, ['init']), cli(c, ['init', '--json'])]);
  t.match(init.out, `${carrier.service.username} / ${carrier.service.password}`, 'init prints the service login and its password');
  t.match(init.out, /Operators send commands as the service login/);
  t.same(JSON.parse(initJson.out).service, carrier.service, 'and --json carries it');
  await started;

  // status before any push: who is connected, and `none` (not "offline: applies on return") for version 0.
  const before = JSON.parse((await cli(c, ['status', '--json'])).out);
  t.match(before.boxes, [
    { boxId: 'vn-00010', online: true, version: 0, status: 'none' },
    { boxId: 'vn-00011', online: true, status: 'none' },
    { boxId: 'vn-00012', online: null, status: 'none' },
    { boxId: 'vn-00013', online: true, status: 'none' },
  ]);
  t.equal(before.online, 3, 'three connected');

  // One box: its answer, whole.
  const one = await cli(c, ['cmd', 'vn-00010', 'ping', '--json']);
  t.equal(one.code, 0, one.err);
  t.match(JSON.parse(one.out), { target: 'vn-00010', command: 'ping', answered: 1, answers: [{ box: 'vn-00010', ok: true, result: { version: /\d/ } }], noAnswer: [] });
  const move = await cli(c, ['cmd', 'vn-00010', 'camera.move', '{"pan":2000,"tilt":300}']);
  t.equal(move.code, 0, move.err);
  t.match(move.out, /vn-00010\s+yes\s+\d+\s+\{.*"pan":2000/, 'a table for people, with the answer');
  const bad = await cli(c, ['cmd', 'vn-00010', 'camera.move', '{"pan":99999,"tilt":0}', '--json']);
  t.equal(bad.code, 1, 'a box that answers with an error: exit 1');
  t.match(JSON.parse(bad.out).answers[0], { ok: false, error: { code: 'bad_request', message: /pan: must be ≤ 32767/ } });
  const junk = await cli(c, ['cmd', 'vn-00010', 'ping', '{nope']);
  t.equal(junk.code, 2, 'arguments that are not JSON are bad input');
  t.match(junk.err, /ARGS-JSON/);

  // A group: one publish, one answer per hall.
  const group = await cli(c, ['cmd', 'group:r-north', 'ping', '--json']);
  t.equal(group.code, 0, group.err);
  t.same(JSON.parse(group.out).answers.map((a: { box: string; ok: boolean }) => [a.box, a.ok]), [['vn-00010', true], ['vn-00013', true]]);

  // A hall stopped: the others answer, the timeout names it.
  await boxes.get('vn-00013')!.stop();
  boxes.delete('vn-00013');
  // Each waits out its timeout for the silent halls: both at once.
  const [part, all] = await Promise.all([cli(c, ['cmd', 'group:r-north', 'ping', '--timeout', '2', '--json']), cli(c, ['cmd', 'all', 'ping', '--timeout', '2'])]);
  t.equal(part.code, 1, 'a hall did not answer: exit 1');
  t.match(JSON.parse(part.out), { boxes: 2, answered: 1, noAnswer: [{ box: 'vn-00013', online: false }] });
  t.match(part.err, 'no answer within 2 s from 1 of 2 box(es): vn-00013 (offline)');
  t.equal(all.code, 1);
  t.match(all.out, /vn-00012\s+-\s+no answer \(connected: never seen\)/, 'all: the never-seen hall is named in the table');

  // status: a stopped box is not connected, whatever it applied.
  await writeFile(join(dir, 'telemetry.json'), '{"telemetry":{"intervalS":30}}');
  await cli(c, ['push', 'group:r-central', join(dir, 'telemetry.json'), '--wait', '5']);
  await boxes.get('vn-00011')!.stop();
  boxes.delete('vn-00011');
  const after = await cli(c, ['status']);
  t.match(after.out, /vn-00011\s+no\s+1\s+applied/, 'applied, and shown as not connected');
  t.match(after.out, /vn-00012\s+never seen\s+0\s+none\s+no config pushed yet/);
  t.notMatch(after.out, /vn-00010/, 'a connected box with nothing to do is not listed');
});

t.test("docs/mqtt.md's Mosquitto client lines work on the provisioned broker as written", async (t) => {
  const c = await carrierWithBroker(4);
  t.teardown(() => c.cleanup());
  const dir = await mkdtemp(join(tmpdir(), 'diemcau-cmd-docs-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const carrier = await c.store.carrier();
  const boxes: AgentProcess[] = [];
  t.teardown(async () => {
    for (const b of boxes) await b.stop();
  });
  await Promise.all([runBox(c, dir, 'vn-00010', { camera: { simulate: true } }), runBox(c, dir, 'vn-00013')].map((p) => p.then((b) => boxes.push(b))));

  const lines = await docsClientLines();
  t.ok(lines.some((l) => l.startsWith('mosquitto_rr ')), 'the docs show mosquitto_rr');
  t.ok(lines.some((l) => l.startsWith('diemcau-provision cmd ')), 'and diemcau-provision cmd');
  // As an operator would type them here: this broker, the service password from `init`, these halls.
  const asHere = (l: string) =>
    l
      .replace(/ &$/, '')
      .replaceAll('-h BROKER', `-h 127.0.0.1 -p ${c.broker.port}`)
      .replaceAll('SERVICE-PASSWORD', carrier.service.password)
      .replaceAll('vn-26734', 'vn-00010')
      .replaceAll('group:p-01', 'group:r-north')
      .replaceAll('group/p-01', 'group/r-north')
      .replace(/^diemcau-provision /, `"${process.execPath}" "${PROVISION_CLI}" `);
  const env = { ...process.env, DIEMCAU_DB: c.store.dir, DIEMCAU_BROKER: '' };
  // `exec`: the client is the shell's process, so stopping it stops the client (and closes its pipes).
  const sh = (line: string) => spawn('sh', ['-c', `exec ${line}`], { stdio: ['ignore', 'pipe', 'pipe'], env });
  const run = (line: string) =>
    new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
      const p = sh(line);
      let out = '';
      let err = '';
      p.stdout.on('data', (d) => (out += d));
      p.stderr.on('data', (d) => (err += d));
      p.on('exit', (code) => resolve({ code, out, err }));
    });

  // A subscriber to the replies runs first (the docs put it in the background), then every other line in order.
  const subLine = lines.find((l) => l.startsWith('mosquitto_sub '));
  t.ok(subLine, 'the docs show where replies arrive');
  const sub = sh(asHere(subLine!));
  t.teardown(() => stopChild(sub, 'SIGTERM', 2000));
  let heard = '';
  sub.stdout.on('data', (d) => (heard += d));
  // Subscribed once it prints what the service publishes on a reply topic (mosquitto_sub says nothing itself).
  const probe = await login(c.broker.url, carrier.service.username, carrier.service.password, `${carrier.service.username}-probe`);
  t.teardown(() => probe.endAsync(true));
  await waitFor('mosquitto_sub to print a probe', async () => {
    await probe.publishAsync('diemcau/v1/probe/reply/ping', 'probe', { qos: 1 });
    return heard.includes('probe');
  }, { everyMs: 100 });
  for (const line of lines.filter((l) => l !== subLine)) {
    const r = await run(asHere(line));
    t.equal(r.code, 0, `${line}\n${r.err}`);
    if (line.startsWith('mosquitto_rr ')) t.match(JSON.parse(r.out), { box: 'vn-00010', ok: true }, `${line}: the answer is printed`);
    if (line.startsWith('diemcau-provision ')) t.match(r.out, /vn-00010\s+yes/, `${line}: the answer is printed`);
  }
  await waitFor('both halls to answer the group ping where the docs subscribe', () => heard, {
    until: (h) => /vn-00010\/reply\/ping /.test(h) && /vn-00013\/reply\/ping /.test(h),
  });
  t.match(heard, /diemcau\/v1\/vn-00013\/reply\/ping \{"box":"vn-00013","cmd":"ping","ok":true/);
});
