// Where the technician page listens, and whom it answers: the hall's LAN and nothing else. It binds the IPv4 address
// of the configured LAN interface (never every address), and answers only peers on that interface's own subnet:
// traffic from anywhere else, the carrier's network included, arrives through a router, from outside the subnet,
// whether the box reaches its broker through the hall's LAN or over a second link (a 4G modem, a VPN). A peer that
// is the broker itself is refused too (a broker on the hall's own subnet).
import { networkInterfaces } from 'node:os';
import { isIPv4 } from 'node:net';
import type { TechnicianConfig } from '../../core/config/technician.js';
import { ConfigError } from '../../core/errors.js';

export interface LanSide {
  interface: string;
  address: string;
  /** The subnet, as network address (32-bit) and mask. */
  network: number;
  mask: number;
  cidr: string;
}

export function ipv4ToInt(ip: string): number {
  return ip.split('.').reduce((n, o) => ((n << 8) | Number(o)) >>> 0, 0);
}

/** The LAN address the page binds: `technician.address`, or the interface's first IPv4 address. */
export function lanSide(cfg: TechnicianConfig, interfaces = networkInterfaces()): LanSide {
  const addrs = (interfaces[cfg.interface] ?? []).filter((a) => a.family === 'IPv4');
  if (addrs.length === 0) {
    const known = Object.keys(interfaces).join(', ') || 'none';
    throw new ConfigError('technician', [`technician.interface: ${cfg.interface} has no IPv4 address on this box (interfaces: ${known})`]);
  }
  const a = cfg.address === undefined ? addrs[0] : addrs.find((x) => x.address === cfg.address);
  if (!a) throw new ConfigError('technician', [`technician.address: ${cfg.address} is not an address of ${cfg.interface} (${addrs.map((x) => x.cidr).join(', ')})`]);
  const mask = ipv4ToInt(a.netmask);
  return { interface: cfg.interface, address: a.address, network: (ipv4ToInt(a.address) & mask) >>> 0, mask, cidr: a.cidr ?? `${a.address}/${a.netmask}` };
}

/** Why a peer is not served (null: served). `brokers` are the broker's addresses as the box resolved them. */
export function peerRefusal(peer: string | undefined, lan: LanSide, brokers: readonly string[]): string | null {
  const ip = peer?.startsWith('::ffff:') ? peer.slice(7) : peer;
  if (!ip || !isIPv4(ip)) return `not an IPv4 peer on ${lan.cidr}`;
  if (((ipv4ToInt(ip) & lan.mask) >>> 0) !== lan.network) return `not on the hall LAN (${lan.cidr})`;
  if (brokers.includes(ip)) return "the broker's own address";
  return null;
}
