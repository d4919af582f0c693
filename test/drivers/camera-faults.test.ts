// The VISCA driver against a misbehaving simulated camera, over a real socat pty (and UDP where it differs):
// garbage, truncated replies, silence, late replies and error replies each give a clear error, then the driver
// recovers by itself; a stop goes out past a command that got no answer; both sockets busy; unplug and replug.
import t from 'tap';
import { openRig } from '../../lab/visca-rig.js';
import { DeviceRefusedError, DeviceTimeoutError, DisconnectedError } from '../../core/errors.js';
import { waitFor } from '../../lab/wait.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const failure = (p: Promise<unknown>) =>
  p.then(
    () => null,
    (e: unknown) => e as Error,
  );

// Every subtest opens a rig of its own (socat pty or UDP port, simulated camera): three at a time, the load of
// idle drivers waiting on timeouts, leaves the timing edges below (100 ms late vs a 500 ms answer time) intact.
t.jobs = 3;

for (const transport of ['serial', 'udp'] as const) {
  t.test(`bad byte streams over ${transport}: clear error, then recovery`, async (t) => {
    const rig = await openRig(transport);
    t.teardown(() => rig.close());
    const { camera, host } = rig;
    const sim = host.sim;
    await camera.start();
    await waitFor('camera health ok', () => camera.health(), { until: (h) => h.status === 'ok' });

    // Silence: the error names the command and its bytes; health says not answering; recovery when it speaks.
    sim.faults.silent = true;
    const silent = await failure(camera.home());
    t.ok(silent instanceof DeviceTimeoutError, 'silence: DeviceTimeoutError');
    t.match(silent!.message, /no answer to pan-tilt home \(81 01 06 04 ff\) within 500 ms/);
    await waitFor('not answering', () => camera.health(), { until: (h) => h.status === 'not answering' });
    t.equal(camera.health().code, 'device_timeout');
    sim.resetFaults();
    await waitFor('ok again after silence', () => camera.health(), { until: (h) => h.status === 'ok' });
    await camera.home();
    t.pass('a command works after silence');

    // Garbage only: no valid reply at all; health says error with code protocol.
    sim.faults.garbage = 'only';
    t.ok((await failure(camera.focus('manual'))) instanceof DeviceTimeoutError, 'garbage only: timeout');
    await waitFor('protocol error', () => camera.health(), { until: (h) => h.code === 'protocol' });
    t.equal(camera.health().status, 'error');
    t.match(camera.health().message!, /answers are not VISCA \(\d+ bytes dropped\)/);
    sim.resetFaults();
    await waitFor('ok after garbage', () => camera.health(), { until: (h) => h.status === 'ok' });
    await camera.focus('manual');
    t.equal((await camera.inquire('focus-mode')).mode, 'manual', 'command works after garbage');

    // Truncated replies (FF lost): nothing valid arrives; then whole replies are understood again.
    sim.faults.truncate = true;
    t.ok((await failure(camera.focus('auto'))) instanceof DeviceTimeoutError, 'truncated: timeout');
    sim.resetFaults();
    await waitFor('ok after truncation', () => camera.health(), { until: (h) => h.status === 'ok' });
    await camera.focus('auto');
    t.equal((await camera.inquire('focus-mode')).mode, 'auto', 'command works after truncated replies');

    // Late replies: within the answer time they are fine; past it, a timeout, and the late bytes are not taken
    // as the answer to the next request. Over IP the next command goes at once: the late ACK and Completion of the
    // given-up one arrive while it runs, and their sequence number tells them apart. Serial replies carry nothing
    // of the sort, so there the next command waits until the late ones are in.
    sim.faults.lateMs = 100;
    await camera.zoomTo(0x1000);
    t.pass('replies 100 ms late are still answers');
    sim.faults.lateMs = 1000;
    t.ok((await failure(camera.zoomTo(0x1800))) instanceof DeviceTimeoutError, 'replies 1000 ms late: timeout');
    sim.resetFaults();
    if (transport === 'serial') await sleep(1100);
    await camera.zoomTo(0x0800);
    t.equal((await camera.inquire('zoom-position')).position, 0x0800, 'next command gets its own answer');
    if (transport === 'udp') {
      await waitFor('two late replies dropped', () => camera.staleReplies, { until: (n) => n >= 2 });
      t.pass(`${camera.staleReplies} late replies dropped by sequence number`);
    }
    await waitFor('ok after late replies', () => camera.health(), { until: (h) => h.status === 'ok' });

    // Error replies: the device's code travels in the error.
    sim.faults.errorCode = 0x41;
    const refused = await failure(camera.presetRecall(2));
    t.ok(refused instanceof DeviceRefusedError);
    t.equal((refused as DeviceRefusedError).deviceCode, 'visca:41');
    t.equal((refused as DeviceRefusedError).code, 'device_refused');
    sim.resetFaults();
    await camera.presetRecall(2);
    t.equal(camera.report().activePreset, 2, 'works once the camera accepts again');

    // Out-of-range arguments never reach the wire.
    let commands = 0;
    const count = () => commands++;
    sim.on('command', count);
    await t.rejects(camera.moveTo(0, 0, 0), { name: 'BadRequestError', message: /pan-tilt absolute 0,0: VISCA pan-tilt speed 0 is outside 1..24/ });
    await sleep(100);
    sim.off('command', count);
    t.equal(commands, 0, 'nothing was sent');

    if (transport === 'serial') {
      sim.faults.garbage = 'prefix';
      await camera.moveTo(10, 10, 0x18);
      t.pass('garbage before every reply: the framer resynchronises and commands complete');
      t.ok(camera.droppedBytes > 0, `dropped ${camera.droppedBytes} garbage bytes`);
      sim.resetFaults();
    }
  });
}

