// The one device lifecycle (core/device-health.ts): health transitions logged once each, repeats rate-limited, the
// return to ok logged with how long the trouble lasted, `since` kept across a new message, errors mapped to health
// one way, and reopening with a doubling wait that starts over after a success. On a stepped clock.
import t from 'tap';
import { DeviceHealth, Reopen } from '../../core/device-health.js';
import { createLogger } from '../../core/log.js';
import { DeviceRefusedError, DeviceTimeoutError, DisconnectedError, BadRequestError, ProtocolError } from '../../core/errors.js';
import { FakeClock } from '../../lab/fake-clock.js';

function rig() {
  const clock = new FakeClock();
  const lines: Array<Record<string, unknown>> = [];
  let changes = 0;
  const log = createLogger({}, 'debug', (l) => lines.push(JSON.parse(l)));
  const h = new DeviceHealth({ name: 'camera /dev/ttyUSB0', log, onChange: () => changes++, clock, repeatLogMs: 60_000 });
  return { clock, lines, h, changes: () => changes };
}

t.test('each change of status is logged once; the same status with a new message is rate-limited', async (t) => {
  const { clock, lines, h, changes } = rig();
  h.set('starting');
  h.set('ok');
  clock.advance(1000);
  t.equal(h.set('not answering', 'device_timeout', 'no answer to power inquiry'), true);
  for (let i = 0; i < 30; i++) {
    clock.advance(1000);
    h.set('not answering', 'device_timeout', `no answer to inquiry ${i}`); // a silent camera, once a second
  }
  t.equal(h.current.since, 1000, 'since is when "not answering" began, not the last message');
  clock.advance(40_000); // 70 s after the first
  h.set('not answering', 'device_timeout', 'no answer to zoom inquiry');
  h.set('ok');
  t.equal(changes(), 35, 'every change of health reaches the device');
  t.same(
    lines.map((l) => [l.level, l.msg, l.repeatsLeftOut ?? null]),
    [
      ['info', 'camera /dev/ttyUSB0: starting', null],
      ['info', 'camera /dev/ttyUSB0: ok', null],
      ['warn', 'camera /dev/ttyUSB0: not answering', null],
      ['warn', 'camera /dev/ttyUSB0: not answering', 30],
      ['info', 'camera /dev/ttyUSB0: ok', null],
    ],
    'one line per change of status; 30 repeats inside a minute are one line, saying how many were left out',
  );
  t.match(lines.at(-1), { after: 'not answering', forS: 70 }, 'the return to ok says what it was and for how long');
});

t.test('an error means one health, the same for every device', async (t) => {
  const { h } = rig();
  const cases: Array<[unknown, string, string | undefined]> = [
    [new DeviceTimeoutError('camera: no answer'), 'not answering', 'device_timeout'],
    [new DeviceRefusedError('camera: refused', 'visca:41'), 'error', 'visca:41'],
    [new DisconnectedError('camera: port closed'), 'missing', 'disconnected'],
    [new ProtocolError('camera: garbage'), 'error', 'protocol'],
    [new Error('boom'), 'error', 'internal'],
  ];
  for (const [err, status, code] of cases) {
    h.fromError(err);
    t.match(h.current, { status, code, message: (err as Error).message }, `${(err as Error).constructor.name} -> ${status}`);
  }
  t.equal(h.fromError(new BadRequestError('camera.move: pan out of range')), false, "a bad request is the caller's fault");
  t.equal(h.current.code, 'internal', 'and leaves the health as it was');
});

t.test('reopen waits 250 ms, then doubles to a 5 s cap, and starts over after a success', async (t) => {
  const clock = new FakeClock();
  const at: number[] = [];
  const r = new Reopen(() => void at.push(clock.now()), clock);
  for (let i = 0; i < 7; i++) {
    r.schedule();
    r.schedule(); // a second failure while one retry waits changes nothing
    clock.advance(10_000);
  }
  const waits = at.map((x, i) => x - i * 10_000);
  t.same(waits, [250, 500, 1000, 2000, 4000, 5000, 5000]);
  r.succeeded();
  r.schedule();
  clock.advance(10_000);
  t.equal(at.at(-1)! - 70_000, 250, 'after a success the first wait is short again');
  r.schedule();
  r.cancel();
  clock.advance(10_000);
  t.equal(at.length, 8, 'a cancelled retry never runs');
});
