// An agent stopped while its first connection is still being made stops cleanly: the CONNACK that arrives for the
// client it already let go of changes nothing (it used to publish presence on a closed client and throw, which on
// a box turned a SIGTERM during start into a crash).
import t from 'tap';
import { Agent } from '../../agent/agent.js';
import { parseConfig } from '../../agent/config/load.js';
import { silentLogger } from '../../core/log.js';
import { startBroker } from '../../lab/mosquitto.js';

t.test('stop() at every moment of the first connect: no throw, nothing left running', async (t) => {
  const broker = await startBroker();
  t.teardown(() => broker.cleanup());
  const thrown: Error[] = [];
  const onError = (e: Error) => thrown.push(e);
  process.on('uncaughtException', onError);
  t.teardown(() => void process.off('uncaughtException', onError));
  for (let i = 0; i < 30; i++) {
    const agent = new Agent({ config: parseConfig({ box: { id: `vn-${91000 + i}` }, mqtt: { brokers: [broker.url] } }, 'config'), configPath: null, log: silentLogger, version: '0.0.0' });
    const started = agent.start();
    await new Promise((r) => setTimeout(r, i)); // 0..29 ms: before, during and after the CONNACK
    await agent.stop();
    await started.catch(() => {});
  }
  await new Promise((r) => setTimeout(r, 300)); // any CONNACK still on its way arrives
  t.same(thrown.map((e) => e.message), [], 'nothing thrown');
});
