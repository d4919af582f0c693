// A real Janus 1.1 (Debian's /usr/bin/janus) for the demo, the media tests and the media bench: its own config
// dir, only the VideoRoom plugin and the HTTP transport (folders of symlinks, so no other plugin loads), run inside
// a network namespace because Janus gathers no ICE candidates on loopback alone. Always stopped by stop(); the namespace is the caller's.
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, mkdir, writeFile, symlink, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMediaLab, createNetns, freeNet, linkVeth, type MediaLab, type Netns } from './netns.js';
import { randomBytes } from 'node:crypto';
import { stopChild } from '../core/stop-child.js';
import { spawnWithTest } from './die-with-test.js';

const LIB_DIRS = ['/usr/lib/x86_64-linux-gnu/janus', '/usr/lib/aarch64-linux-gnu/janus', '/usr/lib/janus'];
export const JANUS_HTTP_PORT = 8088;
/** Janus's admin API (lab only: tests count the handles a worker holds on the bridge). */
export const JANUS_ADMIN_PORT = 7088;
const ADMIN_SECRET = 'diemcau-lab';

export interface JanusServer {
  proc: ChildProcess;
  dir: string;
  /** Rooms configured at start (VP8 + Opus). */
  rooms: number[];
  /** http://<ip>:8088/janus for an address of the namespace Janus runs in. */
  urlFor(ip: string): string;
  /** http://<ip>:7088/admin: the admin API (janusHandles()). */
  adminUrlFor(ip: string): string;
  log(): string;
  stop(): Promise<void>;
}

export interface JanusOptions {
  rooms?: number[];
  /** REMB ceiling Janus sends publishers, bit/s (0: none). */
  bitrate?: number;
  debugLevel?: number;
}

function libDir(): string {
  const d = LIB_DIRS.find((p) => existsSync(join(p, 'plugins', 'libjanus_videoroom.so')));
  if (!d) throw new Error(`janus: libjanus_videoroom.so not found under ${LIB_DIRS.join(', ')} (apt install janus)`);
  return d;
}

async function linkOnly(from: string, to: string, names: string[]): Promise<void> {
  await mkdir(to, { recursive: true });
  for (const n of names) await symlink(join(from, n), join(to, n));
}

async function waitHttp(ns: Netns, url: string, proc: ChildProcess, timeoutMs: number, log: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`janus exited (${proc.exitCode}) at start: ${log().slice(-2000)}`);
    const ok = await ns
      .exec('curl', ['-s', '-m', '1', '-o', '/dev/null', '-w', '%{http_code}', `${url}/info`])
      .then((c) => c.trim() === '200')
      .catch(() => false);
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`janus: no answer on ${url}/info after ${timeoutMs} ms: ${log().slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Starts Janus inside `ns`; its HTTP API answers on every address of the namespace, port 8088. */
export async function startJanus(ns: Netns, opts: JanusOptions = {}): Promise<JanusServer> {
  const lib = libDir();
  const dir = await mkdtemp(join(tmpdir(), 'diemcau-janus-'));
  const rooms = opts.rooms ?? [1234];
  await linkOnly(join(lib, 'plugins'), join(dir, 'plugins'), ['libjanus_videoroom.so']);
  await linkOnly(join(lib, 'transports'), join(dir, 'transports'), ['libjanus_http.so']);
  await mkdir(join(dir, 'events'));
  await mkdir(join(dir, 'loggers'));
  await writeFile(
    join(dir, 'janus.jcfg'),
    `general: {
  configs_folder = "${dir}"
  plugins_folder = "${dir}/plugins"
  transports_folder = "${dir}/transports"
  events_folder = "${dir}/events"
  loggers_folder = "${dir}/loggers"
  debug_level = ${opts.debugLevel ?? 3}
  session_timeout = 60
  server_name = "diemcau-test"
  admin_secret = "${ADMIN_SECRET}"
}
media: {
  rtp_port_range = "20000-40000"
  dtls_timeout = 500
}
nat: {
  nice_debug = false
  full_trickle = false
  ice_lite = false
}
`,
  );
  const roomCfg = rooms
    .map(
      (r) => `room-${r}: {
  description = "diemcau test room ${r}"
  publishers = 16
  bitrate = ${opts.bitrate ?? 3000000}
  bitrate_cap = false
  fir_freq = 0
  audiocodec = "opus"
  videocodec = "vp8"
  notify_joining = true
  playoutdelay_ext = true
}
`,
    )
    .join('');
  await writeFile(join(dir, 'janus.plugin.videoroom.jcfg'), `general: {\n  admin_key = "diemcau"\n}\n${roomCfg}`);
  await writeFile(
    join(dir, 'janus.transport.http.jcfg'),
    `general: {
  json = "plain"
  base_path = "/janus"
  http = true
  port = ${JANUS_HTTP_PORT}
  https = false
}
admin: {
  admin_http = true
  admin_port = ${JANUS_ADMIN_PORT}
  admin_base_path = "/admin"
}
`,
  );
  let out = '';
  const proc = spawnWithTest(ns.prefix[0], [...ns.prefix.slice(1), 'janus', '-C', join(dir, 'janus.jcfg'), '-F', dir, '-N'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const keep = (d: Buffer) => {
    out += d.toString();
    if (out.length > 200000) out = out.slice(-100000);
  };
  proc.stdout!.on('data', keep);
  proc.stderr!.on('data', keep);
  const server: JanusServer = {
    proc,
    dir,
    rooms,
    urlFor: (ip) => `http://${ip}:${JANUS_HTTP_PORT}/janus`,
    adminUrlFor: (ip) => `http://${ip}:${JANUS_ADMIN_PORT}/admin`,
    log: () => out,
    async stop() {
      await stopChild(proc, 'SIGTERM', 3000);
      await rm(dir, { recursive: true, force: true });
    },
  };
  try {
    await waitHttp(ns, 'http://127.0.0.1:8088/janus', proc, 15000, () => out);
  } catch (err) {
    await server.stop();
    throw err;
  }
  return server;
}

