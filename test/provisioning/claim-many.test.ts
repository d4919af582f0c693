// Many boxes claiming at once through the broker config a carrier deploys (fixture.ts: the rendered password file,
// ACL and client-id plugin): each claims with the carrier-wide claim credential and its serial as client id,
// proves its identity with `<box id>-check`, then comes online as itself. The client-id binding must refuse none
// of these logins. `serve` is the real `diemcau-provision serve` process; the boxes run agent/claim.ts and the Agent.
import t from 'tap';
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { carrierWithBroker, login } from '../../lab/provision-fixture.js';
import { PROVISION_CLI } from '../../lab/provision-cli.js';
import { claimOnce } from '../../agent/claim.js';
import { parseConfig } from '../../agent/config/load.js';
import { Agent } from '../../agent/agent.js';
import { silentLogger } from '../../core/log.js';
import type { Config } from '../../core/config/schema.js';

const N = 50;

t.test(`${N} boxes claim at once, then all come online as themselves`, async (t) => {
  const c = await carrierWithBroker(N, { serials: true });
  t.teardown(() => c.cleanup());
  const carrier = await c.store.carrier();
  const halls = await c.store.halls();

  const serve = spawn(process.execPath, [PROVISION_CLI, 'serve', '--db', c.store.dir, '--url', c.broker.url], { stdio: ['ignore', 'pipe', 'pipe'] });
  t.teardown(() => serve.kill('SIGTERM'));
  await new Promise<void>((resolve, reject) => {
    serve.stdout.on('data', (d) => String(d).includes('answering claims') && resolve());
    serve.once('exit', (code) => reject(new Error(`serve exited ${code}`)));
  });

  const boxesDir = await mkdtemp(join(tmpdir(), 'diemcau-many-'));
  t.teardown(() => rm(boxesDir, { recursive: true, force: true }));
  const expected = Object.values(halls).map((h) => ({ serial: h.serial!, boxId: h.boxId }));
  const claimed = await Promise.allSettled(
    expected.map(async ({ serial }) => {
      const dir = join(boxesDir, serial);
      await mkdir(dir);
      const path = join(dir, 'config.json');
      const cfg = parseConfig({ box: { id: 'unclaimed' }, mqtt: { brokers: [c.broker.url] }, claim: { dir, serial, ...carrier.claim, timeoutS: 30 } }, serial);
      await writeFile(path, JSON.stringify(cfg));
      return { serial, path, config: await claimOnce(path, cfg, silentLogger) };
    }),
  );
  const failed = claimed.filter((r) => r.status === 'rejected').map((r) => String((r as PromiseRejectedResult).reason?.message));
  t.same(failed, [], `all ${N} claims granted`);
  const got = claimed.filter((r) => r.status === 'fulfilled').map((r) => (r as PromiseFulfilledResult<{ serial: string; path: string; config: Config }>).value);
  t.same(
    got.map((g) => [g.serial, g.config.box.id]).sort(),
    expected.map((e) => [e.serial, e.boxId]).sort(),
    'each serial got the hall the CSV gave it',
  );

  // The carrier's screen: every box's retained presence.
  const ops = await login(c.broker.url, carrier.service.username, carrier.service.password, 'ops-many');
  t.teardown(() => ops.endAsync(true));
  const online = new Set<string>();
  ops.on('message', (topic, payload) => {
    const p = JSON.parse(payload.toString());
    if (p.state === 'online' && topic === `diemcau/v1/${p.box}/presence`) online.add(p.box);
  });
  await ops.subscribeAsync('diemcau/v1/+/presence', { qos: 1 });
  const agents = got.map((g) => new Agent({ config: g.config, configPath: g.path, log: silentLogger, version: 'test' }));
  t.teardown(() => Promise.all(agents.map((a) => a.stop())));
  await Promise.all(agents.map((a) => a.start()));
  for (let i = 0; i < 200 && online.size < N; i++) await new Promise((r) => setTimeout(r, 100));
  t.equal(online.size, N, `all ${N} boxes online as themselves`);

  let confirmed = 0;
  for (let i = 0; i < 100; i++) {
    confirmed = Object.values(await c.store.claims()).filter((x) => x.confirmedAt).length;
    if (confirmed === N) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  t.equal(confirmed, N, 'serve closed every hall once its box was online');
  const log = await readFile(join(c.broker.dir, 'mosquitto.log'), 'utf8');
  t.notMatch(log, /diemcau_clientid: refused/, 'the client-id binding refused none of these logins');
});
