// Unit tests of the desired-config reconciler's pure parts (issue 11): the planner against what actually runs, the
// retry policy, and the pass/retry loop on a stepped clock (lab/fake-clock.ts). The hall here is a few plain
// fields: what is under test is the planning and the timing, not the devices (test/agent/desired-reconcile.test.ts
// runs the real ones).
import t from 'tap';
import { plan, allStarted, bareHall, type Running, type Step } from '../../agent/desired/plan.js';
import { FailedSteps, retryDelayMs, STEP_RETRY } from '../../agent/desired/retry-policy.js';
import { Reconciler, type ConfigReport } from '../../agent/desired/reconciler.js';
import { exampleConfig } from '../../agent/config/example.js';
import { mergeDesired, parseDesired } from '../../agent/config/load.js';
import type { Config } from '../../core/config/schema.js';
import { DisconnectedError } from '../../core/errors.js';
import { silentLogger } from '../../core/log.js';
import { FakeClock } from '../../lab/fake-clock.js';

const example = exampleConfig();
const withMedia = (c: Config, enabled: boolean, version = c.configVersion + 1): Config =>
  mergeDesired(c, parseDesired({ version, media: { ...c.media, enabled, simulate: true } }, 'test'));
/** The example hall without media: the reconciler tests' hall has devices only. */
const base = withMedia(example, false, 1);

t.test('planner: against what runs, not against the last config', async (t) => {
  const target = withMedia(example, true);
  const all = allStarted(target);
  t.same(plan(all, target), [], 'everything runs: nothing to do');

  const cameraFailed: Running = { ...all, devices: { ...all.devices, camera: { config: target.devices.camera!, started: false } } };
  t.same(plan(cameraFailed, target), [{ kind: 'device', id: 'camera', action: 'start' }], 'a device whose start failed is started again');

  const noCamera = mergeDesired(target, parseDesired({ version: 9, devices: { display: target.devices.display, panel: target.devices.panel } }, 'test'));
  t.same(plan(cameraFailed, noCamera), [{ kind: 'device', id: 'camera', action: 'stop' }], 'and stopped (its error cleared) when no longer wanted');

  const mediaFailed: Running = { ...all, media: { config: target.media, started: false } };
  t.same(plan(mediaFailed, target), [{ kind: 'media', action: 'start' }], 'media whose start failed is started again');
  t.same(plan(mediaFailed, withMedia(target, false)), [{ kind: 'media', action: 'stop' }], 'and cleared when media is switched off');
  t.same(plan({ ...all, media: null }, withMedia(target, false)), [], 'media off and not set up: nothing');

  const wider = mergeDesired(target, parseDesired({ version: 10, media: { ...target.media, width: 640, height: 360 } }, 'test'));
  t.same(plan(all, wider), [{ kind: 'media', action: 'restart' }], 'running media with another config is restarted');

  const bridged = (c: Config, bridge: string, version: number) => mergeDesired(c, parseDesired({ version, media: { ...c.media, bridge } }, 'test'));
  const east = bridged(target, 'http://edge-east.example:8088/janus', 11);
  t.same(plan(all, east), [{ kind: 'media', action: 'bridge' }], 'only the region bridge set: the meeting moves, the path stays');
  const west = bridged(east, 'http://edge-west.example:8088/janus', 12);
  t.same(plan(allStarted(east), west), [{ kind: 'media', action: 'bridge' }], 'the region bridge changed: the same');
  t.same(plan(allStarted(east), bridged(wider, 'http://edge-west.example:8088/janus', 13)), [{ kind: 'media', action: 'restart' }], 'the bridge and more: a restart');
  t.same(plan({ ...allStarted(east), media: { config: east.media, started: false } }, west), [{ kind: 'media', action: 'start' }], 'a path that did not start is started, bridge or not');

  t.same(
    plan(bareHall(target), target).map((s) => [s.kind, (s as { id?: string }).id, (s as { action?: string }).action]),
    [
      ['device', 'camera', 'start'],
      ['device', 'display', 'start'],
      ['device', 'panel', 'start'],
      ['media', undefined, 'start'],
    ],
    'at boot: every configured part is started',
  );
});

