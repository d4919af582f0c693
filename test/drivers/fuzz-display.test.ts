// Fuzz of every decoder of what a display sends back (drivers/display/): the Samsung MDC frame parser and reply
// decoders, the LG reply parser (and the request parser of its simulator, which ships), and the cec-ctl output
// parser. Mutations of valid replies (lab/fuzz.ts): flips, cuts, splices, repeats, random bytes biased to each
// protocol's markers. Each parser is fed every case in turn, as a serial line would: it never throws, never holds
// more than a frame's worth of bytes, and after any garbage the next valid reply comes out (within a few, since
// garbage may end in the start of a frame that a valid one completes by chance).
import t from 'tap';
import { decodeMdcReply, decodeMdcStatus, encodeMdcReply, MDC_MAX_FRAME, MdcCmd, MdcFrameParser } from '../../drivers/display/samsung-mdc-protocol.js';
import { encodeLgCommand, encodeLgReply, LgReplyParser, LgRequestParser } from '../../drivers/display/lg-protocol.js';
import { cecAbortReason, cecPowerState, parseCecOutput, parsePhysicalAddress } from '../../drivers/display/cec-output.js';
import { fuzz, fuzzCases, fuzzSeed } from '../../lab/fuzz.js';

const SEED = fuzzSeed(14009);
const CASES = fuzzCases(5000);
const never = () => false; // these decoders answer a reason or skip garbage; they never throw

/** Pushes `good` until it comes out (a chance frame in the garbage may swallow the first few); the pushes it took. */
function resync<F>(push: (b: Buffer) => F[], good: Buffer, same: (f: F) => boolean): number {
  for (let n = 1; n <= 40; n++) if (push(good).some(same)) return n;
  throw new Error(`no valid reply came out after 40 pushes of ${good.toString('hex')}`);
}

t.test('Samsung MDC replies', async (t) => {
  const good = encodeMdcReply(1, true, MdcCmd.status, [1, 20, 0, 0x21, 0, 0, 0]);
  const samples = [good, encodeMdcReply(1, false, MdcCmd.power, [0x01]), encodeMdcReply(1, true, MdcCmd.volume, [30]), Buffer.concat([good, good])];
  const parser = new MdcFrameParser();
  let worst = 0;
  await fuzz<Buffer>(t, {
    name: 'MDC frames',
    seed: SEED,
    cases: CASES,
    make: (m) => m.bytes(samples, [0xaa, 0xff, 0x41, 0x4e]),
    decode: (b) => {
      for (const f of parser.push(b)) {
        const r = decodeMdcReply(f);
        if (typeof r !== 'string' && r.kind === 'ack') decodeMdcStatus(r.values);
      }
      if (parser.pending > MDC_MAX_FRAME) throw new Error(`parser holds ${parser.pending} bytes`);
      worst = Math.max(worst, resync((x) => parser.push(x), good, (f) => f.cmd === 0xff && f.data.length === 9));
    },
    refusal: never,
    show: (b) => b.toString('hex'),
  });
  t.ok(worst >= 1, `after any garbage the next valid frame came out within ${worst} push(es)`);
});

t.test('LG replies, and the requests its simulator reads', async (t) => {
  const good = encodeLgReply('a', 1, true, 1);
  const replies = [good, encodeLgReply('f', 1, true, 30), encodeLgReply('e', 1, false, 0), Buffer.from('a 01 OK01xf 01 NG00x')];
  const requests = [encodeLgCommand('ka', 1, 1), encodeLgCommand('kf', 1, 0xff), encodeLgCommand('xb', 0, 0x90)];
  const rp = new LgReplyParser();
  const qp = new LgRequestParser();
  let worst = 0;
  await fuzz<Buffer>(t, {
    name: 'LG replies',
    seed: SEED + 1,
    cases: CASES,
    make: (m) => m.bytes(replies, [0x20, 0x78, 0x4f, 0x4b, 0x30]),
    decode: (b) => {
      rp.push(b);
      if (rp.pending > 16) throw new Error(`reply parser holds ${rp.pending} characters`);
      worst = Math.max(worst, resync((x) => rp.push(x), good, (r) => r.cmd2 === 'a' && r.ok && r.data === 1));
    },
    refusal: never,
    show: (b) => JSON.stringify(b.toString('latin1')),
  });
  await fuzz<Buffer>(t, {
    name: 'LG requests',
    seed: SEED + 2,
    cases: CASES,
    make: (m) => m.bytes(requests, [0x0d, 0x20, 0x0a]),
    decode: (b) => qp.push(b),
    refusal: never,
    show: (b) => JSON.stringify(b.toString('latin1')),
  });
  t.ok(worst >= 1, `after any garbage the next valid reply came out within ${worst} push(es)`);
});

t.test('cec-ctl output', async (t) => {
  const transmit = '\nTransmit from Playback Device 1 to TV (4 to 0):\nGIVE_DEVICE_POWER_STATUS (0x8f)\n';
  const samples = [
    `${transmit}    Received from TV (0):\n    REPORT_POWER_STATUS (0x90):\n\tpwr-state: on (0x00)\n\tSequence: 395 Tx Timestamp: 2704.092s Rx Timestamp: 2704.379s\n\tApproximate response time: 215 ms\n`,
    `${transmit}\tSequence: 652 Tx Timestamp: 4604.391s\n\tTx, Not Acknowledged (4), Max Retries\n`,
    `${transmit}    Received from TV (0):\n    FEATURE_ABORT (0x00):\n\tabort-msg: 143 (0x8f)\n\treason: unrecognized-op (0x00)\n\tTx, OK, Rx, Feature Abort\n`,
    'Driver Info:\n\tDriver Name                : vc4_hdmi\n\tPhysical Address           : 2.0.0.0\n\tLogical Address Mask       : 0x0010\n',
  ];
  const kinds = new Map<string, number>();
  await fuzz<string>(t, {
    name: 'cec-ctl output',
    seed: SEED + 3,
    cases: CASES,
    make: (m) => m.text(m.pick(samples), samples),
    decode: (text) => {
      const out = parseCecOutput(text, m2(text), text.length % 3 === 0 ? 1 : 0);
      kinds.set(out.kind, (kinds.get(out.kind) ?? 0) + 1);
      parsePhysicalAddress(text);
      if (out.kind === 'sent') {
        cecPowerState(out.reply);
        cecAbortReason(out.reply);
      }
      return out;
    },
    refusal: never,
  });
  t.ok(kinds.size >= 3, `outcomes reached: ${[...kinds].map(([k, v]) => `${k} ${v}`).join(', ')}`);
});

/** Now and then the text on stderr too, as cec-ctl prints a failed open there. */
function m2(text: string): string {
  return text.length % 5 === 0 ? `Failed to open /dev/cec0: ${text.slice(0, 40)}` : '';
}
