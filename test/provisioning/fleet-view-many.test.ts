// The carrier's view of a fleet bigger than Mosquitto's per-client queue. Subscribing to every box's retained state
// brings one message per box at once; to a client that announces no Receive Maximum Mosquitto keeps 20 in flight,
// queues 1000 more and drops the rest without a word, so `status`, `push --wait` and `rollout` would see those boxes
// as offline. A real Mosquitto with its default limits.
import t from 'tap';
import mqtt from 'mqtt';
import { startBroker } from '../../lab/mosquitto.js';
import { FleetView } from '../../provisioning/fleet-view.js';

t.test('every retained state of 3,000 boxes reaches the fleet view', async (t) => {
  const broker = await startBroker();
  t.teardown(() => broker.cleanup());
  const N = 3000;
  const boxes = await mqtt.connectAsync(broker.url, { protocolVersion: 5, clientId: 'boxes' });
  t.teardown(() => boxes.endAsync(true));
  await Promise.all(
    Array.from({ length: N }, (_, i) =>
      boxes.publishAsync(`diemcau/v1/vn-${String(i).padStart(5, '0')}/state`, JSON.stringify({ config: { version: 3, status: 'applied' } }), {
        qos: 1,
        retain: true,
      }),
    ),
  );
  const view = new FleetView(broker.url, { username: 'diemcau-provision', password: 'x' });
  await view.start();
  t.teardown(() => view.stop());
  await view.settle(1000, 20000);
  t.equal(view.boxes.size, N, `the view holds ${view.boxes.size} of ${N} boxes`);
  t.equal([...view.boxes.values()].filter((v) => v.config?.version === 3).length, N, 'each with its applied version');
});
