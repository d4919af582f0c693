// Hostile JSON in the box's config file and in command arguments (issue 10, items 4, 5 and 7), in process and
// through the real `diemcau config check`: keys named after Object.prototype members, `__proto__` that must not
// pollute anything, documents nested thousands deep, and numbers a double cannot hold exactly.
import t from 'tap';
import { spawn } from 'node:child_process';
import { mkdtemp, writeFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfigFile, parseDesired, mergeDesired, parseConfig } from '../../agent/config/load.js';
import { exampleConfig } from '../../agent/config/example.js';
import { Type } from '../../core/schema/type.js';
import { withDefaults, errors } from '../../core/schema/value.js';
import { CommandRouter } from '../../agent/command-router.js';
import { command } from '../../core/commands/define.js';
import { silentLogger } from '../../core/log.js';
import { ConfigError } from '../../core/errors.js';
import { AGENT_NODE_FLAGS } from '../../agent/node-flags.js';
import { CLI } from '../../lab/agent-process.js';

/** Every member of Object.prototype: the five the probe tried and the rest of the same family. */
export const PROTO_NAMES = Object.getOwnPropertyNames(Object.prototype);

const dir = await mkdtemp(join(tmpdir(), 'diemcau-hostile-'));
t.teardown(() => rm(dir, { recursive: true, force: true }));
let n = 0;
async function file(text: string): Promise<string> {
  const p = join(dir, `config-${n++}.json`);
  await writeFile(p, text);
  return p;
}
async function loadErrors(text: string): Promise<string[] | string> {
  try {
    await loadConfigFile(await file(text));
    return 'accepted';
  } catch (err) {
    return err instanceof ConfigError ? err.errors : `not a ConfigError: ${(err as Error).message}`;
  }
}
function configCheck(path: string): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((res) => {
    const p = spawn(process.execPath, [...AGENT_NODE_FLAGS, CLI, 'config', 'check', path], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (err += d));
    p.on('exit', (code) => res({ code, out, err }));
  });
}
const deep = (depth: number, leaf = '1') => '['.repeat(depth) + leaf + ']'.repeat(depth);

t.test('Object.prototype names are unknown fields in the config file, at every level', async (t) => {
  t.ok(PROTO_NAMES.length >= 5 && ['constructor', 'toString', 'valueOf', 'hasOwnProperty', '__proto__'].every((k) => PROTO_NAMES.includes(k)));
  for (const name of PROTO_NAMES) {
    const k = JSON.stringify(name); // JSON text: `__proto__` is then an own key, as a payload from the wire makes it
    // relays is a record (names by pattern): a name the pattern takes is a relay like any other, and its value is
    // checked; one it does not take is an unknown field.
    const relayName = /^[a-z][a-z0-9-]*$/.test(name);
    const text = `{"box":{"id":"vn-1"},${k}:1,"hall":{"name":"H",${k}:{}},"mqtt":{"reconnect":{${k}:"x"}},"devices":{"panel":{"relays":{"display":4,${k}:"x"}}}}`;
    const errs = await loadErrors(text);
    t.same(
      errs,
      [
        `${name}: unknown field`,
        `hall.${name}: unknown field`,
        `mqtt.reconnect.${name}: unknown field`,
        relayName ? `devices.panel.relays.${name}: must be a whole number (got "x")` : `devices.panel.relays.${name}: unknown field`,
      ],
      `${name}: refused at the root, in a section, nested, and in a record`,
    );
  }
});

t.test('`diemcau config check` refuses them too, as the agent does', async (t) => {
  const names = ['constructor', 'toString', 'valueOf', 'hasOwnProperty', '__proto__'];
  const body = names.map((k) => `"${k}":{}`).join(',');
  const r = await configCheck(await file(`{"box":{"id":"vn-1"},${body}}`));
  t.equal(r.code, 1, `exit 1 (stdout: ${r.out.trim()})`);
  for (const k of names) t.match(r.err, `  ${k}: unknown field`, `${k} named`);
});

t.test('__proto__ in JSON pollutes nothing when defaults are filled or a desired config is merged', async (t) => {
  const S = Type.Record(Type.String(), Type.Object({ a: Type.Number({ default: 1 }) }));
  const v = JSON.parse('{"__proto__":{"polluted":true},"ok":{}}');
  const out = withDefaults(S, v) as Record<string, unknown>;
  t.equal(Object.getPrototypeOf(out), Object.prototype, 'the result keeps its own prototype');
  t.same(Object.keys(out), ['__proto__', 'ok'], '__proto__ stays an ordinary own key');
  t.same(Object.getOwnPropertyDescriptor(out, '__proto__')?.value, { polluted: true, a: 1 }, 'and got its defaults as data');
  t.equal((out as { polluted?: unknown }).polluted, undefined, 'nothing inherited from it');
  t.equal(({} as { polluted?: unknown }).polluted, undefined, 'Object.prototype untouched');
  t.same(errors(S, out), [], 'a record that allows every key takes it as a key');
  // The same through the real config: refused, and the current config is not changed by trying.
  const current = exampleConfig();
  const desired = JSON.parse('{"version":2,"hall":{"name":"X","__proto__":{"groups":["evil"]}},"__proto__":{"configVersion":99}}');
  t.throws(() => parseDesired(desired, 'd'), /hall\.__proto__: unknown field; __proto__: unknown field/);
  const before = JSON.stringify(current);
  t.throws(() => mergeDesired(current, { ...parseDesired({ version: 2 }, 'd'), hall: desired.hall }), /hall\.__proto__: unknown field/);
  t.equal(JSON.stringify(current), before, 'merge left the running config as it was');
  t.equal(({} as { configVersion?: unknown; groups?: unknown }).configVersion, undefined);
  t.equal(({} as { groups?: unknown }).groups, undefined);
});