t.test('retry policy: first retry after 2 s, doubling, capped at a minute', async (t) => {
  t.same([1, 2, 3, 4, 5, 6, 7, 20].map((n) => retryDelayMs(n)), [2000, 4000, 8000, 16000, 32000, 60000, 60000, 60000]);
  t.equal(retryDelayMs(1, { firstMs: 100, maxMs: 250 }), 100);
  t.equal(retryDelayMs(3, { firstMs: 100, maxMs: 250 }), 250, 'capped');
  t.same(STEP_RETRY, { firstMs: 2000, maxMs: 60000 });

  const book = new FailedSteps();
  const cam: Step = { kind: 'device', id: 'camera', action: 'start' };
  t.ok(book.due(cam, 0), 'a step that never failed is due');
  t.equal(book.failed(cam, new DisconnectedError('camera: gone'), 1000), 2000);
  t.notOk(book.due(cam, 2999), 'not before its wait is over');
  t.ok(book.due(cam, 3000));
  t.equal(book.failed(cam, new Error('still gone'), 3000), 4000, 'the wait doubles');
  t.same(book.list(), [{ step: 'camera: start', code: 'internal', message: 'still gone', since: 1000 }], 'reported with the latest reason, since the first failure');
  t.equal(book.nextAt(), 7000);
  book.keep([{ kind: 'media', action: 'start' }]);
  t.same(book.list(), [], 'a part with no step left is no longer reported');
  t.equal(book.nextAt(), null);
});

/** A hall of plain fields whose camera start fails while `cameraBroken`. */
function hallOf(config: Config) {
  const hall = {
    running: bareHall(config),
    cameraBroken: true,
    runs: [] as string[],
    acked: true as boolean | 'never',
    movedTo: null as string[] | null,
    events: [] as string[],
  };
  const parts = {
    running: () => hall.running,
    run: async (step: Exclude<Step, { kind: 'broker' }>, target: Config) => {
      hall.runs.push(step.kind === 'device' ? `${step.id}:${step.action}` : step.kind);
      if (step.kind === 'device') {
        const cfg = target.devices[step.id];
        delete hall.running.devices[step.id];
        if (!cfg || step.action === 'stop') return;
        hall.running.devices[step.id] = { config: cfg, started: false };
        if (step.id === 'camera' && hall.cameraBroken) throw new DisconnectedError('camera: simulated camera did not start');
        hall.running.devices[step.id] = { config: cfg, started: true };
      } else if (step.kind === 'hall') hall.running.hall = target.hall;
      else if (step.kind === 'telemetry') hall.running.telemetry = target.telemetry;
    },
    publishState: () => {
      hall.events.push('publish state');
      return hall.acked === 'never' ? new Promise<boolean>(() => {}) : Promise.resolve(hall.acked);
    },
    moveTo: (mqtt: Config['mqtt']) => {
      hall.events.push('move');
      hall.movedTo = mqtt.brokers;
      hall.running.mqtt = mqtt;
    },
  };
  return { hall, parts };
}

/** Lets the reconciler's promise chain run after the clock stepped. */
const settle = async () => {
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
};

