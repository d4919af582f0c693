// What the technician page says about the box's network, read as the box sees it: the default gateway (the
// kernel's routing table), the DNS servers (resolv.conf), whether the broker answers a TCP connection, the
// broker's addresses (peers the page refuses), and whether the clock is synchronised (systemd-timesyncd's flag
// file, else timedatectl; null when the box cannot tell).
import { readFile, access } from 'node:fs/promises';
import { execFile } from 'node:child_process';
import { connect } from 'node:net';
import { lookup } from 'node:dns/promises';

/** The default route's gateway through `iface`, from /proc/net/route; null: the LAN has none (or it is elsewhere). */
export async function defaultGateway(iface: string, routes = '/proc/net/route'): Promise<string | null> {
  const text = await readFile(routes, 'utf8').catch(() => '');
  const rows = text.split('\n').slice(1).map((l) => l.trim().split(/\s+/)).filter((r) => r.length > 2 && r[1] === '00000000');
  const row = rows.find((r) => r[0] === iface);
  if (!row) return null;
  const n = parseInt(row[2], 16); // little-endian on every box we run on (arm64, x86-64)
  return [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24].join('.');
}

export async function nameservers(file = '/etc/resolv.conf'): Promise<string[]> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text.split('\n').map((l) => /^\s*nameserver\s+(\S+)/.exec(l)?.[1]).filter((x): x is string => !!x);
}

/** Whether the system clock is synchronised (NTP); null when nothing on the box can say. */
export async function clockSynced(): Promise<boolean | null> {
  // systemd-timesyncd creates this file once it has synchronised the clock.
  if (await access('/run/systemd/timesync/synchronized').then(() => true, () => false)) return true;
  return new Promise((resolve) => {
    execFile('timedatectl', ['show', '-p', 'NTPSynchronized', '--value'], { timeout: 3000 }, (err, stdout) => {
      const v = stdout?.trim();
      resolve(err || (v !== 'yes' && v !== 'no') ? null : v === 'yes');
    });
  });
}

function hostPort(url: string): { host: string; port: number } {
  const u = new URL(url);
  return { host: u.hostname.replace(/^\[|\]$/g, ''), port: Number(u.port) || (u.protocol === 'mqtts:' ? 8883 : 1883) };
}

/** Whether a TCP connection to the broker of `url` opens within `ms`. */
export function tcpReachable(url: string, ms = 3000): Promise<boolean> {
  const { host, port } = hostPort(url);
  return new Promise((resolve) => {
    const s = connect({ host, port });
    const done = (ok: boolean) => (s.destroy(), resolve(ok));
    s.setTimeout(ms, () => done(false));
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}

/** Every address the brokers' names resolve to (an unresolvable name adds none). */
export async function brokerAddresses(urls: readonly string[]): Promise<string[]> {
  const out = new Set<string>();
  for (const url of urls) {
    const found = await lookup(hostPort(url).host, { all: true }).catch(() => []);
    for (const a of found) out.add(a.address);
  }
  return [...out];
}
