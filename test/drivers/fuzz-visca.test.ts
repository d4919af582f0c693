// Bounded fuzz of every VISCA decoder: random bytes and mutated valid replies (lab/fuzz.ts) never throw, never hang,
// and a valid packet after garbage is always found (the framer resynchronises). Seeded, so a failure can be replayed
// with the seed it prints (`FUZZ_SEED`, `FUZZ_CASES`).
import t from 'tap';
import { decodeInquiryReply, decodeReply, encodeAck, encodeCommand, encodeInquiryReply, MAX_PACKET } from '../../drivers/camera/visca-protocol.js';
import { decodeRequest } from '../../drivers/camera/visca-request-decode.js';
import { ViscaFramer } from '../../drivers/camera/visca-framer.js';
import { decodeIp, encodeIp } from '../../drivers/camera/visca-ip.js';
import { fuzz, fuzzCases, fuzzSeed } from '../../lab/fuzz.js';
import { seeded } from '../../lab/schema-documents.js';

const SEED = fuzzSeed(20261123);
const ROUNDS = fuzzCases(20000);
const rng = seeded;

function randomBytes(r: () => number, max: number): Buffer {
  const n = Math.floor(r() * max);
  const b = Buffer.alloc(n);
  // Bias towards VISCA-looking bytes (headers, FF, small values) so the decoders' deeper branches are reached.
  for (let i = 0; i < n; i++) {
    const k = r();
    b[i] = k < 0.15 ? 0xff : k < 0.3 ? 0x90 : k < 0.4 ? 0x81 : k < 0.7 ? Math.floor(r() * 0x20) : Math.floor(r() * 256);
  }
  return b;
}

t.test(`decoders never throw on random bytes (seed ${SEED}, ${ROUNDS} rounds)`, async (t) => {
  const r = rng(SEED);
  const started = performance.now();
  let decoded = 0;
  for (let i = 0; i < ROUNDS; i++) {
    const b = randomBytes(r, 24);
    try {
      if (decodeReply(b)) decoded++;
      if (decodeRequest(b)) decoded++;
      if (decodeIp(b)) decoded++;
      decodeInquiryReply('pan-tilt-position', b);
      decodeInquiryReply('zoom-position', b);
      decodeInquiryReply('power', b);
    } catch (err) {
      t.fail(`decoder threw on ${b.toString('hex')} (seed ${SEED}, round ${i}): ${(err as Error).message}`);
      return;
    }
  }
  t.pass(`${ROUNDS} random inputs, ${decoded} happened to decode`);
  // Not a speed floor (bench drivers reports the decoders' throughput): 1 ms per input is some 400 times what they
  // take, so only a decoder that loops or backtracks on garbage reaches it, not a busy machine.
  const tookMs = performance.now() - started;
  t.ok(tookMs < ROUNDS, `no decoder hangs on garbage (${Math.round(tookMs)} ms for ${ROUNDS} inputs)`);
});

t.test('framer: after any garbage, the next valid packet comes out', async (t) => {
  const r = rng(SEED + 1);
  const replies = new ViscaFramer((p) => decodeReply(p) !== null);
  const requests = new ViscaFramer((p) => decodeRequest(p) !== null);
  const validReplies = [encodeAck(1, 1), encodeInquiryReply(1, { inquiry: 'pan-tilt-position', pan: -5, tilt: 7 }), Buffer.from([0x88, 0x30, 0x02, 0xff])];
  const validRequests = [encodeCommand(1, { op: 'pt-home' }), encodeCommand(3, { op: 'pt-absolute', pan: -100, tilt: 20, speed: 3 })];
  let failures = 0;
  for (let i = 0; i < ROUNDS / 4; i++) {
    const junk = randomBytes(r, 40);
    replies.push(junk);
    requests.push(junk);
    const want = validReplies[i % validReplies.length];
    const got = replies.push(want);
    const wantReq = validRequests[i % validRequests.length];
    const gotReq = requests.push(wantReq);
    if (!got.length || !got[got.length - 1].equals(want) || !gotReq.length || !gotReq[gotReq.length - 1].equals(wantReq)) {
      if (failures++ < 3) t.fail(`no resync after ${junk.toString('hex')} (seed ${SEED + 1}, round ${i})`);
    }
    if (replies.pending >= MAX_PACKET || requests.pending >= MAX_PACKET) {
      t.fail(`framer holds ${replies.pending} bytes: more than a packet`);
      break;
    }
  }
  t.equal(failures, 0, 'every valid packet after garbage was found');
  t.ok(replies.dropped > 0, 'garbage was counted as dropped');
});

t.test('VISCA over IP: random datagrams and corrupted valid ones', async (t) => {
  const r = rng(SEED + 2);
  const good = encodeIp('reply', 42, encodeAck(1, 2));
  let accepted = 0;
  for (let i = 0; i < ROUNDS / 4; i++) {
    const d = Buffer.from(good);
    const at = 2 + Math.floor(r() * 2); // header bytes 2-3: payload length
    d[at] ^= 1 + Math.floor(r() * 255);
    if (decodeIp(d)) accepted++;
    const e = Buffer.from(good);
    e[Math.floor(r() * 2)] ^= 1 + Math.floor(r() * 255); // payload type
    const m = decodeIp(e);
    if (m && ![0x0100, 0x0110, 0x0111, 0x0120, 0x0200, 0x0201].includes(e.readUInt16BE(0))) accepted++;
  }
  t.equal(accepted, 0, 'a datagram with a wrong length or unknown type is never taken');
  t.same(decodeIp(good)?.payload, encodeAck(1, 2));
});

t.test('mutated valid replies: decoded or skipped, never thrown', async (t) => {
  const samples = [
    encodeAck(1, 1),
    encodeInquiryReply(1, { inquiry: 'pan-tilt-position', pan: -5, tilt: 7 }),
    encodeInquiryReply(1, { inquiry: 'zoom-position', position: 0x2000 }),
    encodeInquiryReply(1, { inquiry: 'power', on: true }),
    Buffer.from([0x90, 0x60, 0x02, 0xff]), // syntax error
    encodeIp('reply', 42, encodeAck(1, 2)),
  ];
  const framer = new ViscaFramer((p) => decodeReply(p) !== null);
  await fuzz<Buffer>(t, {
    name: 'VISCA replies',
    seed: SEED + 3,
    cases: ROUNDS / 4,
    make: (m) => m.bytes(samples, [0xff, 0x90, 0x50, 0x41, 0x60]),
    decode: (b) => {
      for (const p of framer.push(b)) {
        decodeReply(p);
        for (const q of ['pan-tilt-position', 'zoom-position', 'power', 'focus-mode'] as const) decodeInquiryReply(q, p);
      }
      decodeIp(b);
      if (framer.pending >= MAX_PACKET) throw new Error(`framer holds ${framer.pending} bytes`);
    },
    refusal: () => false,
    show: (b) => b.toString('hex'),
  });
});
