// Unit tests of the pure parts: backoff, planner, schema validation and defaults, topics, hall indicator.
import t from 'tap';
import { reconnectDelay, massWindowMs, isMassReason, isOverload, type FailedAttempt } from '../../agent/mqtt/backoff.js';
import { plan, allStarted } from '../../agent/desired/plan.js';
import { parseConfig, mergeDesired, parseDesired } from '../../agent/config/load.js';
import { exampleConfig } from '../../agent/config/example.js';
import { Type } from '../../core/schema/type.js';
import { errors, withDefaults } from '../../core/schema/value.js';
import { parseCmdTopic, boxTopics, groupCmdFilter, replyTree, responseTopicFault } from '../../core/topics.js';
import { indicatorFor } from '../../agent/hall.js';
import type { MediaReport } from '../../agent/media/types.js';
import { ConfigError } from '../../core/errors.js';

// The carrier's figures: 10,400 boxes, a broker that completes 800 connects a second: a 13 s mass window.
const policy = { minMs: 500, maxMs: 60000, fleetSize: 10400, brokerConnectsPerS: 800 };

t.test('backoff: full jitter, capped; mass events spread over fleetSize / brokerConnectsPerS', async (t) => {
  t.equal(reconnectDelay(0, 'link', policy, () => 0.999), 499);
  t.equal(reconnectDelay(3, 'link', policy, () => 0.5), 2000);
  t.equal(reconnectDelay(30, 'link', policy, () => 0.999), 59940, 'capped at maxMs');
  t.equal(reconnectDelay(0, 'link', policy, () => 0), 0, 'full jitter reaches zero');
  t.equal(massWindowMs(policy), 13000, '10,400 boxes at 800 a second: 13 s');
  t.equal(reconnectDelay(0, 'mass', policy, () => 0.5), 6500, 'first retry after a mass event drawn over the window');
  t.equal(reconnectDelay(0, 'mass', { ...policy, brokerConnectsPerS: 2600 }, () => 0.5), 2000, 'a faster broker, a shorter window');
  t.equal(reconnectDelay(0, 'mass', { ...policy, fleetSize: 400 }, () => 0.5), 250, 'a smaller fleet, a shorter window');
  t.equal(reconnectDelay(0, 'mass', { ...policy, massSpreadS: 45 }, () => 0.5), 22500, 'a fixed window when the carrier sets one');
  t.equal(reconnectDelay(1, 'mass', policy, () => 0.5), 6500, 'refused once (too early after a restart): over the window again');
  t.equal(reconnectDelay(2, 'mass', policy, () => 0.5), 13000, 'refused twice (a longer outage): over twice the window');
  t.equal(reconnectDelay(10, 'mass', policy, () => 0.5), 13000, 'however many were refused: no backoff past that');
  t.equal(reconnectDelay(3, 'mass', { ...policy, fleetSize: 5 }, () => 0.5), 250, 'never below minMs (5 boxes: a 5 ms window)');
  // 10,400 boxes drawing their delay: each second of the return holds about the broker's rate, none far more.
  let seed = 7;
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const perSecond = new Array(14).fill(0);
  for (let i = 0; i < 10400; i++) perSecond[Math.floor(reconnectDelay(0, 'mass', policy, rand) / 1000)]++;
  t.equal(perSecond[13], 0, 'every box tries within the 13 s window');
  t.ok(Math.max(...perSecond) <= 800 * 1.1, `peak ${Math.max(...perSecond)} per second, for a broker that takes 800`);
  t.ok(Math.min(...perSecond.slice(0, 13)) >= 800 * 0.9, `and no second of the window idle (least ${Math.min(...perSecond.slice(0, 13))})`);
  t.ok(isMassReason(0x8b) && isMassReason(0x89) && !isMassReason(0x87) && !isMassReason(undefined));
});

t.test('backoff: every answer of an overloaded broker doubles the window, up to the cap', async (t) => {
  t.equal(massWindowMs(policy, 1), 26000);
  t.equal(reconnectDelay(1, 'mass', policy, () => 0.5, 1), 13000, 'the retry after one overload draws over 26 s');
  t.equal(reconnectDelay(2, 'mass', policy, () => 0.5, 1), 26000, 'and, in a longer outage, over twice that');
  t.equal(massWindowMs(policy, 2), 52000);
  t.equal(massWindowMs(policy, 3), 60000, 'capped at maxMs');
  t.equal(massWindowMs({ ...policy, massSpreadS: 120 }, 3), 120000, 'never below a longer window the carrier set');
  const fail = (f: Partial<FailedAttempt>) => ({ timedOut: false, cutByServer: false, ...f });
  t.ok(isOverload(fail({ reasonCode: 0x89 }), 'link'), '"server busy" says so in words, whatever the cause');
  t.ok(isOverload(fail({ reasonCode: 0x9f }), 'mass'), '"connection rate exceeded"');
  t.notOk(isOverload(fail({ reasonCode: 0x86 }), 'mass'), 'a bad password is not the broker being busy');
  t.notOk(isOverload(fail({ reasonCode: 0x8b }), 'mass'), '"shutting down" is a mass event, not an overload');
  t.ok(isOverload(fail({ timedOut: true }), 'mass'), 'a connect that timed out in a mass return');
  t.ok(isOverload(fail({ cutByServer: true }), 'mass'), 'a handshake the server cut in a mass return');
  t.notOk(isOverload(fail({ timedOut: true }), 'link'), 'a timeout on our own link is the ordinary backoff\'s');
  t.notOk(isOverload(fail({}), 'mass'), 'a refused connect (broker not listening yet) costs the broker nothing');
});

