// The controller's commands: argument schemas that refuse bad input with the field named, a selftest refused
// outside a meeting, and a join to a room the real Janus does not have, which reports the bridge's refusal
// without taking the agent down.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { errors } from '../../core/schema/value.js';
import { createMediaPath, type MediaController } from '../../agent/media/controller.js';
import { startJanusLab, type JanusLab } from '../../lab/janus.js';
import { mediaConfig, memoryLogger } from '../../lab/media/fixture.js';
import { waitFor } from '../../lab/wait.js';

let lab: JanusLab | undefined;
let media: MediaController | undefined;
t.teardown(async () => {
  await media?.stop();
  await lab?.close();
});

t.test('command schemas', async (t) => {
  const m = createMediaPath(mediaConfig(), memoryLogger('m').log);
  const cmd = Object.fromEntries(m.commands().map((c) => [c.name, c]));
  t.same(Object.keys(cmd).sort(), ['audio-only', 'camera.snapshot', 'echo-calibrate', 'join', 'leave', 'mute', 'quality', 'selftest', 'unmute']);
  t.same(errors(cmd.join.schema, { bridge: 'http://x', room: 1, private: true }), [], 'a meeting may be marked private');
  t.match(errors(cmd['camera.snapshot'].schema, { size: 'big' }).join(), /size/);
  t.same(errors(cmd['echo-calibrate'].schema, {}), []);
  t.match(errors(cmd['echo-calibrate'].schema, { delay: 3 }).join(), /delay/);
  t.same(errors(cmd.join.schema, { bridge: 'http://10.0.0.1:8088/janus', room: 1234, token: 't', display: 'Xã An' }), []);
  t.match(errors(cmd.join.schema, { bridge: 'ftp://x', room: 1234 }).join(), /bridge/);
  t.match(errors(cmd.join.schema, { bridge: 'http://x', room: 0 }).join(), /room/);
  t.match(errors(cmd.join.schema, { bridge: 'http://x', room: 1, colour: 'red' }).join(), /colour/);
  t.same(errors(cmd.join.schema, { room: 1 }), [], "bridge may be left out: the hall's media.bridge (refused by the controller when unset: bridge-move.test.ts)");
  t.match(errors(cmd.quality.schema, { max: '1080p' }).join(), /max/);
  t.same(errors(cmd.quality.schema, { max: '540p' }), []);
  t.match(errors(cmd['audio-only'].schema, { on: 'yes' }).join(), /on/);
  t.match(errors(cmd.selftest.schema, { seconds: 99 }).join(), /seconds/);
  t.same(errors(cmd.mute.schema, {}), []);
});

t.test('selftest outside a meeting is refused; a room Janus lacks is reported, the worker stays up', async (t) => {
  lab = await startJanusLab();
  media = createMediaPath(mediaConfig({ width: 640, height: 360, receiveProgramme: false }), memoryLogger('m').log, { spawnPrefix: lab.hall.prefix });
  await media.start();
  const selftest = media.commands().find((c) => c.name === 'selftest')!;
  await t.rejects(async () => selftest.run({}), { code: 'bad_request', message: /not in a meeting/ });
  const calibrate = media.commands().find((c) => c.name === 'echo-calibrate')!;
  await t.rejects(async () => calibrate.run({}), { code: 'bad_request', message: /needs the hall's loudspeaker and mic \(media\.simulate is on\)/ });

  // The worker runs with --expose-gc, so that it keeps its own heap from creeping (heap-collect.ts).
  const cmdline = readFileSync(`/proc/${media.workerPid()}/cmdline`, 'utf8').split('\0');
  t.ok(cmdline.includes('--expose-gc'), `worker started as: ${cmdline.filter(Boolean).slice(-2).join(' ')}`);

  const r = await media.join({ bridge: lab.hallUrl, room: 999999, display: 'hall' });
  t.not(r.status, 'joined', `not joined (${r.status})`);
  t.match(r.error?.message ?? '', /No such room|999999/, `the error names the room: ${r.error?.message}`);
  const pid = media.workerPid();
  await media.leave();
  t.equal(media.workerPid(), pid, 'same worker after the failed join');
  t.equal(media.restarts, 0, 'no crash');

  const ok = await media.join({ bridge: lab.hallUrl, room: 1234, display: 'hall' });
  t.equal(ok.status, 'joined', 'a good join afterwards works');
  await waitFor('heard', () => media!.report(), { until: (r) => r.heard, timeoutMs: 20_000 });
  t.pass('and is heard');
  await waitFor('heap numbers in the report', () => media!.extra(), { until: (x) => Boolean(x.heap) });
  t.pass('the report carries the heap collector\'s numbers');
});