t.test('reconciler: partial while a step fails, retried with backoff, applied when it takes', async (t) => {
  const clock = new FakeClock();
  const config = mergeDesired(base, parseDesired({ version: 2, devices: { camera: base.devices.camera } }, 'test'));
  const { hall, parts } = hallOf(config);
  const reports: ConfigReport[] = [];
  const r = new Reconciler(parts, config, { log: silentLogger, report: (x) => reports.push(x), clock });
  t.teardown(() => r.stop());

  await r.setTarget(config);
  t.same(hall.runs, ['camera:start'], 'one try; the failed step is not run again in the same pass');
  t.match(reports.at(-1), { version: 2, status: 'partial', failed: [{ step: 'camera: start', code: 'disconnected', message: /did not start/ }] });

  clock.advance(1999);
  await settle();
  t.equal(hall.runs.length, 1, 'no retry before 2 s');
  clock.advance(1);
  await settle();
  t.same(hall.runs, ['camera:start', 'camera:start'], 'retried at 2 s');
  t.equal(reports.at(-1)?.status, 'partial');
  clock.advance(3999);
  await settle();
  t.equal(hall.runs.length, 2, 'the next wait is 4 s');

  // The same version again meanwhile: re-planned against what runs, still partial, the wait kept.
  await r.replan();
  t.equal(hall.runs.length, 2, 'a repeat does not retry early');
  t.equal(reports.at(-1)?.status, 'partial', 'and does not say applied');

  hall.cameraBroken = false;
  clock.advance(1);
  await settle();
  t.same(hall.runs, ['camera:start', 'camera:start', 'camera:start']);
  t.same(reports.at(-1), { version: 2, status: 'applied' }, 'applied once the retry took');
  clock.advance(600_000);
  await settle();
  t.equal(hall.runs.length, 3, 'nothing left: no more passes');
  t.equal(clock.pending, 0, 'no timer left');
});

t.test('reconciler: a refusal changes nothing and says so, keeping the failed steps in view', async (t) => {
  const clock = new FakeClock();
  const config = mergeDesired(base, parseDesired({ version: 5, devices: { camera: base.devices.camera } }, 'test'));
  const { hall, parts } = hallOf(config);
  const reports: ConfigReport[] = [];
  const r = new Reconciler(parts, config, { log: silentLogger, report: (x) => reports.push(x), clock });
  t.teardown(() => r.stop());
  await r.setTarget(config);
  await r.refuse({ version: 4, code: 'config_invalid', message: 'version: 4 is older than the applied 5' });
  t.match(reports.at(-1), { version: 5, status: 'refused', refused: { version: 4 }, failed: [{ step: 'camera: start' }] });
  t.equal(hall.runs.length, 1, 'nothing ran for the refusal');
});

t.test('reconciler: a broker move publishes the state, waits for its acknowledgement (bounded), then moves', async (t) => {
  const clock = new FakeClock();
  const config = mergeDesired(base, parseDesired({ version: 2, devices: {} }, 'test'));
  const { hall, parts } = hallOf(config);
  const reports: ConfigReport[] = [];
  const report = (x: ConfigReport) => (reports.push(x), hall.events.push(`report v${x.version} ${x.status}`));
  const r = new Reconciler(parts, config, { log: silentLogger, report, clock, ackWaitMs: 10_000 });
  t.teardown(() => r.stop());
  await r.setTarget(config);

  const moved = mergeDesired(config, parseDesired({ version: 3, mqtt: { ...config.mqtt, brokers: ['mqtt://new:1883'] } }, 'test'));
  hall.events.length = 0;
  await r.setTarget(moved);
  t.same(hall.events, ['report v3 applied', 'publish state', 'move'], 'the state reporting v3 goes out first, the move after its acknowledgement');
  t.same(hall.movedTo, ['mqtt://new:1883']);

  // An old broker that never acknowledges holds the box no longer than the bound.
  hall.acked = 'never';
  hall.events.length = 0;
  const again = mergeDesired(moved, parseDesired({ version: 4, mqtt: { ...config.mqtt, brokers: ['mqtt://third:1883'] } }, 'test'));
  const done = r.setTarget(again);
  await settle();
  t.same(hall.events, ['report v4 applied', 'publish state'], 'waiting for the acknowledgement');
  clock.advance(9999);
  await settle();
  t.same(hall.events, ['report v4 applied', 'publish state'], 'still waiting at 9.999 s');
  clock.advance(1);
  await done;
  t.same(hall.events, ['report v4 applied', 'publish state', 'move'], 'moved at the bound');
  t.same(hall.movedTo, ['mqtt://third:1883']);
});
