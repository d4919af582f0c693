// The display device end to end in simulate mode: a real socat pty (or TCP listener) with the simulator on one
// end and the real driver on the other, health through an unplug and back, commands answered with what the
// simulated set really did, and the meeting hooks.
import t from 'tap';
import { Value } from '../../core/schema/value.js';
import { DisplayConfig } from '../../core/config/display.js';
import { createDisplayDevice, simulatedDisplay } from '../../agent/devices/display.js';
import { silentLogger } from '../../core/log.js';
import type { DisplayDevice } from '../../agent/devices/device.js';
import type { HealthStatus } from '../../core/health.js';
import type { CommandSpec } from '../../core/commands/define.js';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

function cfg(over: Partial<DisplayConfig>): DisplayConfig {
  return Value.Default(DisplayConfig, { simulate: true, pollS: 0.3, replyTimeoutMs: 300, ...over }) as DisplayConfig;
}

function waitHealth(dev: DisplayDevice, want: HealthStatus, timeoutMs: number): Promise<number> {
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    const check = () => {
      if (dev.health().status === want) {
        clearTimeout(timer);
        dev.off('change', check);
        resolve(Date.now() - t0);
      }
    };
    const timer = setTimeout(() => {
      dev.off('change', check);
      reject(new Error(`display health stayed ${dev.health().status} (${dev.health().message}), wanted ${want} within ${timeoutMs} ms`));
    }, timeoutMs);
    dev.on('change', check);
    check();
  });
}

function cmd(dev: DisplayDevice, name: string): CommandSpec {
  const c = dev.commands().find((c) => c.name === name);
  if (!c) throw new Error(`no command ${name}`);
  return c;
}

for (const [protocol, transport] of [
  ['samsung-mdc', 'serial'],
  ['lg', 'serial'],
  ['samsung-mdc', 'tcp'],
] as const) {
  t.test(`${protocol} over simulated ${transport}`, async (t) => {
    const dev = createDisplayDevice(cfg({ protocol, transport }), silentLogger);
    t.teardown(() => dev.stop());
    t.equal(dev.id, 'display');
    await dev.start();
    await waitHealth(dev, 'ok', 10_000);
    t.pass('health ok after start');

    t.same(
      dev.commands().map((c) => c.name),
      ['display.power', 'display.input', 'display.volume', 'display.mute', 'display.sim-unplug'],
    );
    t.match(await cmd(dev, 'display.power').run({ on: true }), { power: 'on' }, 'power on answers with the read-back state');
    t.match(await cmd(dev, 'display.input').run({ input: 'hdmi2' }), { input: 'hdmi2' });
    t.match(await cmd(dev, 'display.volume').run({ level: 42 }), { volume: 42 });
    t.match(await cmd(dev, 'display.mute').run({ on: true }), { mute: true });
    t.same(dev.report(), { power: 'on', input: 'hdmi2', volume: 42, mute: true }, 'report() holds power, input, volume, mute');
    await t.rejects(cmd(dev, 'display.input').run({ input: 'scart7' }), { code: 'bad_request' }, 'unknown input: bad_request');
    t.equal(dev.health().status, 'ok', 'a bad request says nothing about the display');

    await dev.meetingEnded();
    t.equal(dev.report().power, 'off', 'meetingEnded switches off (offOnLeave)');
    await cmd(dev, 'display.input').run({ input: 'hdmi3' }).catch(() => {});
    await dev.meetingStarted();
    t.match(dev.report(), { power: 'on', input: 'hdmi1' }, 'meetingStarted switches on and to cfg.input');

    t.match(await cmd(dev, 'display.sim-unplug').run({ seconds: 1.5 }), { backInS: 1.5 });
    await waitHealth(dev, 'missing', 10_000);
    t.match(dev.health(), { status: 'missing', code: 'disconnected' }, 'unplugged: missing');
    t.match(dev.health().message, /display port/, 'the message names the port');
    await t.rejects(cmd(dev, 'display.power').run({ on: true }), { code: 'disconnected' }, 'commands fail fast while missing');
    const back = await waitHealth(dev, 'ok', 10000);
    t.pass(`back to ok without a restart (${back} ms after missing)`);
    t.match(await cmd(dev, 'display.volume').run({ level: 7 }), { volume: 7 }, 'commands work again');
  });
}

