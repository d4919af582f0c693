// Display driver numbers: command-to-ACK round trip of the Samsung MDC driver against the simulator over a real
// socat pty (and over loopback TCP, and LG over a pty), and how fast the MDC frame parser decodes a byte stream.
// A pty ignores the baud rate, so the RTT is the software path (driver, serialport, kernel pty, simulator), not
// the 9600 bps wire: at 9600 8N1 a 6-byte command plus an 8-byte ACK adds about 14.6 ms on a real cable.
// bench/drivers.ts imports displayBench(); `main` prints the same numbers alone.
import { openPtyPair } from '../lab/pty.js';
import { SerialBytePort } from '../drivers/serial-port.js';
import { TcpBytePort } from '../drivers/tcp-port.js';
import type { BytePort } from '../drivers/port.js';
import type { DisplayDriver } from '../drivers/display/display-driver.js';
import { SamsungMdcDriver } from '../drivers/display/samsung-mdc.js';
import { LgDriver } from '../drivers/display/lg.js';
import { createSimDisplay, startTcpSimHost } from '../drivers/display/sim-host.js';
import { parseHostPort } from '../agent/devices/display-port.js';
import { MdcFrameParser, decodeMdcReply, encodeMdcReply } from '../drivers/display/samsung-mdc-protocol.js';
import { flags, percentile, printTable, writeJson } from './report.js';

async function rtt(driver: DisplayDriver, n: number): Promise<number[]> {
  await driver.setPower(true);
  for (let i = 0; i < 20; i++) await driver.setVolume(i); // warm-up
  const ms: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = process.hrtime.bigint();
    await driver.setVolume(i % 101);
    ms.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return ms.sort((a, b) => a - b);
}

async function overPty(protocol: 'samsung-mdc' | 'lg', n: number): Promise<number[]> {
  const pair = await openPtyPair();
  const simPort = new SerialBytePort({ path: pair.b, label: 'simulated display' });
  const port = new SerialBytePort({ path: pair.a, label: 'display port' });
  try {
    await simPort.open();
    const sim = createSimDisplay(protocol, 1, (b) => void simPort.write(b).catch(() => {}));
    simPort.on('data', (c: Buffer) => sim.receive(c));
    await port.open();
    const driver: DisplayDriver =
      protocol === 'lg' ? new LgDriver(port, { setId: 1 }) : new SamsungMdcDriver(port, { displayId: 1 });
    await driver.start();
    const out = await rtt(driver, n);
    await driver.stop();
    sim.stop();
    return out;
  } finally {
    await port.close();
    await simPort.close();
    await pair.close();
  }
}

async function overTcp(n: number): Promise<number[]> {
  const host = await startTcpSimHost('samsung-mdc', 1);
  const { host: h, port: p } = parseHostPort(host.address);
  const port: BytePort = new TcpBytePort({ host: h, port: p });
  try {
    await port.open();
    const driver = new SamsungMdcDriver(port, { displayId: 1 });
    await driver.start();
    const out = await rtt(driver, n);
    await driver.stop();
    return out;
  } finally {
    await port.close();
    await host.stop();
  }
}

/** MB/s of parse + reply decode over a stream of status replies cut into 64-byte reads, as a serial port gives. */
function decodeRate(totalBytes: number): { mbs: number; frames: number } {
  const frame = encodeMdcReply(1, true, 0x00, [1, 25, 0, 0x21, 0, 0, 0]);
  const stream = Buffer.alloc(Math.floor(totalBytes / frame.length) * frame.length);
  for (let o = 0; o < stream.length; o += frame.length) frame.copy(stream, o);
  const parser = new MdcFrameParser();
  let frames = 0;
  const t0 = process.hrtime.bigint();
  for (let o = 0; o < stream.length; o += 64) {
    for (const f of parser.push(stream.subarray(o, o + 64))) if (typeof decodeMdcReply(f) !== 'string') frames++;
  }
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  return { mbs: stream.length / 1e6 / s, frames };
}

export async function displayBench(n = 500): Promise<Record<string, number>> {
  const pty = await overPty('samsung-mdc', n);
  const tcp = await overTcp(n);
  const lg = await overPty('lg', n);
  decodeRate(1e6); // warm-up
  const dec = decodeRate(8e6);
  return {
    mdc_rtt_p50_ms: percentile(pty, 50),
    mdc_rtt_p99_ms: percentile(pty, 99),
    mdc_rtt_max_ms: pty[pty.length - 1],
    mdc_tcp_rtt_p50_ms: percentile(tcp, 50),
    mdc_tcp_rtt_p99_ms: percentile(tcp, 99),
    lg_rtt_p50_ms: percentile(lg, 50),
    lg_rtt_p99_ms: percentile(lg, 99),
    display_decode_mb_s: dec.mbs,
    display_decode_frames: dec.frames,
    commands_per_series: n,
  };
}

export async function main(argv: string[]): Promise<void> {
  const f = flags(argv);
  const n = Number(f.get('n') ?? 500);
  const r = await displayBench(n);
  printTable(
    `display drivers (${n} volume commands per series; pty RTT is software only)`,
    Object.entries(r).map(([metric, value]) => ({ metric, value })),
  );
  await writeJson(f.get('json'), r);
}