t.test('stop goes out past a command that got no answer', async (t) => {
  const ANSWER_MS = 5000;
  const rig = await openRig('serial', { answerMs: ANSWER_MS, stopWaitMs: 150 });
  t.teardown(() => rig.close());
  const { camera } = rig;
  const sim = rig.host.sim;
  await camera.start();
  await waitFor('camera health ok', () => camera.health(), { until: (h) => h.status === 'ok' });
  sim.faults.dropReplies = 1; // the camera carries out the drive, its ACK is lost
  const moving = failure(camera.move('right', 0x18));
  await waitFor('sim moving', () => sim.model.moving(performance.now()));
  const t0 = performance.now();
  await camera.stopMotion();
  const took = performance.now() - t0;
  // A stop that waited for the lost ACK would take the whole answer time: anything less shows it went out past it.
  t.ok(took < ANSWER_MS, `stop completed in ${Math.round(took)} ms, before the ${ANSWER_MS} ms answer timeout`);
  t.equal(sim.model.moving(performance.now()), false, 'the simulated head stands still');
  const err = await moving;
  t.ok(err instanceof DeviceTimeoutError, 'the unanswered drive is given up');
  t.match(err!.message, /no answer to pan-tilt right within \d+ ms; given up so pan-tilt stop could be sent/);
  t.equal(camera.report().moving, false);
});

t.test('a stall of this process does not make a stop give up a command whose ACK is only unread', async (t) => {
  const rig = await openRig('serial', { stopWaitMs: 150 });
  t.teardown(() => rig.close());
  const { camera } = rig;
  const sim = rig.host.sim;
  await camera.start();
  await waitFor('camera health ok', () => camera.health(), { until: (h) => h.status === 'ok' });
  // The camera has written the move's ACK when it takes the move; the stop is queued behind the move and this process
  // then stalls for longer than stopWaitMs, so the stop's timer fires late with the ACK still unread in the pty.
  let stop: Promise<Error | null> | null = null;
  sim.once('command', () => {
    stop = failure(camera.stopMotion());
    const until = performance.now() + 400;
    while (performance.now() < until);
  });
  const move = failure(camera.moveTo(2000, 0, 1));
  await waitFor('stop queued', () => stop !== null);
  t.equal(await stop, null, 'the stop completed');
  const e = await move;
  // Given up, the move's ACK would have been taken as the stop's, and the camera's "cancelled" for the move's socket
  // would have failed the stop.
  t.ok(e instanceof DeviceRefusedError && e.deviceCode === 'visca:04', `the move was cancelled by the stop, not given up: ${e?.message}`);
  t.equal(sim.model.moving(performance.now()), false, 'the simulated head stands still');
});

