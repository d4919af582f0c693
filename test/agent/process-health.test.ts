// The process health the agent's telemetry carries (agent/process-health.ts): descriptors and handles counted as the
// kernel and libuv see them, and the event loop's delay, reset at each reading.
import t from 'tap';
import { open, readdir } from 'node:fs/promises';
import { createServer } from 'node:net';
import { ProcessHealthMeter } from '../../agent/process-health.js';
import { Telemetry } from '../../core/payloads.js';
import { errors } from '../../core/schema/value.js';
import { readTelemetry } from '../../agent/telemetry.js';

const tick = () => new Promise((r) => setTimeout(r, 50));

t.test('descriptors and handles follow what the process opens and closes', async (t) => {
  const meter = new ProcessHealthMeter();
  t.teardown(() => meter.stop());
  const before = await meter.read();
  t.equal(before.fds, (await readdir('/proc/self/fd')).length - 1, 'the same count as /proc/self/fd');
  const file = await open('/proc/self/status');
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const during = await meter.read();
  t.equal(during.fds, before.fds! + 2, 'a file and a listening socket: two descriptors more');
  t.ok(during.handles > before.handles, `the server is an active handle (${before.handles} -> ${during.handles})`);
  await file.close();
  await new Promise((r) => server.close(r));
  await tick();
  const after = await meter.read();
  t.equal(after.fds, before.fds, 'back to where it was');
  t.ok(after.rssMb > 0 && after.heapMb > 0 && after.heapMb < after.rssMb, `rss ${after.rssMb} MB, heap ${after.heapMb} MB`);
});

t.test('event-loop delay: a blocked loop shows in the reading that covers it, and not in the next', async (t) => {
  const meter = new ProcessHealthMeter();
  t.teardown(() => meter.stop());
  await tick();
  await meter.read();
  await tick();
  const end = Date.now() + 150;
  while (Date.now() < end); // the loop held for 150 ms
  await tick();
  const blocked = await meter.read();
  t.ok(blocked.loopDelayMs.max >= 130, `the 150 ms block is seen (max ${blocked.loopDelayMs.max} ms)`);
  for (let i = 0; i < 4; i++) await tick();
  const next = await meter.read();
  t.ok(next.loopDelayMs.max < blocked.loopDelayMs.max, `reset at the reading (next max ${next.loopDelayMs.max} ms)`);
  t.ok(next.loopDelayMs.p50 <= next.loopDelayMs.p99 && next.loopDelayMs.p99 <= next.loopDelayMs.max, 'p50 <= p99 <= max');
});

t.test('telemetry carries it and the worker reading, in the schema the console validates', async (t) => {
  const tm = await readTelemetry(Date.now(), { rssMb: 80, heapMb: 9, handles: 20, fds: 40, loopDelayMs: { p50: 0.1, p99: 3, max: 9 } });
  t.same(errors(Telemetry, tm), [], 'valid');
  t.ok(tm.process && tm.process.handles > 0, 'the agent process');
  t.equal(tm.mediaWorker?.fds, 40, "the worker's own reading");
  t.notOk('mediaWorker' in (await readTelemetry(Date.now())), 'no media path: no worker field');
});
