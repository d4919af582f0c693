// Network namespaces and veth pairs for media tests: Janus cannot gather ICE candidates on loopback alone, and a
// link we own is a link we can take down, rate-limit or make lossy (nftables) without touching the host.
// Every namespace is named `dc-<pid>-<tag>`, every interface `dc<tag>...`, addressed in a /24 of 10.200.0.0/16 or
// 10.201.0.0/16 that no other lab holds (freeNet), so parallel test files do not collide. Everything is deleted by
// close(), by a synchronous exit hook when the process exits otherwise, and, when it was killed, by the next
// createNetns() of any process.
import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdir } from 'node:fs/promises';

function run(cmd: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { timeout: 10000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${cmd} ${args.join(' ')}: ${stderr.trim() || err.message}`));
      else resolve(stdout);
    });
  });
}

const live = new Set<string>();
let hooked = false;
function hookExit(): void {
  if (hooked) return;
  hooked = true;
  process.on('exit', () => {
    for (const ns of live) {
      try {
        execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
      } catch {
        // already gone
      }
    }
  });
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/**
 * Deletes the namespaces of test processes that died without their exit hook (a SIGTERM or SIGKILL from a runner's
 * timeout), and ends the processes still inside them (a Janus). Namespace names carry their owner's pid for this:
 * no signal handler is installed anywhere, so nothing here changes how the importing process reacts to signals.
 */
async function sweepOrphans(): Promise<void> {
  const names = await readdir('/run/netns').catch(() => [] as string[]);
  for (const name of names) {
    const m = /^dc-(\d+)-/.exec(name);
    if (!m || alive(Number(m[1]))) continue;
    const pids = await run('ip', ['netns', 'pids', name]).catch(() => '');
    for (const pid of pids.split(/\s+/).filter(Boolean)) {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {
        // gone meanwhile
      }
    }
    await run('ip', ['netns', 'del', name]).catch(() => {});
  }
}

export interface Netns {
  readonly name: string;
  /** Runs a command inside the namespace and returns its stdout. */
  exec(cmd: string, args: string[]): Promise<string>;
  /** argv prefix that runs a program inside the namespace (for spawn). */
  readonly prefix: string[];
  close(): Promise<void>;
}

export async function createNetns(tag: string): Promise<Netns> {
  hookExit();
  await sweepOrphans();
  const name = `dc-${process.pid}-${tag}`;
  await run('ip', ['netns', 'add', name]);
  live.add(name);
  await run('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
  return {
    name,
    prefix: ['ip', 'netns', 'exec', name],
    exec: (cmd, args) => run('ip', ['netns', 'exec', name, cmd, ...args]),
    async close() {
      if (!live.delete(name)) return;
      await run('ip', ['netns', 'del', name]).catch(() => {});
    },
  };
}

export interface LinkEnd {
  /** null: the host's own namespace. */
  ns: Netns | null;
  ifname: string;
  ip: string;
}

export interface VethLink {
  a: LinkEnd;
  b: LinkEnd;
  /** Takes the link down on both ends (the cable is cut). */
  down(): Promise<void>;
  up(): Promise<void>;
}

function ipIn(end: { ns: Netns | null }, args: string[]): Promise<string> {
  return end.ns ? run('ip', ['-n', end.ns.name, ...args]) : run('ip', args);
}

/** A veth pair between two namespaces on the /30 whose network address is `net` (e.g. `10.200.7.8`). */
export async function linkVeth(a: Netns | null, b: Netns, net: string, ifbase: string): Promise<VethLink> {
  const oct = net.split('.').map(Number);
  const host = (n: number) => `${oct[0]}.${oct[1]}.${oct[2]}.${oct[3] + n}`;
  const ea: LinkEnd = { ns: a, ifname: `${ifbase}a`, ip: host(1) };
  const eb: LinkEnd = { ns: b, ifname: `${ifbase}b`, ip: host(2) };
  await run('ip', ['link', 'add', ea.ifname, 'type', 'veth', 'peer', 'name', eb.ifname]);
  for (const e of [ea, eb]) {
    if (e.ns) await run('ip', ['link', 'set', e.ifname, 'netns', e.ns.name]);
    await ipIn(e, ['addr', 'add', `${e.ip}/30`, 'dev', e.ifname]);
    await ipIn(e, ['link', 'set', e.ifname, 'up']);
  }
  const set = async (state: 'up' | 'down') => {
    for (const e of [ea, eb]) await ipIn(e, ['link', 'set', e.ifname, state]);
  };
  return { a: ea, b: eb, down: () => set('down'), up: () => set('up') };
}

/** Drops a random share of the UDP packets entering and leaving a namespace (nftables `numgen random`). */
export async function setLoss(ns: Netns, percent: number): Promise<void> {
  await ns.exec('nft', ['delete', 'table', 'inet', 'dcloss']).catch(() => {});
  if (percent <= 0) return;
  const p = Math.round(percent);
  await ns.exec('nft', ['add', 'table', 'inet', 'dcloss']);
  for (const [chain, hook] of [['in', 'input'], ['out', 'output']]) {
    await ns.exec('nft', ['add', 'chain', 'inet', 'dcloss', chain, `{ type filter hook ${hook} priority 0 ; policy accept ; }`]);
    const share = p >= 100 ? [] : ['numgen', 'random', 'mod', '100', '<', String(p)];
    await ns.exec('nft', ['add', 'rule', 'inet', 'dcloss', chain, 'meta', 'l4proto', 'udp', ...share, 'drop']);
  }
}

/**
 * A LAN of `count` namespaces and the host on one /24, as hosts on one switch: the switch is a bridge inside a
 * namespace of its own (`<tag>l`), so deleting that namespace takes the bridge and every cable with it. Member i is
 * `<tag>n<i>` at .(i+2); the host is .1. For a cluster whose nodes must reach each other and be reached by clients.
 */
export interface Lan {
  members: Array<{ ns: Netns; ip: string }>;
  hostIp: string;
  close(): Promise<void>;
}

/**
 * A /24 under `prefix` (`10.200`: media labs, `10.201`: LANs and the demo's bridge) that no address of the host is
 * in, as `<prefix>.<x>`. The host holds an end of every lab's links, so a lab of another test file is seen here.
 */
export async function freeNet(prefix: '10.200' | '10.201'): Promise<string> {
  const used = await run('ip', ['-4', '-o', 'addr']);
  for (;;) {
    const x = 1 + (randomBytes(1)[0] % 250);
    if (!used.includes(`${prefix}.${x}.`)) return `${prefix}.${x}`;
  }
}

export async function createLan(count: number): Promise<Lan> {
  const tag = randomBytes(3).toString('hex');
  const net = await freeNet('10.201');
  const ip = (n: number) => `${net}.${n}`;
  const sw = await createNetns(`${tag}l`);
  const made: Netns[] = [sw];
  try {
    await sw.exec('ip', ['link', 'add', 'br0', 'type', 'bridge']);
    await sw.exec('ip', ['link', 'set', 'br0', 'up']);
    // One cable per member, plus the host's: the member end gets the address, the switch end joins the bridge.
    const cable = async (end: Netns | null, ifbase: string, addr: string) => {
      await run('ip', ['link', 'add', `${ifbase}a`, 'type', 'veth', 'peer', 'name', `${ifbase}b`]);
      await run('ip', ['link', 'set', `${ifbase}b`, 'netns', sw.name]);
      await sw.exec('ip', ['link', 'set', `${ifbase}b`, 'master', 'br0', 'up']);
      if (end) await run('ip', ['link', 'set', `${ifbase}a`, 'netns', end.name]);
      await ipIn({ ns: end }, ['addr', 'add', `${addr}/24`, 'dev', `${ifbase}a`]);
      await ipIn({ ns: end }, ['link', 'set', `${ifbase}a`, 'up']);
    };
    const members: Lan['members'] = [];
    for (let i = 0; i < count; i++) {
      const ns = await createNetns(`${tag}n${i}`);
      made.push(ns);
      await cable(ns, `dc${tag}n${i}`, ip(i + 2));
      members.push({ ns, ip: ip(i + 2) });
    }
    await cable(null, `dc${tag}h`, ip(1));
    return {
      members,
      hostIp: ip(1),
      async close() {
        for (const ns of made.reverse()) await ns.close();
      },
    };
  } catch (err) {
    for (const ns of made.reverse()) await ns.close();
    throw err;
  }
}

/**
 * The lab the media tests run in: `sfu` (Janus) joined to `hall` (the media worker) by the hall link, to `centre`
 * (a wrtc subscriber watching the hall) by the centre link, and to the host (the test's own requests, Chromium) by
 * the host link. Taking the hall link down cuts the hall off the bridge while the centre keeps watching.
 *
 * The centre has a namespace of its own because the host is multihomed while other test files run: it holds an end
 * of every other lab's links. A subscriber there offers Janus a candidate on each, and a packet from one of them
 * reaches Janus through this lab's host link. Janus, controlling the subscriber's ICE, then sent the programme to
 * such an address (another lab's, unroutable from its namespace) while the subscriber's own checks kept its ICE
 * "connected": the centre got a few seconds of the hall and then nothing (media/recovery in quiet runs 84-86 and
 * the CI run after, the loss test's new centre in runs 48 and 52; Janus's admin API showed the selected pair).
 */
export interface MediaLab {
  sfu: Netns;
  hall: Netns;
  centre: Netns;
  hallLink: VethLink;
  centreLink: VethLink;
  hostLink: VethLink;
  /** Janus's address as the hall, the centre and the host see it. */
  sfuIpForHall: string;
  sfuIpForCentre: string;
  sfuIpForHost: string;
  close(): Promise<void>;
}

export async function createMediaLab(): Promise<MediaLab> {
  const tag = randomBytes(3).toString('hex');
  // Three /30s: .0 the hall link, .4 the host link, .8 the centre link.
  const net = await freeNet('10.200');
  const sfu = await createNetns(`${tag}s`);
  const made: Netns[] = [sfu];
  try {
    const hall = await createNetns(`${tag}h`);
    made.push(hall);
    const centre = await createNetns(`${tag}w`);
    made.push(centre);
    const hallLink = await linkVeth(hall, sfu, `${net}.0`, `dc${tag}h`);
    const hostLink = await linkVeth(null, sfu, `${net}.4`, `dc${tag}c`);
    const centreLink = await linkVeth(centre, sfu, `${net}.8`, `dc${tag}w`);
    return {
      sfu,
      hall,
      centre,
      hallLink,
      centreLink,
      hostLink,
      sfuIpForHall: hallLink.b.ip,
      sfuIpForCentre: centreLink.b.ip,
      sfuIpForHost: hostLink.b.ip,
      async close() {
        // Deleting a namespace deletes its veth ends, and with them the peers in the host.
        for (const ns of made.reverse()) await ns.close();
      },
    };
  } catch (err) {
    for (const ns of made) await ns.close();
    throw err;
  }
}

/**
 * Drops the RTP packets of one payload type leaving a namespace: the RTP header is not encrypted by SRTP
 * (RFC 3711 §3.1), and its payload type is the low 7 bits of its second byte (RFC 3550 §5.1), right after the
 * 8-byte UDP header. RTCP (PT 200-206 there), STUN and DTLS never match 111/96-ish values. `pt` null removes it.
 */
export async function dropRtpPayloadType(ns: Netns, pt: number | null): Promise<void> {
  await ns.exec('nft', ['delete', 'table', 'inet', 'dcrtp']).catch(() => {});
  if (pt === null) return;
  await ns.exec('nft', ['add', 'table', 'inet', 'dcrtp']);
  await ns.exec('nft', ['add', 'chain', 'inet', 'dcrtp', 'out', '{ type filter hook output priority 0 ; policy accept ; }']);
  await ns.exec('nft', ['add', 'rule', 'inet', 'dcrtp', 'out', 'meta', 'l4proto', 'udp', '@th,73,7', String(pt), 'drop']);
}