t.test('planner: the steps from one config to the next', async (t) => {
  const a = exampleConfig();
  t.same(plan(allStarted(a), a), [], 'nothing to do');
  const b = mergeDesired(a, parseDesired({ version: 2, hall: { name: 'X', groups: ['p-01', 'new'] }, telemetry: { intervalS: 30 } }, 'test'));
  t.same(plan(allStarted(a), b), [
    { kind: 'hall' },
    { kind: 'groups', add: ['new'], remove: ['c-26734', 'all'] },
    { kind: 'telemetry', intervalS: 30 },
  ]);
  const c = mergeDesired(a, parseDesired({ version: 3, devices: { camera: a.devices.camera }, mqtt: { ...a.mqtt, brokers: ['mqtt://other:1883'] } }, 'test'));
  t.same(
    plan(allStarted(a), c).map((s) => [s.kind, (s as { id?: string }).id, (s as { action?: string }).action]),
    [
      ['device', 'display', 'stop'],
      ['device', 'panel', 'stop'],
      ['broker', undefined, undefined],
    ],
    'devices left out are stopped; the broker move comes last',
  );
});

t.test('config: defaults, every error at once, desired sections left out stay as they are', async (t) => {
  const cfg = parseConfig({ box: { id: 'vn-1' } }, 'x');
  t.equal(cfg.mqtt.willDelayS, 15);
  t.same(cfg.mqtt.reconnect, { minMs: 500, maxMs: 60000, fleetSize: 10400, brokerConnectsPerS: 1000 }, 'no fixed window unless set');
  t.same(cfg.devices, {});
  t.equal(cfg.media.enabled, false);
  try {
    parseConfig({ box: { id: 'A' }, mqtt: { brokers: [], reconnect: { minMs: 1, brokerConnectsPerS: 0 } }, devices: { camera: { transport: 'usb' } } }, 'f.json');
    t.fail('should throw');
  } catch (err) {
    t.ok(err instanceof ConfigError);
    const e = (err as ConfigError).errors;
    t.same(
      e.map((l) => l.split(':')[0]),
      ['box.id', 'mqtt.brokers', 'mqtt.reconnect.minMs', 'mqtt.reconnect.brokerConnectsPerS', 'devices.camera.transport'],
      'every field at fault, named',
    );
    t.match((err as Error).message, /^f\.json: 5 error/);
  }
  const d = parseDesired({ version: 5, hall: { name: 'Y' } }, 'd');
  t.equal(d.mqtt, undefined, 'an optional section left out is not filled with defaults');
  t.same(d.hall, { name: 'Y', groups: [] });
});

t.test('schema: types, unions, records, unique items', async (t) => {
  const S = Type.Object({
    n: Type.Integer({ minimum: 1, default: 3 }),
    even: Type.Optional(Type.Integer({ multipleOf: 2 })),
    mode: Type.Union([Type.Literal('a'), Type.Literal('b')], { default: 'a' }),
    tags: Type.Array(Type.String({ pattern: '^[a-z]+$' }), { uniqueItems: true, default: [] }),
    map: Type.Record(Type.String({ pattern: '^[a-z]+$' }), Type.Integer(), { default: {} }),
    opt: Type.Optional(Type.Boolean()),
  });
  t.same(withDefaults(S, {}), { n: 3, mode: 'a', tags: [], map: {} });
  t.same(errors(S, withDefaults(S, { n: 0, even: 3, mode: 'c', tags: ['x', 'x', 'Y'], map: { ok: 1, BAD: 2 }, opt: 'no' })), [
    'n: must be ≥ 1 (got 0)',
    'even: must be a multiple of 2 (got 3)',
    'mode: must be one of "a", "b" (got "c")',
    'tags: items must be unique',
    'tags[2]: "Y" does not match ^[a-z]+$',
    'map.BAD: unknown field',
    'opt: must be true or false (got "no")',
  ]);
});

