// Table tests of the display protocol modules against literal bytes from the manufacturers' documents, and a
// bounded fuzz per decoder (random bytes: nothing thrown, bounded memory, resync on the next valid frame).
import t from 'tap';
import {
  MDC_INPUTS,
  MdcFrameParser,
  decodeMdcReply,
  decodeMdcStatus,
  encodeMdcFrame,
  encodeMdcReply,
  mdcChecksum,
} from '../../drivers/display/samsung-mdc-protocol.js';
import { LG_INPUTS, LgReplyParser, LgRequestParser, encodeLgCommand, encodeLgReply } from '../../drivers/display/lg-protocol.js';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

t.test('MDC requests match the documented bytes', async (t) => {
  // Samsung 320TSn-3 user manual, MDC section: "11+FF+01+01=112, discard the first digit" -> checksum 0x12.
  t.equal(mdcChecksum(hex('11 FF 01 01'), 0, 4), 0x12);
  // Power on / off to every set (ID 0xFE): "AA 11 FE 01 01 11", "AA 11 FE 01 00 10" (Samsung manual example,
  // quoted in Cisco's "Example of deciphering RS232 commands" FAQ).
  t.same(encodeMdcFrame(0x11, 0xfe, [1]), hex('AA 11 FE 01 01 11'));
  t.same(encodeMdcFrame(0x11, 0xfe, [0]), hex('AA 11 FE 01 00 10'));
  // Input Source component (0x08): "AA 14 FE 01 08 1B".
  t.same(encodeMdcFrame(0x14, 0xfe, [0x08]), hex('AA 14 FE 01 08 1B'));
  // Get power status, ID 1: [AA][11][01][00][CS] (MD40B manual "Power control", Get): 0x11+0x01+0x00 = 0x12.
  t.same(encodeMdcFrame(0x11, 0x01, []), hex('AA 11 01 00 12'));
  // Input HDMI1 is 0x21 (MDC spec ch. 2 Input Source).
  t.equal(MDC_INPUTS.hdmi1, 0x21);
  t.same(encodeMdcFrame(0x14, 0x01, [MDC_INPUTS.hdmi1]), hex('AA 14 01 01 21 37'));
});

t.test('MDC replies: ACK, NAK with the error code, status', async (t) => {
  // Ack: [AA][FF][ID][03]['A'][r-CMD][Val1][CS] (MD40B manual "Power control", Ack).
  const ack = hex('AA FF 01 03 41 11 01 56');
  t.same(encodeMdcReply(1, true, 0x11, [1]), ack);
  const p = new MdcFrameParser();
  const [f] = p.push(ack);
  t.same(decodeMdcReply(f), { kind: 'ack', id: 1, rcmd: 0x11, values: Buffer.from([1]) });
  // Nak: [AA][FF][ID][03]['N'][r-CMD]["ERR"][CS].
  const nak = hex('AA FF 01 03 4E 12 01 64');
  t.same(encodeMdcReply(1, false, 0x12, [1]), nak);
  t.same(decodeMdcReply(p.push(nak)[0]), { kind: 'nak', id: 1, rcmd: 0x12, error: 1 });
  // Status (0x00) ack: power, volume, mute, input, aspect, N time NF, F time NF.
  const status = encodeMdcReply(1, true, 0x00, [1, 25, 0, 0x21, 0, 0, 0]);
  const r = decodeMdcReply(p.push(status)[0]);
  t.equal(typeof r, 'object');
  if (typeof r === 'object' && r.kind === 'ack') t.same(decodeMdcStatus(r.values), { power: true, volume: 25, mute: false, input: 0x21 });
  t.match(decodeMdcReply({ cmd: 0xff, id: 1, data: Buffer.from([0x42, 0x11]) }), /neither ACK nor NAK/);
  t.match(decodeMdcReply({ cmd: 0x11, id: 1, data: Buffer.from([1]) }), /not a reply/);
});

t.test('MDC parser: split chunks, garbage, bad checksum, truncated, stray header', async (t) => {
  const ack = hex('AA FF 01 03 41 11 01 56');
  const p = new MdcFrameParser();
  t.same(p.push(ack.subarray(0, 3)), []);
  t.equal(p.push(ack.subarray(3)).length, 1);
  t.equal(p.push(Buffer.concat([hex('00 13 99 FE'), ack])).length, 1, 'garbage before a frame');
  t.equal(p.dropped, 4);
  const bad = Buffer.from(ack);
  bad[7] ^= 0xff;
  t.equal(p.push(Buffer.concat([bad, ack])).length, 1, 'bad checksum dropped, next frame found');
  t.equal(p.badChecksums, 1);
  // A stray 0xAA claiming 200 data bytes must not swallow the real reply behind it.
  t.equal(p.push(Buffer.concat([hex('AA 11 01 C8'), ack])).length, 1, 'stray header with a huge length');
  t.equal(p.pending, 0);
  t.same(p.push(ack.subarray(0, 6)), [], 'truncated frame waits');
  t.equal(p.pending, 6);
});

