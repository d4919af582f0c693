// Fuzz of what a Janus bridge answers, as the box's signalling reads it (agent/media/signalling/janus.ts): a
// stand-in HTTP server answers the session's `create` with mutations of Janus's real answers (lab/fuzz.ts), as a
// hostile hall network between box and an http:// bridge could. Each case connects and closes: it succeeds with a
// numeric session, or fails with the project's clear error (protocol, refused, disconnected), never a TypeError.
import t from 'tap';
import { createServer } from 'node:http';
import { JanusSignalling } from '../../agent/media/signalling/janus.js';
import { DiemcauError } from '../../core/errors.js';
import { fuzz, fuzzCases, fuzzSeed } from '../../lab/fuzz.js';

const SEED = fuzzSeed(14013);
const CASES = fuzzCases(1500);

const samples = [
  { janus: 'success', transaction: 'Tx1', data: { id: 4810029384 } },
  { janus: 'error', transaction: 'Tx1', error: { code: 403, reason: 'Unauthorized request (wrong or missing secret/token)' } },
  { janus: 'error', transaction: 'Tx1', error: { code: 458, reason: 'No such session' } },
];

let answer = '';
const server = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    // The long poll says nothing; destroy and the rest are acknowledged; `create` gets the case's answer.
    if (req.method === 'GET') return res.end('[]');
    res.end(req.url === '/janus' ? answer : JSON.stringify({ janus: 'success' }));
  });
});
await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
t.teardown(() => new Promise<void>((r) => server.close(() => r())));
const bridge = `http://127.0.0.1:${(server.address() as { port: number }).port}/janus`;

t.test("a bridge's answer to create", async (t) => {
  const r = await fuzz<string>(t, {
    name: 'janus create answer',
    seed: SEED,
    cases: CASES,
    make: (m) => m.json(samples),
    decode: async (text) => {
      answer = text;
      const s = new JanusSignalling({ bridge, room: 1234, token: 'tok' });
      try {
        await s.connect();
        return s.residue();
      } finally {
        await s.close();
      }
    },
    refusal: (err) => err instanceof DiemcauError && ['protocol', 'device_refused', 'disconnected'].includes(err.code),
  });
  t.ok(r.accepted > 0 && r.refused > 0, `both outcomes reached (${r.accepted} connected, ${r.refused} refused)`);
});

// Found by this fuzzer (seed 14013, cases 37 and 69): a reason or a session id nested 5,000 deep overflowed the
// stack when put into a message (RangeError, not the bridge's refusal), and `null` was read as a reply.
t.test('answers that are not what Janus sends are the bridge\'s refusal or a protocol error', async (t) => {
  const deep = '['.repeat(5000) + ']'.repeat(5000);
  for (const [text, want] of [
    ['null', { code: 'protocol', message: /create: reply is not a JSON object/ }],
    ['[1]', { code: 'protocol', message: /create: reply is not a JSON object/ }],
    [`{"janus":"error","error":{"code":403,"reason":${deep}}}`, { code: 'device_refused', message: /create: error$/ }],
    [`{"janus":"success","data":{"id":${deep}}}`, { code: 'protocol', message: /create: no session id/ }],
  ] as const) {
    answer = text;
    const s = new JanusSignalling({ bridge, room: 1234 });
    await t.rejects(s.connect(), want, text.slice(0, 60));
    await s.close();
  }
});
