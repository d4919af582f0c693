// Command arguments that fit none of a union's forms are refused through the real command router with the field at
// fault and its reason (issue 11), not "(root): matches none of the 2 allowed forms": the closest form is the one
// whose keys the arguments use, or the one a literal field (a discriminator) names.
import t, { type Test } from 'tap';
import { CommandRouter } from '../../agent/command-router.js';
import { command, type CommandDef } from '../../core/commands/define.js';
import { cameraCommands } from '../../core/commands/camera.js';
import { mediaCommands } from '../../core/commands/media.js';
import { silentLogger } from '../../core/log.js';

const router = new CommandRouter('vn-1', (name) => `diemcau/v1/vn-1/reply/${name}`, silentLogger);
// The contract's own definitions (schemas as the agent registers them); the handler answers the arguments it got.
const defs: CommandDef[] = [cameraCommands.move, cameraCommands.zoom, mediaCommands.join];
for (const def of defs) router.register(command(def, 1000, async (args) => args));

async function send(name: string, args: unknown): Promise<any> {
  const r = await router.handle(`diemcau/v1/vn-1/cmd/${name}`, Buffer.from(JSON.stringify(args)), {
    properties: { messageExpiryInterval: 30 },
  });
  return JSON.parse(r!.payload);
}

/** The refusal's `path: reason` lines; fails the test when the command was not refused as bad_request. */
async function refusal(t: Test, name: string, args: unknown): Promise<string[]> {
  const r = await send(name, args);
  t.equal(r.error?.code, 'bad_request', `${name} ${JSON.stringify(args)} is refused: ${JSON.stringify(r)}`);
  t.equal(r.error?.message, `diemcau/v1/vn-1/cmd/${name}: bad arguments: ${(r.error?.details ?? []).join('; ')}`);
  return r.error?.details ?? [];
}

t.test('the two examples of issue 11 name the field and the reason', async (t) => {
  t.same(await refusal(t, 'camera.move', { pan: 99999, tilt: 0 }), ['pan: must be ≤ 32767 (got 99999)']);
  t.same(await refusal(t, 'camera.zoom', { position: 20000 }), ['position: must be ≤ 16384 (got 20000)']);
});

t.test('the closest form is the one whose keys the arguments use', async (t) => {
  t.same(await refusal(t, 'camera.move', { pan: 10, tilt: -40000, speed: 30 }), [
    'tilt: must be ≥ -32768 (got -40000)',
    'speed: must be ≤ 24 (got 30)',
  ]);
  t.same(await refusal(t, 'camera.move', { pan: 10 }), ['tilt: is required']);
  t.same(await refusal(t, 'camera.move', { direction: 'sideways' }), [
    'direction: must be one of "up", "down", "left", "right", "up-left", "up-right", "down-left", "down-right", "stop" (got "sideways")',
  ]);
  t.same(await refusal(t, 'camera.move', { direction: 'up', pan: 5 }), ['pan: unknown field'], 'a tie goes to the form with fewer errors');
  t.same(await refusal(t, 'camera.zoom', { direction: 'tele', speed: 9 }), ['speed: must be ≤ 7 (got 9)']);
  t.same(await refusal(t, 'camera.zoom', { position: 1.5 }), ['position: must be a whole number (got 1.5)']);
});

t.test('a union of plain types names the types allowed, or the reason of the one that fits the value', async (t) => {
  const join = { bridge: 'http://bridge.example/janus' };
  t.same(await refusal(t, 'join', { ...join, room: true }), ['room: must be a whole number or a string (got true)']);
  t.same(await refusal(t, 'join', { ...join, room: 0 }), ['room: must be ≥ 1 (got 0)']);
  t.same(await refusal(t, 'join', { ...join, room: '' }), ['room: must be at least 1 character(s) long']);
});

t.test('arguments that fit a form still run, with what they asked', async (t) => {
  t.match(await send('camera.move', { pan: 1200, tilt: -300 }), { ok: true, result: { pan: 1200, tilt: -300 } });
  t.match(await send('camera.zoom', { position: 16384 }), { ok: true, result: { position: 16384 } });
  t.match(await send('join', { bridge: 'https://b/janus', room: 1234 }), { ok: true, result: { room: 1234 } });
});

t.test('a command whose schema uses a keyword the validator does not know is refused when registered', async (t) => {
  const schema = { type: 'object', properties: { n: { type: 'integer', format: 'int32' } } };
  const spec = { name: 'x', summary: 'x', schema, timeoutMs: 1000, run: async () => null };
  t.throws(() => router.register(spec), /unsupported keyword "format" at #\/properties\/n/);
});
