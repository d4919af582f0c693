// The broker `diemcau-provision broker-conf` renders holds what one client must take at once. The central console
// subscribes to every hall's retained state at its connect (10,400 halls: 10,400 states in one go) and receives a
// reply from every hall of a national command within a second; Mosquitto's default queue (max_queued_messages
// 1,000 per client beyond those in flight) drops the rest. Here a real Mosquitto runs the rendered config (password
// file, ACL, client-id plugin), the service login publishes N > 1,000 retained states as boxes would, and a
// subscriber logged in as the console is (the service login, `<service>-central-...`, the largest Receive Maximum)
// must get all N.
import t from 'tap';
import { carrierWithBroker, login } from '../../lab/provision-fixture.js';
import { renderBrokerConf } from '../../provisioning/broker-conf.js';

const N = 3000;

t.test('a subscriber to diemcau/v1/+/state gets every one of N > 1,000 retained states', async (t) => {
  const c = await carrierWithBroker(2);
  t.teardown(() => c.cleanup());
  const service = (await c.store.carrier()).service;
  const pub = await login(c.broker.url, service.username, service.password, `${service.username}-queue-pub`);
  t.teardown(() => pub.endAsync(true));
  const box = (i: number) => `vn-${String(90000 + i)}`;
  await Promise.all(
    Array.from({ length: N }, (_, i) => pub.publishAsync(`diemcau/v1/${box(i)}/state`, JSON.stringify({ hall: { name: `Hall ${i}` } }), { qos: 1, retain: true })),
  );

  const sub = await login(c.broker.url, service.username, service.password, `${service.username}-central-queue`);
  t.teardown(() => sub.endAsync(true));
  const seen = new Set<string>();
  let last = Date.now();
  sub.on('message', (topic) => {
    seen.add(topic);
    last = Date.now();
  });
  // No Receive Maximum in the CONNECT means 65,535, the largest, which the console's client asks for.
  await sub.subscribeAsync('diemcau/v1/+/state', { qos: 1 });
  // Until all arrived, or nothing more came for 2 s (the broker dropped the rest), within 30 s.
  for (const end = Date.now() + 30000; seen.size < N && Date.now() - last < 2000 && Date.now() < end; ) await new Promise((r) => setTimeout(r, 50));
  t.equal(seen.size, N, `${seen.size} of ${N} retained states delivered`);
});

t.test('broker-conf renders max_queued_messages, room for twice 10,400 halls', async (t) => {
  const c = await carrierWithBroker(1);
  t.teardown(() => c.cleanup());
  const lines = renderBrokerConf(c.store, { port: 1883, plugin: '/usr/lib/diemcau_clientid.so' });
  const set = lines.filter((l) => l.startsWith('max_queued_messages '));
  t.equal(set.length, 1, 'set once');
  t.ok(Number(set[0]?.split(' ')[1]) > 2 * 10400, `${set[0]}`);
});