async function admin(url: string, janus: string): Promise<Record<string, any>> {
  const res = await fetch(url, { method: 'POST', body: JSON.stringify({ janus, transaction: randomBytes(6).toString('hex'), admin_secret: ADMIN_SECRET }) });
  const reply = (await res.json()) as Record<string, any>;
  if (reply.janus !== 'success') throw new Error(`janus admin ${janus} at ${url}: ${JSON.stringify(reply.error ?? reply)}`);
  return reply;
}

/** Every plugin handle Janus holds, with its session and what it is to the VideoRoom (publisher, subscriber). */
export async function janusHandles(adminUrl: string): Promise<Array<{ session: number; handle: number; type: string | null }>> {
  const out = [];
  for (const session of (await admin(adminUrl, 'list_sessions')).sessions as number[]) {
    for (const handle of (await admin(`${adminUrl}/${session}`, 'list_handles')).handles as number[]) {
      const info = (await admin(`${adminUrl}/${session}/${handle}`, 'handle_info')).info;
      out.push({ session, handle, type: info?.plugin_specific?.type ?? null });
    }
  }
  return out;
}

/** Janus ends a handle's PeerConnection as it does when that one's ICE or DTLS fails: the client is sent a hangup. */
export async function janusHangup(adminUrl: string, h: { session: number; handle: number }): Promise<void> {
  await admin(`${adminUrl}/${h.session}/${h.handle}`, 'hangup_webrtc');
}

/** The media lab (netns.ts) with Janus running in its `sfu` namespace; close() stops both. */
export interface JanusLab extends MediaLab {
  janus: JanusServer;
  /** Janus's API as the hall namespace reaches it. */
  hallUrl: string;
  /** Janus's API as the centre namespace reaches it (startCentre). */
  centreUrl: string;
  /** Janus's API as the host (the test's requests, Chromium) reaches it. */
  hostUrl: string;
}

export async function startJanusLab(opts: JanusOptions = {}): Promise<JanusLab> {
  const lab = await createMediaLab();
  try {
    const janus = await startJanus(lab.sfu, opts);
    return {
      ...lab,
      janus,
      hallUrl: janus.urlFor(lab.sfuIpForHall),
      centreUrl: janus.urlFor(lab.sfuIpForCentre),
      hostUrl: janus.urlFor(lab.sfuIpForHost),
      async close() {
        await janus.stop();
        await lab.close();
      },
    };
  } catch (err) {
    await lab.close();
    throw err;
  }
}

/**
 * For the demo: Janus in a fresh namespace linked to the host only; `url` is its API from the host.
 * stop() stops Janus and deletes the namespace.
 */
export async function startLocalJanus(
  opts: JanusOptions = {},
): Promise<{ url: string; adminUrl: string; rooms: number[]; stop(): Promise<void>; restart(downMs?: number): Promise<void> }> {
  const tag = randomBytes(3).toString('hex');
  const ns = await createNetns(`${tag}j`);
  try {
    const link = await linkVeth(null, ns, `${await freeNet('10.201')}.0`, `dc${tag}l`);
    let janus = await startJanus(ns, opts);
    return {
      url: janus.urlFor(link.b.ip),
      adminUrl: janus.adminUrlFor(link.b.ip),
      rooms: janus.rooms,
      async stop() {
        await janus.stop();
        await ns.close();
      },
      // The bridge gone for a while (bench faults): every session on it is lost, the address stays.
      async restart(downMs = 0) {
        await janus.stop();
        await new Promise((r) => setTimeout(r, downMs));
        janus = await startJanus(ns, opts);
      },
    };
  } catch (err) {
    await ns.close();
    throw err;
  }
}