t.test('LG commands and replies match the owner manual', async (t) => {
  // [Command1][Command2][ ][Set ID][ ][Data][Cr]: "ka 00 01<cr>" powers every set on.
  t.same(encodeLgCommand('ka', 0, 1), Buffer.from('ka 00 01\r'));
  t.same(encodeLgCommand('ka', 1, 0xff), Buffer.from('ka 01 ff\r'), 'FF reads status');
  t.same(encodeLgCommand('kf', 1, 100), Buffer.from('kf 01 64\r'), 'volume 100 is 0x64');
  t.same(encodeLgCommand('xb', 1, LG_INPUTS.hdmi1), Buffer.from('xb 01 90\r'), 'HDMI (1001) input 1 (0000)');
  t.throws(() => encodeLgCommand('k', 1, 1), /two letters/);
  // [Command2][ ][Set ID][ ][OK][Data][x] and [NG][Data][x], data 00 "Illegal Code".
  t.same(encodeLgReply('a', 1, true, 1), Buffer.from('a 01 OK01x'));
  t.same(encodeLgReply('f', 1, false, 0), Buffer.from('f 01 NG00x'));
  const p = new LgReplyParser();
  t.same(p.push(Buffer.from('a 01 OK01x')), [{ cmd2: 'a', setId: 1, ok: true, data: 1 }]);
  t.same(p.push(Buffer.from('\x00\xff#garbage b 01 NG00x')), [{ cmd2: 'b', setId: 1, ok: false, data: 0 }]);
  t.same(p.push(Buffer.from('e 0')), []);
  t.same(p.push(Buffer.from('1 OK00x')), [{ cmd2: 'e', setId: 1, ok: true, data: 0 }], 'split across chunks');
  const q = new LgRequestParser();
  t.same(q.push(Buffer.from('ka 01 01\rzz\rkf 01 ')), [{ cmd: 'ka', setId: 1, data: 1 }, { bad: 'zz' }]);
  t.same(q.push(Buffer.from('1e\r')), [{ cmd: 'kf', setId: 1, data: 0x1e }]);
});

/** xorshift32: reproducible random bytes, seed printed on failure. */
function rng(seed: number): () => number {
  let x = seed || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 0x100000000;
  };
}

t.test('fuzz: MDC parser survives random bytes and resyncs', async (t) => {
  const seed = 0x5eed1234;
  const rand = rng(seed);
  const ack = encodeMdcReply(1, true, 0x11, [1]);
  const p = new MdcFrameParser();
  let found = 0;
  let maxPending = 0;
  for (let round = 0; round < 2000; round++) {
    const junk = Buffer.alloc(Math.floor(rand() * 64));
    for (let i = 0; i < junk.length; i++) junk[i] = Math.floor(rand() * 256);
    p.push(junk);
    maxPending = Math.max(maxPending, p.pending);
    // A valid frame after the junk is found at the latest once the junk's stray header is proven false.
    const frames = p.push(ack);
    if (frames.some((f) => f.cmd === 0xff && f.data[1] === 0x11)) found++;
    else p.push(Buffer.alloc(260)); // flush: a stray header with a large length can hide one frame, not two
  }
  t.ok(maxPending <= 260, `held at most one frame's worth (${maxPending} bytes)`);
  t.ok(found >= 1900, `resynced on ${found}/2000 rounds (seed ${seed})`);
});

t.test('fuzz: LG parsers survive random bytes and resync', async (t) => {
  const seed = 0xabcdef;
  const rand = rng(seed);
  const p = new LgReplyParser();
  const q = new LgRequestParser();
  let found = 0;
  let maxPending = 0;
  for (let round = 0; round < 2000; round++) {
    const junk = Buffer.alloc(Math.floor(rand() * 64));
    for (let i = 0; i < junk.length; i++) junk[i] = Math.floor(rand() * 256);
    p.push(junk);
    q.push(junk);
    maxPending = Math.max(maxPending, p.pending);
    if (p.push(Buffer.from('a 01 OK01x')).some((r) => r.cmd2 === 'a' && r.ok)) found++;
  }
  t.ok(maxPending <= 16, `reply parser held at most 16 bytes (${maxPending})`);
  t.equal(found, 2000, `resynced every round (seed ${seed})`);
  t.same(q.push(Buffer.from('\rka 01 01\r')).filter((r) => !('bad' in r)), [{ cmd: 'ka', setId: 1, data: 1 }]);
});
