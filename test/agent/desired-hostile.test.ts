// Hostile desired configs and command arguments through a real Mosquitto and a real `diemcau run` (issue 10, items
// 4, 5 and 7): each is refused with the thing at fault named, the running config and the saved file stay as they
// were, `diemcau config check` still agrees with the box, and the agent keeps answering.
import t from 'tap';
import { readFile } from 'node:fs/promises';
import { spawn } from 'node:child_process';
import { startBroker } from '../../lab/mosquitto.js';
import { Observer } from '../../lab/observer.js';
import { startAgent, writeConfig, CLI } from '../../lab/agent-process.js';
import { scratchDir } from '../../lab/scratch-dir.js';
import { AGENT_NODE_FLAGS } from '../../agent/node-flags.js';

const broker = await startBroker();
t.teardown(() => broker.cleanup());
const obs = await Observer.connect(broker.url);
t.teardown(() => obs.close());

const ID = 'vn-40011';
const desiredTopic = `diemcau/v1/${ID}/config/desired`;
const cmd = (name: string) => `diemcau/v1/${ID}/cmd/${name}`;
const path = await writeConfig(
  { box: { id: ID }, hall: { name: 'Before', groups: [] }, mqtt: { brokers: [broker.url], willDelayS: 2, stateThrottleMs: 50 } },
  await scratchDir(t, 'diemcau-test-'),
);
const agent = startAgent(path);
t.teardown(() => agent.stop());

const PROTO_NAMES = ['constructor', 'toString', 'valueOf', 'hasOwnProperty', '__proto__', 'isPrototypeOf', '__defineGetter__'];
const deep = (depth: number) => '['.repeat(depth) + '1' + ']'.repeat(depth);

/**
 * Publishes a desired config (raw JSON text) and resolves with the box's answer: the first `state.config` after it
 * that differs from the one before (whatever the outcome, so a wrong outcome is shown, not waited out).
 */
let lastConfig = '';
async function pushRaw(text: string, what: string): Promise<any> {
  const since = Date.now();
  await obs.publish(desiredTopic, text, { retain: true });
  const s = await obs.wait((m) => m.topic === `diemcau/v1/${ID}/state` && m.json?.config && JSON.stringify(m.json.config) !== lastConfig, what, 10000, since);
  lastConfig = JSON.stringify(s.json.config);
  return s.json.config;
}

await obs.wait((m) => m.topic === `diemcau/v1/${ID}/presence` && m.json?.state === 'online', 'box online');
lastConfig = JSON.stringify((await obs.wait((m) => m.topic === `diemcau/v1/${ID}/state` && m.json?.config, 'first state')).json.config);

function configCheck(): Promise<{ code: number | null; out: string }> {
  return new Promise((res) => {
    const p = spawn(process.execPath, [...AGENT_NODE_FLAGS, CLI, 'config', 'check', path], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (out += d));
    p.on('exit', (code) => res({ code, out }));
  });
}

async function stateConfig(): Promise<any> {
  const r = await obs.request(cmd('state.get'), {});
  return r.result.config;
}

t.test('v1 is applied (the baseline)', async (t) => {
  const c = await pushRaw('{"version":1,"hall":{"name":"One","groups":[]}}', 'v1 ack');
  t.same(c, { version: 1, status: 'applied' });
});

t.test('Object.prototype names in a desired config are refused; the file and config check agree', async (t) => {
  const before = await readFile(path, 'utf8');
  let v = 10;
  for (const name of PROTO_NAMES) {
    const k = JSON.stringify(name);
    const c = await pushRaw(`{"version":${++v},${k}:{"configVersion":7},"hall":{"name":"Two",${k}:{}}}`, `refusal of ${name}`);
    t.equal(c.status, 'refused', `${name}: refused`);
    t.equal(c.version, 1, `${name}: v1 still in force`);
    t.same(c.refused?.errors, [`${name}: unknown field`, `hall.${name}: unknown field`], `${name}: both places named`);
  }
  t.equal(await readFile(path, 'utf8'), before, 'the saved file was not touched');
  const check = await configCheck();
  t.equal(check.code, 0, check.out);
  t.match(check.out, 'config version 1');
  t.equal(({} as { configVersion?: unknown }).configVersion, undefined);
});

