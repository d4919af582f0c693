// Free loopback ports for brokers and devices that tests start.
//
// Taken below the kernel's ephemeral range (ip_local_port_range, 32768-60999 here), never from bind(0): a port the
// kernel hands out for bind(0) and that is closed again is free for the kernel to give, before the test's server
// binds it, as the source port of an outgoing connection, and the suite runs files side by side that make hundreds
// of them (CI run 25: a test's Mosquitto "Address already in use" on the port it was given). Below that range only
// a listener can take a port: one chosen at random from 10,000 and checked free is taken by another test of the
// suite in the same moment about once in 10,000 times two tests start a server together.
import { createServer } from 'node:net';
import { createSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { randomInt } from 'node:crypto';

/** The first port of the kernel's ephemeral range; 32768 where it cannot be read. */
function ephemeralStart(): number {
  try {
    const first = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    return Number.isInteger(first) && first > 2048 ? first : 32768;
  } catch {
    return 32768;
  }
}

const TOP = ephemeralStart();
const BOTTOM = Math.max(1024, TOP - 10_000);

async function pick(free: (port: number) => Promise<boolean>, what: string): Promise<number> {
  for (let i = 0; i < 200; i++) {
    const port = randomInt(BOTTOM, TOP);
    if (await free(port)) return port;
  }
  throw new Error(`ports: no free ${what} port between ${BOTTOM} and ${TOP - 1} in 200 tries`);
}

export function freeTcpPort(): Promise<number> {
  return pick(tcpPortFree, 'TCP');
}

export function freeUdpPort(): Promise<number> {
  return pick(udpPortFree, 'UDP');
}

/** Whether `port` on loopback can be listened on now (a preferred port, with a free one as the fallback). */
export function tcpPortFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

function udpPortFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createSocket('udp4');
    s.once('error', () => {
      s.close();
      resolve(false);
    });
    s.bind(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}
