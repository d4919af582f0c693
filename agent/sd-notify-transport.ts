// How sd_notify messages reach systemd's notify socket. Node has no unix datagram sockets: the small native
// `unix-dgram` addon sends them. When the addon will not load (a tree built for the other architecture or another
// Node, a build that never ran), `systemd-notify` from the systemd package sends each message instead: slower (one
// short process a message) but enough for READY, STATUS and a heartbeat every WatchdogSec/2. Without either, the
// agent still runs; a Type=notify unit then restarts it when its start times out, so the caller says so loudly.
import { spawn } from 'node:child_process';
import { accessSync, constants, openSync, readSync, closeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { delimiter, join } from 'node:path';

export interface NotifyTransport {
  send(msg: string): void;
  close(): void;
}

interface DgramSocket {
  send(buf: Buffer, offset: number, length: number, path: string, cb?: (err?: Error) => void): void;
  on(ev: 'error', cb: (err: Error) => void): void;
  close(): void;
}

/** Sends through the unix-dgram addon; throws when the addon does not load. `path` is the socket, NUL-led if abstract. */
export function addonTransport(path: string, onError: (err: Error) => void): NotifyTransport {
  const { createSocket } = createRequire(import.meta.url)('unix-dgram') as { createSocket(type: 'unix_dgram'): DgramSocket };
  const sock = createSocket('unix_dgram');
  sock.on('error', onError);
  return {
    send(msg) {
      const buf = Buffer.from(msg);
      sock.send(buf, 0, buf.length, path);
    },
    close: () => sock.close(),
  };
}

/** The executable `name` on `PATH`, or null. */
export function onPath(name: string, env: NodeJS.ProcessEnv = process.env): string | null {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    try {
      accessSync(join(dir, name), constants.X_OK);
      return join(dir, name);
    } catch {
      // not in this one
    }
  }
  return null;
}

/** A helper process stays this long at most: systemd-notify waits for the manager to take the message. */
const HELPER_DEADLINE_MS = 10_000;

/**
 * Sends through `systemd-notify VAR=VALUE...`, one process at a time, in order. A heartbeat already waiting is not
 * queued twice, so a slow manager never piles up processes. systemd-notify waits until the manager has read the
 * message (its barrier), so the message is credited to this unit even though the sender exits at once.
 */
export function helperTransport(bin: string, onError: (err: Error) => void): NotifyTransport {
  const queue: string[] = [];
  let busy = false;
  let closed = false;
  const next = () => {
    if (busy || closed || queue.length === 0) return;
    busy = true;
    const msg = queue.shift()!;
    const child = spawn(bin, msg.split('\n'), { stdio: 'ignore' });
    const deadline = setTimeout(() => child.kill('SIGKILL'), HELPER_DEADLINE_MS);
    const done = () => {
      clearTimeout(deadline);
      busy = false;
      next();
    };
    child.once('error', (err) => {
      onError(err);
      done();
    });
    child.once('exit', done);
  };
  return {
    send(msg) {
      if (msg === 'WATCHDOG=1' && queue.includes(msg)) return;
      queue.push(msg);
      next();
    },
    close: () => {
      // STOPPING=1 may still be on its way; what is queued after it is dropped with the process.
      closed = true;
    },
  };
}

const ELF_MACHINES: Record<number, string> = { 3: 'ia32', 40: 'arm', 62: 'x64', 183: 'arm64' };

/**
 * One line saying why a native addon did not load. glibc says "cannot open shared object file: No such file or
 * directory" for a file that is there but built for another machine, so the ELF header is read to say so.
 */
export function addonFailure(err: unknown): string {
  const message = (err instanceof Error ? err.message : String(err)).split('\n')[0];
  const file = /(\/[^\s:]+\.node)\b/.exec(message)?.[1];
  if (!file) return message;
  let header: Buffer;
  try {
    const fd = openSync(file, 'r');
    header = Buffer.alloc(20);
    try {
      readSync(fd, header, 0, 20, 0);
    } finally {
      closeSync(fd);
    }
  } catch {
    return message;
  }
  if (header.readUInt32BE(0) !== 0x7f454c46) return `${message} (it is not an ELF file)`;
  const machine = header[5] === 2 ? header.readUInt16BE(18) : header.readUInt16LE(18);
  const arch = ELF_MACHINES[machine] ?? `ELF machine ${machine}`;
  return arch === process.arch ? message : `${message} (it is built for ${arch}; this node runs on ${process.arch})`;
}
