// Staged rollout through the real CLI to real agent processes under the real launcher, started with the systemd
// unit's node flags and arguments (lab/unit.ts) as on a box: each box process starts
// from a factory config and enrols itself by claim (the update key comes with its identity), downloads the bundle over HTTP, installs it into its inactive slot,
// restarts into it, proves itself and commits. A bundle whose version fails its health check rolls back by itself
// on the canary (its panel driver is broken, and the panel answered on the old version), and the rollout halts
// before the other stages.
import t from 'tap';
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:http';
import { createReadStream } from 'node:fs';
import { mkdtemp, mkdir, writeFile, cp, rm, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { carrierWithBroker } from '../../lab/provision-fixture.js';
import { ClaimService } from '../../provisioning/claim-service.js';
import { FleetView } from '../../provisioning/fleet-view.js';
import { initKeys, loadPrivateKey, makeBundle, keyPaths } from '../../provisioning/signing.js';
import { planStages } from '../../provisioning/rollout.js';
import { parseConfig } from '../../agent/config/load.js';
import { silentLogger } from '../../core/log.js';
import { writeBoot, INSTALLED } from '../../agent/update/slots.js';
import { waitFor } from '../../lab/wait.js';
import { provisionCli } from '../../lab/provision-cli.js';
import { launcherArgv } from '../../lab/unit.js';

const DIST = resolve(import.meta.dirname, '../..');
const LAUNCHER = join(DIST, 'agent/update/launcher.js');

/**
 * The slot's entry: the real Agent with a simulated GPIO panel, the update commands, and the trial health check
 * built from the Agent (agent/update/agent-checks.ts). A `broken` version ships a panel driver that cannot open
 * its chip: the panel answered on the old version, so the new one fails its check and rolls back.
 */
function entry(broken: boolean): string {
  const m = (p: string) => JSON.stringify(join(DIST, p));
  return `import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
const { Agent } = await import(${m('agent/agent.js')});
const { createDevice } = await import(${m('agent/devices/compose.js')});
const { loadConfigFile } = await import(${m('agent/config/load.js')});
const { settleTrial } = await import(${m('agent/update/health.js')});
const { agentHealthChecks, expectationsOf } = await import(${m('agent/update/agent-checks.js')});
const { updateCommands } = await import(${m('agent/update/command.js')});
const { publicKeyFromPem } = await import(${m('core/bundle.js')});
const { RESTART_EXIT_CODE } = await import(${m('agent/update/install.js')});
const { silentLogger } = await import(${m('core/log.js')});
const { ensureClaimed } = await import(${m('agent/claim.js')});
const root = process.env.DIEMCAU_UPDATE_ROOT, slot = process.env.DIEMCAU_SLOT;
const inst = JSON.parse(readFileSync(join(root, 'slots', slot, '.installed'), 'utf8'));
const configPath = process.argv[process.argv.indexOf('--config') + 1]; // the unit's agent arguments, as \`diemcau run\` takes them
let config = await loadConfigFile(configPath);
if (config.claim) config = await ensureClaimed(configPath, config, silentLogger); // a factory config: enrol first
const deviceFactory = ${broken} ? async () => { throw new Error('gpio driver: cannot open /dev/gpiochip0'); } : createDevice;
const agent = new Agent({ config, configPath, log: silentLogger, version: inst.version, deviceFactory });
const stop = async (code) => { await agent.stop(); process.exit(code); };
const keys = async () => [publicKeyFromPem(readFileSync(join(root, 'etc/update-key.pem'), 'utf8'))];
for (const c of updateCommands({ root, slot, installedVersion: inst.version, trustedKeys: keys, inMeeting: () => existsSync(join(root, 'etc/in-meeting')),
  expectations: () => expectationsOf(agent), restart: () => void stop(RESTART_EXIT_CODE), log: silentLogger })) agent.router.register(c);
process.on('SIGTERM', () => void stop(0));
await agent.start();
const out = await settleTrial(root, slot, (trial) => agentHealthChecks(agent, trial.expect ?? { devices: [], media: false }), 5000, silentLogger);
if (out.trial && !out.committed) await stop(RESTART_EXIT_CODE);
`;
}

const cli = provisionCli;

t.test('planStages: canary, share, all; stable and complete', async (t) => {
  const ids = Array.from({ length: 100 }, (_, i) => `vn-${String(i).padStart(5, '0')}`);
  const s = planStages(ids, 5, 10);
  t.same(s.map((x) => [x.name, x.boxes.length]), [['canary', 5], ['share 10%', 10], ['all', 85]]);
  t.same(new Set(s.flatMap((x) => x.boxes)).size, 100, 'every hall exactly once');
  t.same(planStages(ids, 5, 10), s, 'the same plan every time');
  t.same(planStages(ids.slice(0, 3), 5, 10).map((x) => x.boxes.length), [3], 'fewer halls than canaries: one stage');
});

t.test('rollout to real agents under the launcher: all stages, then a bad version halted at the canary', async (t) => {
  const N = 5;
  const c = await carrierWithBroker(N, { serials: true });
  t.teardown(() => c.cleanup());
  const db = c.store.dir;
  const { pub } = await initKeys(db);
  const key = await loadPrivateKey(db);
  const svc = new ClaimService(c.store, { url: c.broker.url, log: silentLogger, updateKeyPem: pub.export({ type: 'spki', format: 'pem' }) as string });
  await svc.start();
  t.teardown(() => svc.stop());
  const carrier = await c.store.carrier();

  // Three versions of the agent tree: what each slot holds.
  const trees = join(c.dir, 'trees');
  for (const [v, broken] of [['1.0.0', false], ['2.0.0', false], ['3.0.0', true]] as const) {
    await mkdir(join(trees, v), { recursive: true });
    await writeFile(join(trees, v, 'main.mjs'), entry(broken));
  }
  const files = join(c.dir, 'www');
  await mkdir(files);
  const exp = new Date(Date.now() + 86400000);
  await makeBundle({ dir: join(trees, '2.0.0'), version: '2.0.0', out: join(files, 'v2.bundle'), key, expiresAt: exp, entry: 'main.mjs' });
  await makeBundle({ dir: join(trees, '3.0.0'), version: '3.0.0', out: join(files, 'v3.bundle'), key, expiresAt: exp, entry: 'main.mjs' });
  const http = createServer((req, res) => {
    const f = join(files, (req.url ?? '').replace(/[^a-z0-9.]/gi, ''));
    res.setHeader('content-type', 'application/octet-stream');
    createReadStream(f).on('error', () => res.writeHead(404).end()).pipe(res);
  });
  // Port 0, then asked: a port found free first could be taken by a test running beside this one.
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  const port = (http.address() as { port: number }).port;
  t.teardown(() => new Promise<void>((r) => http.close(() => r())));

  // Boxes: factory config, claim, slot a = 1.0.0, then the launcher.
  const launchers: ChildProcess[] = [];
  t.teardown(async () => {
    await Promise.all(launchers.map((p) => new Promise((r) => (p.exitCode !== null || p.signalCode !== null ? r(null) : (p.once('exit', r), p.kill('SIGTERM'))))));
  });
  for (let i = 0; i < N; i++) {
    const root = await mkdtemp(join(c.dir, 'box-'));
    const etc = join(root, 'etc');
    await mkdir(etc);
    const serial = `SN${String(10 + i).padStart(5, '0')}`;
    const path = join(etc, 'config.json');
    const factory = parseConfig(
      {
        box: { id: 'unclaimed' },
        mqtt: { brokers: [c.broker.url] },
        devices: { panel: { simulate: true, talkButton: 17, tallyLed: 27 } },
        claim: { serial, ...carrier.claim, dir: etc, timeoutS: 5 },
      },
      serial,
    );
    await writeFile(path, JSON.stringify(factory)); // the box process claims its identity itself
    await cp(join(trees, '1.0.0'), join(root, 'slots/a'), { recursive: true });
    await writeFile(join(root, 'slots/a', INSTALLED), JSON.stringify({ version: '1.0.0', entry: 'main.mjs' }));
    await writeBoot(root, { committed: 'a' });
    const argv = launcherArgv({ launcher: LAUNCHER, root, config: path });
    launchers.push(spawn(process.execPath, argv, { stdio: 'ignore', env: { ...process.env, DIEMCAU_LOG_LEVEL: 'error' } }));
  }
  const view = new FleetView(c.broker.url, carrier.service);
  await view.start();
  t.teardown(() => view.stop());
  const versions = () => [...view.boxes.values()].filter((b) => b.online).map((b) => b.version).sort();
  const allOn = (v: string) => waitFor(`every box online on ${v}`, versions, { until: (x) => x.join() === Array(N).fill(v).join(), timeoutMs: 30_000, everyMs: 50 });
  await waitFor(`${N} boxes online`, versions, { until: (x) => x.length >= N, timeoutMs: 30_000, everyMs: 50 });
  t.same(versions(), Array(N).fill('1.0.0'), 'five agent processes enrolled by claim and online on 1.0.0');
  const confirmed = async () => Object.values(await c.store.claims()).filter((x) => x.confirmedAt).length;
  await waitFor('serve confirming every claim', confirmed, { until: (n) => n >= N });
  t.equal(await confirmed(), N, 'serve saw every box online as itself');

  const common = ['--db', db, '--url', c.broker.url, '--canary', '1', '--share', '40', '--max-failures', '20', '--timeout', '60', '--poll-ms', '300', '--busy-retry-ms', '500'];
  // Every hall is in a meeting for the first 2 s: the update waits (the box answers busy, the rollout asks again,
  // every 500 ms here rather than the shipped 5 s).
  const roots = launchers.map((p) => p.spawnargs[p.spawnargs.indexOf('--root') + 1]);
  await Promise.all(roots.map((r) => writeFile(join(r, 'etc/in-meeting'), '')));
  const meetingEnds = (async () => {
    await new Promise((r) => setTimeout(r, 2000));
    t.same(versions(), Array(N).fill('1.0.0'), 'nothing updated during the meeting');
    await Promise.all(roots.map((r) => rm(join(r, 'etc/in-meeting'))));
    return Date.now();
  })();
  const good = await cli(['rollout', join(files, 'v2.bundle'), '--bundle-url', `http://127.0.0.1:${port}/v2.bundle`, ...common, '--json']);
  const finishedAt = Date.now();
  const endedAt = await meetingEnds;
  t.ok(finishedAt >= endedAt, `the rollout finished after the meeting ended (${finishedAt - endedAt} ms after)`);
  t.equal(good.code, 0, good.err);
  const g = JSON.parse(good.out);
  t.same(
    g.stages.map((s: { stage: string; boxes: number; updated: number; result: string }) => [s.stage, s.boxes, s.updated, s.result]),
    [['canary', 1, 1, 'done'], ['share 40%', 2, 2, 'done'], ['all', 2, 2, 'done']],
    'every stage done, every box updated',
  );
  await allOn('2.0.0');
  t.same(versions(), Array(N).fill('2.0.0'), 'all boxes report 2.0.0');

  const bad = await cli(['rollout', join(files, 'v3.bundle'), '--bundle-url', `http://127.0.0.1:${port}/v3.bundle`, ...common]);
  t.equal(bad.code, 1, 'a halted rollout exits 1');
  t.match(bad.out, /canary\s+1\s+0\s+1\s+0\s+100\s+halted/, 'the canary stage failed and halted');
  t.match(bad.out, /share 40%\s+2\s+0\s+0\s+0\s+0\s+skipped/, 'the share stage was never started');
  t.match(bad.out, /rolled back: health check device panel answers failed: device panel is not configured/, 'the reason is the box\'s own');
  await allOn('2.0.0');
  t.same(versions(), Array(N).fill('2.0.0'), 'the canary rolled back by itself: every box runs 2.0.0');
  t.ok((await readFile(keyPaths(db).pub, 'utf8')).includes('PUBLIC KEY'));
});
