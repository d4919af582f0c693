// sd_notify for Type=notify units: READY=1 once the agent runs, WATCHDOG=1 from the main event loop at half the
// unit's WatchdogSec (so a hung loop is killed and restarted by systemd), STATUS= lines, STOPPING=1 on the way out.
// Node has no unix datagram sockets, so this uses the small native `unix-dgram` addon, loaded only under systemd.
import { createRequire } from 'node:module';
import type { Logger } from '../core/log.js';

/**
 * The exit code of a restart the centre asked for (`agent.restart`): the launcher passes it on (it restarts a slot
 * itself only for its own RESTART_EXIT_CODE), and the unit lists it in SuccessExitStatus= (not a failure) and
 * RestartForceExitStatus= (started again whatever Restart= says), so systemd starts a clean process.
 */
export const ASKED_RESTART_EXIT_CODE = 79;

interface DgramSocket {
  send(buf: Buffer, offset: number, length: number, path: string, cb?: (err?: Error) => void): void;
  on(ev: 'error', cb: (err: Error) => void): void;
  close(): void;
}

export class SystemdNotifier {
  private sock: DgramSocket | null = null;
  private path: string | null = null;
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly log: Logger, private readonly env: NodeJS.ProcessEnv = process.env) {}

  /** True when started by systemd with a notify socket. */
  get active(): boolean {
    return this.path !== null;
  }

  start(): void {
    const p = this.env.NOTIFY_SOCKET;
    if (!p) return;
    // An abstract socket is written with a leading '@' and sent with a leading NUL.
    this.path = p.startsWith('@') ? '\0' + p.slice(1) : p;
    const require = createRequire(import.meta.url);
    const { createSocket } = require('unix-dgram') as { createSocket(type: 'unix_dgram'): DgramSocket };
    this.sock = createSocket('unix_dgram');
    this.sock.on('error', (err) => this.log.warn('sd_notify failed', { err }));
    this.send('READY=1\nMAINPID=' + process.pid);
    const usec = Number(this.env.WATCHDOG_USEC);
    const forPid = this.env.WATCHDOG_PID ? Number(this.env.WATCHDOG_PID) === process.pid : true;
    if (Number.isFinite(usec) && usec > 0 && forPid) {
      const ms = Math.max(100, Math.floor(usec / 2000));
      this.timer = setInterval(() => this.send('WATCHDOG=1'), ms);
      this.log.info('systemd watchdog armed', { everyMs: ms });
    }
  }

  status(text: string): void {
    this.send(`STATUS=${text.replace(/\n/g, ' ')}`);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.send('STOPPING=1');
    this.sock?.close();
    this.sock = null;
  }

  private send(msg: string): void {
    if (!this.sock || !this.path) return;
    const buf = Buffer.from(msg);
    this.sock.send(buf, 0, buf.length, this.path);
  }
}