t.test('topics', async (t) => {
  t.same(parseCmdTopic('diemcau/v1/vn-1/cmd/ping'), { scope: 'box', target: 'vn-1', name: 'ping' });
  t.same(parseCmdTopic('diemcau/v1/group/p-01/cmd/camera.home'), { scope: 'group', target: 'p-01', name: 'camera.home' });
  t.equal(parseCmdTopic('diemcau/v1/vn-1/state'), null);
  t.equal(parseCmdTopic('other/v1/vn-1/cmd/x'), null);
  t.equal(boxTopics('vn-1').desired, 'diemcau/v1/vn-1/config/desired');
  t.equal(groupCmdFilter('all'), 'diemcau/v1/group/all/cmd/+');
});

t.test('response topics: only a valid topic inside the box reply tree carries a reply', async (t) => {
  const fault = (topic: string) => responseTopicFault('vn-1', topic);
  t.equal(fault('diemcau/v1/vn-1/reply/ops-7'), null);
  t.equal(fault('diemcau/v1/vn-1/reply/ops/hội-trường/42'), null, 'levels below reply/ and any valid UTF-8');
  t.equal(boxTopics('vn-1').reply('ping').startsWith(replyTree('vn-1')), true, 'the default reply topic is in the tree');
  const refused: Array<[string, RegExp]> = [
    ['', /empty/],
    ['#', /wildcard/],
    ['diemcau/v1/vn-1/reply/+', /wildcard/],
    ['diemcau/v1/vn-1/reply/a#b', /wildcard/],
    ['diemcau/v1/vn-1/reply/\u0000x', /control character/],
    ['diemcau/v1/vn-1/reply/\u0007x', /control character/],
    ['diemcau/v1/vn-1/reply/\u0085x', /control character/],
    ['diemcau/v1/vn-1/reply/\ufffd', /not valid UTF-8/],
    ['diemcau/v1/vn-1/reply/\ud800x', /not valid UTF-8/],
    ['diemcau/v1/vn-1/reply/\ufdd0', /non-character/],
    ['diemcau/v1/vn-1/reply/\u{1fffe}', /non-character/],
    [`diemcau/v1/vn-1/reply/${'x'.repeat(65536)}`, /65,535 bytes/],
    ['diemcau/v1/vn-1/replyx', /outside/],
    ['diemcau/v1/vn-1/reply', /outside/],
    ['diemcau/v1/vn-1/cmd/ping', /outside/],
    ['diemcau/v1/vn-10/reply/x', /outside/],
    ['diemcau/v1/vn-1/reply/', /empty level/],
    ['diemcau/v1/vn-1/reply/a//b', /empty level/],
  ];
  for (const [topic, why] of refused) t.match(fault(topic), why, JSON.stringify(topic.slice(0, 40)));
});

t.test('hall indicator follows link and media', async (t) => {
  const m = (o: Partial<MediaReport>): MediaReport => ({ status: 'joined', seen: true, heard: false, muted: false, audioOnly: false, ...o });
  t.equal(indicatorFor(false, null), 'offline');
  t.equal(indicatorFor(true, null), 'idle');
  t.equal(indicatorFor(true, m({ status: 'joining' })), 'joining');
  t.equal(indicatorFor(true, m({})), 'in-meeting');
  t.equal(indicatorFor(true, m({ heard: true })), 'heard');
  t.equal(indicatorFor(true, m({ heard: true, muted: true })), 'muted');
  t.equal(indicatorFor(false, m({ heard: true })), 'heard', 'media keeps flowing when only the broker link is down');
});

t.test('the meeting on the hall indicator: on air only while heard, a roll call over all but a lost link', async (t) => {
  const m = (o: Partial<MediaReport>): MediaReport => ({ status: 'joined', seen: true, heard: true, muted: false, audioOnly: false, ...o });
  t.equal(indicatorFor(true, m({}), 'on-air'), 'on-air', 'the floor, mic open and heard');
  t.equal(indicatorFor(true, m({ muted: true, heard: false }), 'on-air'), 'muted', 'the staff muted while holding the floor');
  t.equal(indicatorFor(true, m({ heard: false }), 'on-air'), 'in-meeting', 'not heard: never "on air"');
  t.equal(indicatorFor(true, m({ status: 'recovering', heard: false }), 'on-air'), 'joining');
  t.equal(indicatorFor(true, null, 'rollcall'), 'rollcall', 'a roll call asks outside a meeting too');
  t.equal(indicatorFor(true, m({ status: 'failed' }), 'rollcall'), 'rollcall');
  t.equal(indicatorFor(false, null, 'rollcall'), 'offline', 'no press reaches the centre without the link');
});