t.test('config file: depth is bounded and named, before any recursive walk', async (t) => {
  t.same(await loadErrors(`{"box":{"id":"vn-1"},"hall":${deep(10000)}}`), ['(root): nested 10001 levels deep (at most 64)']);
  t.same(await loadErrors(`{"box":{"id":"vn-1"},"hall":{"name":"H","groups":${deep(63, '"a"')}}}`), ['(root): nested 65 levels deep (at most 64)']);
  const errs = await loadErrors(`{"box":{"id":"vn-1"},"hall":{"name":"H","groups":${deep(62, '"a"')}}}`);
  t.ok(Array.isArray(errs) && !String(errs).includes('nested'), `64 levels are read (then checked: ${errs})`);
  t.equal(await loadErrors(JSON.stringify(exampleConfig())), 'accepted', 'a full real config is far inside the bound');
});

t.test('the validator itself answers for a deep value it is handed (a claim request parsed with JSON.parse)', async (t) => {
  const S = Type.Object({ serial: Type.String() }, { additionalProperties: false });
  const value = JSON.parse(`{"serial":${deep(10000)}}`);
  t.same(errors(S, value), ['serial: must be a string (got a value nested too deep to show)']);
});

t.test('config file: versions are safe integers, and a number is read exactly as written', async (t) => {
  const cfg = (v: string) => `{"box":{"id":"vn-1"},"configVersion":${v}}`;
  t.same(await loadErrors(cfg('9007199254740993')), ['configVersion: 9007199254740993 is not exactly representable as a number (it would be read as 9007199254740992)']);
  t.same(await loadErrors(cfg('1e308')), ['configVersion: 1e308 is not exactly representable as a number (it would be read as 1e+308)']);
  t.same(await loadErrors(cfg('1e400')), ['configVersion: 1e400 is beyond the largest number']);
  t.same(await loadErrors(cfg('1000000000000000')), ['configVersion: must be ≤ 999999999999999 (got 1000000000000000)']);
  t.same(await loadErrors(cfg('999999999999999.00001')), ['configVersion: 999999999999999.00001 is not exactly representable as a number (it would be read as 999999999999999)']);
  t.equal(await loadErrors(cfg('999999999999999')), 'accepted', 'the documented maximum itself');
  t.equal(await loadErrors(cfg('12e2')), 'accepted', 'an exponent that is exact');
  t.equal((await loadConfigFile(await file(cfg('1.2e3')))).configVersion, 1200);
  // Fractions are read as the nearest double (as JSON intends): 0.1 is fine; so are digits inside strings.
  const ok = `{"box":{"id":"vn-1"},"telemetry":{"intervalS":0.1e2},"hall":{"name":"9007199254740993 \\" [[[["}}`;
  t.equal(await loadErrors(ok), 'accepted');
  t.same(
    await loadErrors(`{"box":{"id":"vn-1"},"mqtt":{"brokers":["mqtt://a:1"],"keepaliveS":18014398509481985}}`),
    ['mqtt.keepaliveS: 18014398509481985 is not exactly representable as a number (it would be read as 18014398509481984)'],
    'the path is named as the validator names it',
  );
  t.throws(() => parseDesired({ version: 1e308 }, 'd'), /version: must be ≤ 999999999999999 \(got 1e\+308\)/);
  t.throws(() => parseDesired({ version: 2 ** 53 }, 'd'), /version: must be ≤ 999999999999999/);
  t.throws(() => parseConfig({ box: { id: 'vn-1' }, configVersion: 2 ** 53 + 2 }, 'c'), /configVersion: must be ≤ 999999999999999/);
  t.equal(parseDesired({ version: 999999999999999 }, 'd').version, 999999999999999);
});

t.test('command arguments: prototype names, depth and inexact numbers are bad_request', async (t) => {
  const router = new CommandRouter('vn-1', (name) => `diemcau/v1/vn-1/reply/${name}`, silentLogger);
  router.register(command({ name: 'echo', summary: 'echo', schema: Type.Object({ n: Type.Optional(Type.Integer()) }, { additionalProperties: false }) }, 1000, async (a) => a));
  const send = async (payload: string) => {
    const r = await router.handle('diemcau/v1/vn-1/cmd/echo', Buffer.from(payload), { properties: { messageExpiryInterval: 30 } });
    return JSON.parse(r!.payload);
  };
  for (const name of PROTO_NAMES) {
    const r = await send(`{${JSON.stringify(name)}:1}`);
    t.match(r, { ok: false, error: { code: 'bad_request', message: `bad arguments: ${name}: unknown field` } }, name);
  }
  t.match(await send(deep(10000)), { ok: false, error: { code: 'bad_request', message: /payload is nested 10000 levels deep \(at most 64\)/ } });
  t.match(await send(`{"n":${deep(10000)}}`), { ok: false, error: { code: 'bad_request', message: /payload is nested 10001 levels deep/ } });
  t.match(await send('{"n":9007199254740993}'), {
    ok: false,
    error: { code: 'bad_request', message: /payload holds 9007199254740993 at n, which is not exactly representable as a number/ },
  });
  t.match(await send('{"n":42}'), { ok: true, result: { n: 42 } }, 'ordinary arguments still run');
});
