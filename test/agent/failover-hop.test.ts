// A box lists every node of a cluster. When its node dies (here: shut down), the socket closes cleanly (a mass event: the first retry
// waits its turn in the spread window), the retry finds that node refusing, and the box moves on to the next node
// of its list. That hop must not wait a second whole window: the first retry already spread the fleet.
import t from 'tap';
import { startBroker } from '../../lab/mosquitto.js';
import { BrokerLink } from '../../agent/mqtt/broker-link.js';
import { parseConfig } from '../../agent/config/load.js';
import { createLogger, silentLogger } from '../../core/log.js';
import { waitFor } from '../../lab/wait.js';

const SPREAD_S = 4;
// The two scenarios run at once, each with its own brokers and link: the delays they check are drawn (rand 0.99),
// and the one timing they read has a window and a half of margin.
t.jobs = 2;

t.test('a node killed: the retry that finds it refusing hops to the next node without a second spread', async (t) => {
  const a = await startBroker();
  const b = await startBroker();
  t.teardown(() => Promise.all([a.cleanup(), b.cleanup()]));
  // rand 0.99: each delay is drawn at the end of its range, so the two policies lie a window apart.
  const link = new BrokerLink(
    {
      clientId: 'vn-81001',
      mqtt: parseConfig({ box: { id: 'vn-81001' }, mqtt: { brokers: [a.url, b.url], reconnect: { minMs: 200, massSpreadS: SPREAD_S } } }, 'test').mqtt,
      presenceTopic: 'diemcau/v1/vn-81001/presence',
      presence: (state) => JSON.stringify({ state }),
    },
    silentLogger,
    () => 0.99,
  );
  t.teardown(() => link.stop());
  const up = new Promise((r) => link.once('connected', r));
  link.start();
  t.equal(await up, a.url, 'on the first node');
  const dropped = new Promise<string>((r) => link.once('disconnected', (cause: string) => r(cause)));
  const moved = new Promise<string>((r) => link.once('connected', r));
  const killedAt = Date.now();
  // Stopped, not killed -9: a killed process's sockets close with FIN only when nothing sent to them is unread (with
  // unread bytes the kernel sends RST, which the box rightly takes for its own link); a busy machine made it a coin
  // toss. Mosquitto 2.0 shutting down closes every socket without a DISCONNECT: the node's death as its boxes see it.
  await a.stop('SIGTERM');
  t.equal(await dropped, 'mass', 'the node closing the link is a mass event: the first retry is spread');
  // The deadline's timer is cleared once the link moved: left running, it held the file open 16 s for nothing.
  let deadline: NodeJS.Timeout | undefined;
  const to = await Promise.race([moved, new Promise<string>((r) => (deadline = setTimeout(() => r('nowhere'), 4 * SPREAD_S * 1000)))]);
  clearTimeout(deadline);
  const took = (Date.now() - killedAt) / 1000;
  t.equal(to, b.url, 'on the second node');
  // One window (3.96 s here) plus a short hop (under 0.4 s); a second window would make it about 7.9 s.
  t.ok(took < SPREAD_S * 1.5, `on the next node ${took.toFixed(1)} s after the kill: one ${SPREAD_S} s window, not two`);
});

t.test('the whole cluster down: after the hops of the first round, "refused once" draws over the window, not twice it', async (t) => {
  // A single broker refused once is drawn over W again, refused twice over 2W (docs/mqtt.md, "A broker crash"). On a
  // list of nodes the round of hops is one refusal: counting each hop as one would send a box that tried every node
  // before the cluster was back to 2W at once, and the fleet's return after a whole-cluster restart would take twice
  // as long.
  const nodes = await Promise.all([startBroker(), startBroker(), startBroker()]);
  t.teardown(() => Promise.all(nodes.map((n) => n.cleanup())));
  await Promise.all([nodes[1].stop(), nodes[2].stop()]);
  const lines: Array<Record<string, any>> = [];
  const log = createLogger({}, 'debug', (l) => lines.push(JSON.parse(l)));
  const link = new BrokerLink(
    {
      clientId: 'vn-81002',
      mqtt: parseConfig({ box: { id: 'vn-81002' }, mqtt: { brokers: nodes.map((n) => n.url), reconnect: { minMs: 100, massSpreadS: 2 } } }, 'test').mqtt,
      presenceTopic: 'diemcau/v1/vn-81002/presence',
      presence: (state) => JSON.stringify({ state }),
    },
    log,
    () => 0.99,
  );
  t.teardown(() => link.stop());
  const up = new Promise((r) => link.once('connected', r));
  link.start();
  await up;
  await nodes[0].stop();
  const failed = await waitFor('five failed attempts', () => lines.filter((l) => l.msg === 'broker connect failed'), { until: (f) => f.length >= 5, timeoutMs: 20_000 });
  t.equal(link.status().lastDrop?.cause, 'mass', 'the node closing the link is a mass event');
  t.same(failed.slice(0, 2).map((f) => f.hop), [true, true], 'the first two refusals hop to the next node');
  t.same(
    failed.slice(0, 5).map((f) => f.retryInMs),
    [198, 396, 1980, 3960, 3960],
    'hops after the short backoff; every node refused once: over the 2 s window again; twice: over 4 s',
  );
});