t.test('a display that stops answering is "not answering", then ok again', async (t) => {
  const dev = createDisplayDevice(cfg({ protocol: 'samsung-mdc' }), silentLogger);
  t.teardown(() => dev.stop());
  await dev.start();
  await waitHealth(dev, 'ok', 10_000);
  const sim = simulatedDisplay(dev)!;
  sim.faults.silent = true;
  await waitHealth(dev, 'not answering', 10_000);
  t.match(dev.health(), { code: 'device_timeout' });
  t.match(dev.health().message, /no reply to status query/);
  sim.faults.silent = false;
  await waitHealth(dev, 'ok', 10_000);
  sim.faults.refuseWith = 0x05;
  await waitHealth(dev, 'error', 10_000);
  t.match(dev.health(), { status: 'error', code: 'mdc:0x05' }, "error carries the display's own code");
  sim.faults.refuseWith = null;
  await waitHealth(dev, 'ok', 10_000);
});

t.test('an acknowledged change stands when the read-back is not answered', async (t) => {
  const dev = createDisplayDevice(cfg({ protocol: 'samsung-mdc' }), silentLogger);
  t.teardown(() => dev.stop());
  await dev.start();
  await waitHealth(dev, 'ok', 10_000);
  const sim = simulatedDisplay(dev)!;
  sim.faults.ignore = [0x00]; // status queries go unanswered, as on a set still booting
  t.match(await cmd(dev, 'display.power').run({ on: true }), { power: 'on' }, 'the ACKed power on is the answer');
  t.match(dev.health(), { status: 'not answering', message: /no reply to status query/ });
  sim.faults.ignore = [];
  await waitHealth(dev, 'ok', 10_000);
});

t.test('a serial port that does not exist is missing, named, and retried until it appears', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'diemcau-display-test-'));
  const path = join(dir, 'ttyUSB1');
  const dev = createDisplayDevice(cfg({ simulate: false, port: path }), silentLogger);
  let socat: ChildProcess | null = null;
  t.teardown(async () => {
    await dev.stop();
    socat?.kill('SIGTERM');
    await rm(dir, { recursive: true, force: true });
  });
  await dev.start();
  t.match(dev.health(), { status: 'missing', code: 'disconnected' });
  t.match(dev.health().message, new RegExp(path));
  t.same(dev.commands().map((c) => c.name), ['display.power', 'display.input', 'display.volume', 'display.mute']);
  // Plug in a port with nothing behind it: the retry takes it, and the silent line reads as not answering.
  socat = spawn('socat', [`pty,raw,echo=0,link=${path}`, 'pty,raw,echo=0'], { stdio: 'ignore' });
  await waitHealth(dev, 'not answering', 8000);
  t.match(dev.health().message, /no reply to status query/, 'retried, opened, and found silent');
});

t.test('cec with no /dev/cec0 is missing naming /dev/cec0 (real cec-ctl)', async (t) => {
  const dev = createDisplayDevice(cfg({ simulate: false, protocol: 'cec', transport: 'cec', port: '/dev/cec0' }), silentLogger);
  t.teardown(() => dev.stop());
  await dev.start();
  t.match(dev.health(), { status: 'missing', code: 'disconnected' });
  t.match(dev.health().message, /\/dev\/cec0/);
  t.match(dev.health().message, /No such file or directory/);
});

t.test('simulate with cec is refused with a clear error', async (t) => {
  const dev = createDisplayDevice(cfg({ protocol: 'cec', transport: 'cec' }), silentLogger);
  t.teardown(() => dev.stop());
  // Not a missing port (that retries by itself): a start that cannot work throws, for the agent to report and retry.
  await t.rejects(dev.start(), /simulate is not available for protocol cec/);
  t.match(dev.health(), { status: 'error', message: /simulate is not available for protocol cec/ });
});
