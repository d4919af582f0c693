// The broker link's faults: the broker gone for a while, the link flapping, the broker's name no longer resolving.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { sleep } from '../../lab/wait.js';
import type { Fault, FaultContext } from './runner.js';

const dropped = (ctx: FaultContext) => ctx.timeline.firstLine((l) => l.msg === 'broker link dropped', ctx.start)?.at ?? null;

/** Mosquitto stopped (SIGTERM) and started again on its port after `downS`, its retained messages and sessions kept. */
export function brokerGone(downS: number): Fault {
  return {
    name: `broker gone ${downS >= 60 ? `${downS / 60} min` : `${downS} s`}`,
    how: `Mosquitto stopped and started again ${downS} s later (persistence on)`,
    inflict: (ctx) => ctx.world.broker.restart(downS * 1000),
    detected: dropped,
  };
}

/** The hall's own link reset (RST) every 2-5 s for `forS`, through the relay in front of the broker. */
export function linkFlapping(forS: number): Fault {
  return {
    name: 'link flapping',
    how: `the hall's TCP link to the broker reset every 2-5 s (random) for ${forS} s`,
    async inflict(ctx) {
      const until = Date.now() + forS * 1000;
      while (Date.now() < until) {
        ctx.world.proxy.reset();
        await sleep(Math.min(until - Date.now(), 2000 + Math.random() * 3000));
      }
    },
    detected: dropped,
  };
}

const BROKER_NAME = 'broker.carrier.test';

/**
 * The broker named by a host name that the agent resolves through files the bench controls: the agent runs in a
 * mount namespace of its own (unshare -m) where /etc/hosts and /etc/resolv.conf are bind mounts of the bench's files
 * (the resolver answers from /etc/hosts; no name server is reachable). DNS gone: the name taken out of the hosts file
 * and the link reset, so that the agent must resolve the name again while it cannot, for `forS`; then put back.
 */
export function dnsGone(forS: number): Fault {
  let hosts = '';
  return {
    name: 'DNS gone',
    how: `the broker's host name unresolvable (the agent's own /etc/hosts, a bind mount in its mount namespace) and the link reset, for ${forS} s`,
    async setup(world, id) {
      const dir = join(world.dir, `${id}-resolver`);
      await mkdir(dir, { recursive: true });
      hosts = join(dir, 'hosts');
      const resolv = join(dir, 'resolv.conf');
      await writeFile(hosts, `127.0.0.1 localhost\n127.0.0.1 ${BROKER_NAME}\n`);
      await writeFile(resolv, 'nameserver 127.0.0.1\noptions timeout:1 attempts:1\n');
      const script = `mount --bind ${hosts} /etc/hosts && mount --bind ${resolv} /etc/resolv.conf && exec "$@"`;
      return {
        spec: { brokerUrl: `mqtt://${BROKER_NAME}:${world.proxy.port}`, prefix: ['unshare', '-m', '--propagation', 'private', 'sh', '-c', script, 'sh'] },
        undo: async () => {},
      };
    },
    async inflict(ctx) {
      // Written in place: a bind mount follows the file's inode, which a rename would replace.
      await writeFile(hosts, '127.0.0.1 localhost\n');
      ctx.world.proxy.reset();
      await sleep(forS * 1000);
      await writeFile(hosts, `127.0.0.1 localhost\n127.0.0.1 ${BROKER_NAME}\n`);
    },
    detected: (ctx) =>
      ctx.timeline.firstLine((l) => l.msg === 'broker connect failed' && /ENOTFOUND|EAI_AGAIN|getaddrinfo/.test(String(l.reason)), ctx.start)?.at ?? null,
  };
}
