// The box tells its own link failing (a quick return is right) from the broker going away for everyone (spread the
// return wide). Both cut through a real TCP relay in front of a real Mosquitto.
import t from 'tap';
import { startBroker } from '../../lab/mosquitto.js';
import { startTcpProxy } from '../../lab/tcp-proxy.js';
import { Agent } from '../../agent/agent.js';
import { parseConfig } from '../../agent/config/load.js';
import { silentLogger } from '../../core/log.js';

const broker = await startBroker();
t.teardown(() => broker.cleanup());
const proxy = await startTcpProxy(broker.port);
t.teardown(() => proxy.stop());

const agent = new Agent({
  config: parseConfig({ box: { id: 'vn-80001' }, mqtt: { brokers: [proxy.url], reconnect: { minMs: 300, massSpreadS: 20 } } }, 'test'),
  configPath: null,
  log: silentLogger,
  version: 'test',
  rand: () => 0.99, // the longest delay each policy allows, so the two cases are told apart by time
});
t.teardown(() => agent.stop());
await agent.start();
await new Promise((r) => agent.link.once('connected', r));

t.test('own link reset: back within the short backoff, cause "link"', async (t) => {
  const cut = Date.now();
  const back = new Promise((r) => agent.link.once('connected', r));
  const dropped = new Promise<string>((r) => agent.link.once('disconnected', (cause: string) => r(cause)));
  proxy.reset();
  t.equal(await dropped, 'link');
  await back;
  const took = Date.now() - cut;
  t.ok(took < 1500, `returned in ${took} ms`);
});

t.test('clean close from the server side: cause "mass", return spread over the window', async (t) => {
  const cut = Date.now();
  const dropped = new Promise<string>((r) => agent.link.once('disconnected', (cause: string) => r(cause)));
  proxy.closeAll();
  t.equal(await dropped, 'mass');
  await new Promise((r) => setTimeout(r, 3000));
  t.equal(agent.link.connected, false, 'still waiting its turn 3 s later (rand 0.99 of a 20 s window)');
  t.equal(agent.link.status().lastDrop?.cause, 'mass');
});
