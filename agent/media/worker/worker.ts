// The media worker process: a child of the agent (controller.ts) that owns everything wrtc touches, because
// @roamhq/wrtc can crash at peer close and at exit (so the agent survives it, and so exit is always explicit).
// This file only wires the IPC channel (worker-protocol.ts) to the MediaWorker (media-worker.ts), which takes the
// messages one at a time, in order.
import { MediaWorker } from './media-worker.js';
import type { FromWorker, ToWorker } from './protocol.js';
import { ProcessHealthMeter } from '../../process-health.js';

const send = (m: FromWorker) => void process.send?.(m);
const worker = new MediaWorker({ send, exit: (code) => process.exit(code) });

process.on('message', (m: ToWorker) => worker.receive(m));
// The worker's own health (heap, handles, descriptors, loop delay) for the agent's telemetry: read here, in the
// process it describes, every HEALTH_EVERY_MS (each reading's loop delay covers the time since the one before).
const HEALTH_EVERY_MS = 5000;
const health = new ProcessHealthMeter();
setInterval(() => void health.read().then((h) => send({ type: 'health', health: h })), HEALTH_EVERY_MS).unref();
// The agent went away: nothing to report to, so leave the bridge cleanly and end.
process.on('disconnect', () => worker.stop(0));
process.on('uncaughtException', (err) => {
  send({ type: 'log', level: 'error', msg: 'media worker: uncaught', fields: { err: err.message, stack: err.stack } });
  process.exit(1);
});
