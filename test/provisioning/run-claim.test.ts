// `diemcau run` on a box fresh from the factory: it claims its identity through the carrier's claim service,
// stores it, and registers as itself — a real agent process, a real Mosquitto with the rendered ACL.
import t from 'tap';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { carrierWithBroker, login } from '../../lab/provision-fixture.js';
import { ClaimService } from '../../provisioning/claim-service.js';
import { loadConfigFile } from '../../agent/config/load.js';
import { silentLogger } from '../../core/log.js';
import { startAgent } from '../../lab/agent-process.js';

t.test('a factory box claims by serial, then registers as vn-00011', async (t) => {
  const c = await carrierWithBroker(3, { serials: true });
  t.teardown(() => c.cleanup());
  const carrier = await c.store.carrier();
  const svc = new ClaimService(c.store, { url: c.broker.url, log: silentLogger, updateKeyPem: 'PEM-UPDATE-KEY' });
  await svc.start();
  t.teardown(() => svc.stop());

  const dir = await mkdtemp(join(tmpdir(), 'diemcau-factory-'));
  const path = join(dir, 'config.json');
  await writeFile(
    path,
    JSON.stringify({
      box: { id: 'unclaimed' },
      mqtt: { brokers: [c.broker.url] },
      claim: { dir, serial: 'SN00011', username: carrier.claim.username, password: carrier.claim.password, timeoutS: 5 },
    }),
  );
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