t.test('two sockets: a third command waits; a stop frees a socket when the camera says buffer full', async (t) => {
  const rig = await openRig('serial', { moveCompletionMs: 1500 });
  t.teardown(() => rig.close());
  const { camera } = rig;
  const sim = rig.host.sim;
  await camera.start();
  await waitFor('camera health ok', () => camera.health(), { until: (h) => h.status === 'ok' });

  // Two long moves occupy both sockets; the third command is held by the driver until one completes. What the
  // camera accepted and what the driver saw complete go into one list, in the order they happened: the driver
  // resolves a command when its Completion arrives, before the camera (same process, across the pty) can read
  // the next one.
  const order: string[] = [];
  sim.on('command', (c: { op: string }) => order.push(`camera took ${c.op}`));
  const a = camera.moveTo(120, 0, 4).then(() => order.push('move done')); // 120 units at 240 units/s: ~0.5 s
  const b = camera.zoomTo(0x2000).then(() => order.push('zoom done')); // ~1 s
  await waitFor('both sockets busy', () => sim.busySockets(), { until: (s) => s.length === 2 });
  t.same(sim.busySockets(), [1, 2], 'both sockets busy in the camera');
  const c = camera.focus('manual').then(() => order.push('focus done'));
  await Promise.all([a, b, c]);
  t.ok(order.indexOf('camera took focus-mode') > order.indexOf('move done'), `third command reached the camera after the first completed: ${order.join(', ')}`);
  t.ok(order.indexOf('focus done') < order.indexOf('zoom done'), 'and completed before the longer move');

  // Both sockets hang (no Completion ever): a stop meets buffer full, cancels socket 1 and goes through.
  sim.faults.noCompletion = true;
  const z1 = failure(camera.zoomTo(0));
  const z2 = failure(camera.zoomTo(0x100));
  await waitFor('two hung', () => sim.busySockets(), { until: (s) => s.length === 2 });
  // and the driver has read both ACKs: the stop below is then the only request waiting for an answer.
  await waitFor('the driver has read both ACKs', () => camera.busySockets, { until: (n) => n === 2 });
  sim.faults.noCompletion = false;
  await camera.stopMotion();
  t.pass('stop completed although both sockets were busy');
  const e1 = await z1;
  t.ok(e1 instanceof DeviceRefusedError && e1.deviceCode === 'visca:04', 'the command in socket 1 was cancelled for it');
  const e2 = await z2;
  t.ok(e2 instanceof DeviceTimeoutError, 'the other one times out waiting for its Completion');
  t.match(e2!.message, /no Completion for zoom to 256 on socket 2 within 1500 ms/);
  await waitFor('sockets free', () => sim.busySockets(), { until: (s) => s.length === 0 });
  await camera.home();
  t.pass('commands run again afterwards');
});

t.test('unplug (kill socat) -> missing -> ok when the pty returns, without restarting the driver', async (t) => {
  const rig = await openRig('serial');
  t.teardown(() => rig.close());
  const { camera, host } = rig;
  await camera.start();
  await waitFor('camera health ok', () => camera.health(), { until: (h) => h.status === 'ok' });
  await camera.moveTo(500, 200, 0x18);
  await host.unplug();
  await waitFor('missing', () => camera.health(), { until: (h) => h.status === 'missing' });
  t.equal(camera.health().code, 'disconnected');
  t.match(camera.health().message!, /camera port .*diemcau-camera-[^/]*\/driver: (disconnected|cannot open)/);
  const err = await failure(camera.home());
  t.ok(err instanceof DisconnectedError, 'commands fail at once while missing');
  await sleep(600); // a few reopen attempts fail meanwhile
  t.equal(camera.health().status, 'missing');
  const t0 = performance.now();
  await host.plug();
  await waitFor('ok after replug', () => camera.health(), { until: (h) => h.status === 'ok' });
  t.pass(`recovered ${Math.round(performance.now() - t0)} ms after the pty came back`);
  const p = await camera.inquire('pan-tilt-position');
  t.same([p.pan, p.tilt], [500, 200], 'the same head, where it was');
  await camera.home();
});

t.test('udp: the camera going away shows as not answering, then ok', async (t) => {
  const rig = await openRig('udp');
  t.teardown(() => rig.close());
  const { camera, host } = rig;
  await camera.start();
  await waitFor('camera health ok', () => camera.health(), { until: (h) => h.status === 'ok' });
  await host.unplug();
  await waitFor('not answering', () => camera.health(), { until: (h) => h.status === 'not answering' });
  await host.plug();
  await waitFor('ok again', () => camera.health(), { until: (h) => h.status === 'ok' });
  await camera.home();
  t.pass('commands work after the camera came back');
});

t.test('network change (z0 38 FF) makes the driver set addresses again', async (t) => {
  // No poll during the test (it would set addresses too): only the network change can.
  const rig = await openRig('serial', { pollMs: 60_000 });
  t.teardown(() => rig.close());
  const { camera } = rig;
  const sim = rig.host.sim;
  await camera.start();
  await waitFor('camera health ok', () => camera.health(), { until: (h) => h.status === 'ok' });
  const before = sim.addressSets;
  sim.networkChange();
  await waitFor('a new address set', () => sim.addressSets, { until: (n) => n > before });
  t.pass('address set sent again without waiting for a poll');
  await camera.home();
});
