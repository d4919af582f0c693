// VISCA camera numbers: command-to-Completion round trip of the real driver against the simulator over a socat pty
// (and over loopback UDP for VISCA over IP), the decoders' throughput on mixed valid and invalid bytes, and how long
// an unplugged camera line takes to be noticed and recovered. A pty ignores the baud rate, so the RTT is the
// software path; at 9600 8N1 a 6-byte command, 3-byte ACK and 3-byte Completion add 12.5 ms on a real cable.
import { openRig, type Rig } from '../lab/visca-rig.js';
import { waitFor } from '../lab/wait.js';
import { decodeReply, encodeAck, encodeCompletion, encodeError, encodeInquiryReply } from '../drivers/camera/visca-protocol.js';
import { decodeRequest } from '../drivers/camera/visca-request-decode.js';
import { ViscaFramer } from '../drivers/camera/visca-framer.js';
import { decodeIp } from '../drivers/camera/visca-ip.js';
import { percentile } from './report.js';

async function rtt(rig: Rig, n: number): Promise<number[]> {
  const cam = rig.camera;
  await cam.start();
  await waitFor('camera ok', () => cam.health(), { until: (h) => h.status === 'ok', timeoutMs: 10000 });
  for (let i = 0; i < 20; i++) await cam.focus(i % 2 ? 'auto' : 'manual'); // warm-up
  const ms: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = process.hrtime.bigint();
    await cam.focus(i % 2 ? 'auto' : 'manual');
    ms.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  // The numbers mean something only if every command crossed the line to the simulator and back.
  if (rig.host.sim.received < n) throw new Error(`visca bench: the simulator saw ${rig.host.sim.received} of ${n} commands`);
  return ms.sort((a, b) => a - b);
}

/** A byte stream of replies with about a third of its bytes garbage, as a noisy RS-232 line would give. */
function mixedStream(bytes: number): Buffer {
  const valid = [
    encodeAck(1, 1),
    encodeCompletion(1, 2),
    encodeError(1, 1, 0x41),
    encodeInquiryReply(1, { inquiry: 'pan-tilt-position', pan: -1200, tilt: 300 }),
    encodeInquiryReply(1, { inquiry: 'zoom-position', position: 0x2345 }),
  ];
  const parts: Buffer[] = [];
  let len = 0;
  let seed = 12345;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
  while (len < bytes) {
    const b = rnd() < 0.35 ? Buffer.from(Array.from({ length: 1 + Math.floor(rnd() * 8) }, () => Math.floor(rnd() * 256))) : valid[Math.floor(rnd() * valid.length)];
    parts.push(b);
    len += b.length;
  }
  return Buffer.concat(parts);
}

function decodeRate(stream: Buffer): { mbs: number; packets: number } {
  const framer = new ViscaFramer((p) => decodeReply(p) !== null);
  let packets = 0;
  const t0 = process.hrtime.bigint();
  // 64-byte chunks: what a serial read hands over at a time.
  for (let i = 0; i < stream.length; i += 64) {
    for (const p of framer.push(stream.subarray(i, i + 64))) if (decodeReply(p)) packets++;
  }
  // The other decoders on the same bytes: requests (the simulator's side) and VISCA over IP datagrams.
  for (let i = 0; i + 16 <= stream.length; i += 16) {
    decodeRequest(stream.subarray(i, i + 16));
    decodeIp(stream.subarray(i, i + 16));
  }
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  return { mbs: (2 * stream.length) / 1e6 / s, packets };
}

async function unplugRecover(rounds: number): Promise<{ detectMs: number[]; recoverS: number[] }> {
  // Reopen backoff as the agent runs it (250 ms doubling to 5 s); polls as in production (1 s).
  const rig = await openRig('serial', { answerMs: 1000, pollMs: 1000 });
  const detectMs: number[] = [];
  const recoverS: number[] = [];
  try {
    await rig.camera.start();
    await waitFor('camera ok', () => rig.camera.health(), { until: (h) => h.status === 'ok', timeoutMs: 10000 });
    for (let i = 0; i < rounds; i++) {
      const t0 = performance.now();
      const missing = waitFor('missing', () => rig.camera.health(), { until: (h) => h.status === 'missing', timeoutMs: 10000 });
      await rig.host.unplug();
      await missing;
      detectMs.push(performance.now() - t0);
      await rig.host.plug();
      await waitFor('ok', () => rig.camera.health(), { until: (h) => h.status === 'ok', timeoutMs: 20000 });
      recoverS.push((performance.now() - t0) / 1000);
    }
  } finally {
    await rig.close();
  }
  return { detectMs: detectMs.sort((a, b) => a - b), recoverS: recoverS.sort((a, b) => a - b) };
}

export async function viscaBench(n = 500): Promise<Record<string, number>> {
  const quiet = { pollMs: 60000, movingPollMs: 60000 }; // no inquiries between the measured commands
  const serial = await openRig('serial', quiet);
  let pty: number[];
  try {
    pty = await rtt(serial, n);
  } finally {
    await serial.close();
  }
  const udpRig = await openRig('udp', quiet);
  let udp: number[];
  try {
    udp = await rtt(udpRig, n);
  } finally {
    await udpRig.close();
  }
  decodeRate(mixedStream(1e6)); // warm-up
  const dec = decodeRate(mixedStream(8e6));
  const unplug = await unplugRecover(5);
  return {
    visca_rtt_p50_ms: percentile(pty, 50),
    visca_rtt_p99_ms: percentile(pty, 99),
    visca_rtt_max_ms: pty[pty.length - 1],
    visca_ip_rtt_p50_ms: percentile(udp, 50),
    visca_ip_rtt_p99_ms: percentile(udp, 99),
    decode_mb_s: dec.mbs,
    decode_packets: dec.packets,
    unplug_detect_ms: percentile(unplug.detectMs, 50),
    unplug_recover_s: percentile(unplug.recoverS, 50),
    unplug_recover_max_s: unplug.recoverS[unplug.recoverS.length - 1],
    visca_commands_per_series: n,
  };
}
