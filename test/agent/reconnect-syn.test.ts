// A mass return to a broker whose accept queue is full: the broker's kernel drops the box's SYN, and the box's own
// kernel would send it again only 1, 3, 7 and 15 s later (docs/mqtt.md: 10,400 halls over TLS spent 55 s of their
// return waiting out those gaps). The box gives such an attempt up and sends a fresh SYN within a second. Real
// kernels on both sides: a real Mosquitto, and on its port, while it is down, a listener that never accepts.
import t from 'tap';
import { startBroker } from '../../lab/mosquitto.js';
import { fullListener } from '../../lab/full-listener.js';
import { BrokerLink } from '../../agent/mqtt/broker-link.js';
import { parseConfig } from '../../agent/config/load.js';
import { createLogger } from '../../core/log.js';
import { waitFor } from '../../lab/wait.js';
import { SYN_WAIT_MIN_MS, SYN_RETRY_MS } from '../../agent/mqtt/backoff.js';

t.test('a SYN the full accept queue dropped is sent again within a second, and the box is in once there is room', async (t) => {
  const broker = await startBroker();
  t.teardown(() => broker.cleanup());
  const lines: Array<Record<string, any>> = [];
  const log = createLogger({}, 'debug', (l) => lines.push(JSON.parse(l)));
  // rand 0.99: every delay is 99 % of its ceiling, and reads off the log. The window: 2 boxes at 1 a second, 2 s.
  const link = new BrokerLink(
    {
      clientId: 'vn-73001',
      mqtt: parseConfig({ box: { id: 'vn-73001' }, mqtt: { brokers: [broker.url], reconnect: { minMs: 100, fleetSize: 2, brokerConnectsPerS: 1 } } }, 'test').mqtt,
      presenceTopic: 'diemcau/v1/vn-73001/presence',
      presence: (state) => JSON.stringify({ state }),
    },
    log,
    () => 0.99,
  );
  t.teardown(() => link.stop());
  link.start();
  await waitFor('the first registration', () => link.status().connects >= 1, { timeoutMs: 15_000 });

  // The broker goes (a mass event); on its port, before the box's first retry (1.98 s later), a listener that takes
  // no one.
  await broker.stop();
  const full = await fullListener(broker.port);
  t.teardown(() => full.stop());
  const unanswered = () => lines.filter((l) => l.msg === 'broker connect failed' && /no answer to the TCP connect/.test(l.reason));
  const given = await waitFor('two attempts given up for an unanswered SYN', unanswered, { until: (l) => l.length >= 2, timeoutMs: 20_000 });
  t.equal(link.status().lastDrop?.cause, 'mass', 'the broker closing the link is a mass event');
  t.match(given[0], { cause: 'mass', reason: `no answer to the TCP connect within ${SYN_WAIT_MIN_MS} ms`, overloads: 0 }, 'given up after the SYN wait, not the 30 s attempt');
  t.equal(given[0].retryInMs, Math.floor(0.99 * SYN_RETRY_MS), 'the next SYN within a second, not the kernel\'s 3 s and 7 s');
  t.equal(given[1].retryInMs, Math.floor(0.99 * SYN_RETRY_MS), 'and again');

  // Room again: the broker back on its port. The box is in, and what it learnt of the broker's load is unchanged.
  await full.stop();
  await broker.start();
  await waitFor('the registration after the full queue', () => link.status().connects >= 2, { timeoutMs: 20_000 });
  t.equal(link.status().connectTimeouts, 0, 'no attempt waited out its 30 s');
  const after = lines.filter((l) => l.msg === 'broker connect failed');
  t.ok(after.every((l) => l.overloads === 0), 'an unanswered SYN does not widen the window: it cost the broker nothing');
});