t.test('Object.prototype names in command arguments are bad_request', async (t) => {
  for (const name of PROTO_NAMES) {
    const r = await obs.request(cmd('ping'), null, { raw: `{${JSON.stringify(name)}:1}` });
    t.match(r, { ok: false, error: { code: 'bad_request', message: `bad arguments: ${name}: unknown field` } }, name);
  }
});

t.test('10,000-deep JSON is bad_request naming the depth, on commands and on config/desired', async (t) => {
  const r = await obs.request(cmd('ping'), null, { raw: deep(10000) });
  t.match(r, { ok: false, error: { code: 'bad_request', message: /cmd\/ping: payload is nested 10000 levels deep \(at most 64\)/ } });
  const r2 = await obs.request(cmd('ping'), null, { raw: `{"x":${deep(10000)}}` });
  t.match(r2, { ok: false, error: { code: 'bad_request', message: /payload is nested 10001 levels deep/ } });
  const c = await pushRaw(`{"version":30,"hall":${deep(10000)}}`, 'refusal of a deep desired config');
  t.match(c, { version: 1, status: 'refused', refused: { code: 'bad_request', message: /config\/desired: \(root\): nested 10001 levels deep \(at most 64\)/ } });
  t.equal(agent.proc.exitCode, null, 'still running');
});

t.test('versions: safe integers up to the documented maximum, exactly as written', async (t) => {
  const before = await readFile(path, 'utf8');
  let c = await pushRaw('{"version":1e308,"hall":{"name":"Huge","groups":[]}}', 'refusal of 1e308');
  t.match(c, { version: 1, status: 'refused', refused: { code: 'bad_request', message: /version: 1e308 is not exactly representable/ } });
  c = await pushRaw('{"version":9007199254740993,"hall":{"name":"Huge","groups":[]}}', 'refusal of 2^53+1');
  t.match(c, { version: 1, status: 'refused', refused: { code: 'bad_request', message: /version: 9007199254740993 is not exactly representable as a number \(it would be read as 9007199254740992\)/ } });
  c = await pushRaw('{"version":1000000000000000,"hall":{"name":"Huge","groups":[]}}', 'refusal of 10^15');
  t.match(c, { version: 1, status: 'refused', refused: { code: 'config_invalid', version: 1000000000000000, errors: ['version: must be ≤ 999999999999999 (got 1000000000000000)'] } });
  t.equal(await readFile(path, 'utf8'), before, 'nothing was saved');
  t.same(await stateConfig(), c, 'state.get agrees');
  c = await pushRaw('{"version":999999999999999,"hall":{"name":"At the maximum","groups":[]}}', 'ack of the maximum');
  t.same(c, { version: 999999999999999, status: 'applied' }, 'the maximum itself is a version');
  t.equal(JSON.parse(await readFile(path, 'utf8')).configVersion, 999999999999999, 'saved as written');
  c = await pushRaw('{"version":2,"hall":{"name":"Later","groups":[]}}', 'refusal of an older version');
  t.match(c.refused.message, /version: 2 is older than the applied 999999999999999 \(diemcau-provision rebase resets a box's version\)/);
  c = await pushRaw('{"version":3,"rebase":true,"hall":{"name":"Rebased","groups":[]}}', 'ack of a rebase');
  t.same(c, { version: 3, status: 'applied' }, 'a rebase lowers the version');
  const saved = JSON.parse(await readFile(path, 'utf8'));
  t.equal(saved.configVersion, 3);
  t.equal(saved.hall.name, 'Rebased');
  t.equal(saved.rebase, undefined, 'the flag is not part of the saved config');
  c = await pushRaw('{"version":4,"hall":{"name":"Normal again","groups":[]}}', 'ack of v4');
  t.same(c, { version: 4, status: 'applied' });
  const check = await configCheck();
  t.equal(check.code, 0, check.out);
});
