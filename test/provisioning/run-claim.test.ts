// `diemcau run` on a box fresh from the factory: it claims its identity through the carrier's claim service,
// stores it, and registers as itself — a real agent process, a real Mosquitto with the rendered ACL.
import t from 'tap';
import { carrierWithBroker, factoryBoxConfig, login } from '../../lab/provision-fixture.js';
import { ClaimService } from '../../provisioning/claim-service.js';
import { loadConfigFile } from '../../agent/config/load.js';
import { silentLogger } from '../../core/log.js';
import { startAgent } from '../../lab/agent-process.js';
import { startProvisionCli } from '../../lab/provision-cli.js';

t.test('a factory box claims by serial, then registers as vn-00011', async (t) => {
  const c = await carrierWithBroker(3, { serials: true });
  t.teardown(() => c.cleanup());
  const carrier = await c.store.carrier();
  const svc = new ClaimService(c.store, { url: c.broker.url, log: silentLogger, updateKeyPem: 'PEM-UPDATE-KEY' });
  await svc.start();
  t.teardown(() => svc.stop());

  const { path, cleanup } = await factoryBoxConfig(c, 'SN00011');
  t.teardown(cleanup);
  // The carrier's service account watches the hall's presence, as an operator screen would.
  const ops = await login(c.broker.url, carrier.service.username, carrier.service.password, 'ops');
  t.teardown(() => ops.endAsync(true));
  const online = new Promise<string>((resolve) =>
    ops.on('message', (topic, payload) => {
      if (topic === 'diemcau/v1/vn-00011/presence' && payload.toString().includes('"online"')) resolve(payload.toString());
    }),
  );
  await ops.subscribeAsync('diemcau/v1/+/presence', { qos: 1 });

  const agent = startAgent(path);
  t.teardown(() => agent.stop());
  await agent.waitLog((l) => l.msg === 'claim: identity stored', 'identity stored', 20000);
  const presence = JSON.parse(await online);
  t.equal(presence.box, 'vn-00011', 'registered as itself');
  const stored = await loadConfigFile(path);
  t.equal(stored.box.id, 'vn-00011');
  t.equal(stored.mqtt.username, 'vn-00011');
  t.equal(stored.claim, undefined, 'the claim credential is gone from the config');
});

t.test('serve (the real CLI) logs the claim it grants; the box logs as itself from then on', async (t) => {
  const c = await carrierWithBroker(3, { serials: true });
  t.teardown(() => c.cleanup());
  // No --url: serve logs in to the broker the halls' CSV names.
  const serve = startProvisionCli(['serve', '--db', c.store.dir], { DIEMCAU_BROKER: undefined });
  t.teardown(() => serve.stop());
  await serve.waitLog((l) => l.msg === 'serve: answering claims', 'serve up', 20000);
  t.match(serve.stderr(), `broker ${c.broker.url} (from the database: 3 of 3 hall(s) use it`, 'serve says which broker');

  const { path, cleanup } = await factoryBoxConfig(c, 'SN00012');
  t.teardown(cleanup);
  const agent = startAgent(path);
  t.teardown(() => agent.stop());
  const granted = await serve.waitLog((l) => l.msg === 'serve: claim granted', 'the grant logged', 20000);
  t.match(granted, { level: 'info', serial: 'SN00012', boxId: 'vn-00012', kind: 'password', by: 'serial' });
  t.notOk(JSON.stringify(granted).includes((await c.store.identities())['vn-00012'].password), 'no secret in the line');
  await serve.waitLog((l) => l.msg === 'serve: box online as itself; its hall is closed to claims' && l.boxId === 'vn-00012', 'the confirmation logged', 20000);

  await agent.waitLog((l) => l.msg === 'registered with broker', 'registered', 20000);
  const stored = agent.lines.findIndex((l) => l.msg === 'claim: identity stored');
  t.ok(stored >= 0, 'the claim is logged');
  const after = agent.lines.slice(stored + 1).filter((l) => l.box !== undefined);
  t.ok(after.length >= 2, `lines after the claim: ${after.map((l) => l.msg).join(', ')}`);
  t.same([...new Set(after.map((l) => l.box))], ['vn-00012'], 'every line after the claim names the box it now is');
});
