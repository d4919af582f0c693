// sd_notify for Type=notify units: READY=1 once the agent runs, WATCHDOG=1 from the main event loop at half the
// unit's WatchdogSec (so a hung loop is killed and restarted by systemd), STATUS= lines, STOPPING=1 on the way out.
// The messages go through the unix-dgram addon, or systemd-notify when the addon does not load
// (agent/sd-notify-transport.ts); only under systemd (NOTIFY_SOCKET set).
import { addonFailure, addonTransport, helperTransport, onPath, type NotifyTransport } from './sd-notify-transport.js';
import type { Logger } from '../core/log.js';

/**
 * The exit code of a restart the centre asked for (`agent.restart`): the launcher passes it on (it restarts a slot
 * itself only for its own RESTART_EXIT_CODE), and the unit lists it in SuccessExitStatus= (not a failure) and
 * RestartForceExitStatus= (started again whatever Restart= says), so systemd starts a clean process.
 */
export const ASKED_RESTART_EXIT_CODE = 79;

export class SystemdNotifier {
  private transport: NotifyTransport | null = null;
  private timer: NodeJS.Timeout | null = null;
  private started = false;
  private pendingStatus: string | null = null;

  constructor(private readonly log: Logger, private readonly env: NodeJS.ProcessEnv = process.env) {}

  /** True when started by systemd with a notify socket. */
  get active(): boolean {
    return this.transport !== null;
  }

  /** Says READY and arms the watchdog; once (a factory box calls it before its claim, the agent after its start). */
  start(): void {
    if (this.started) return;
    this.started = true;
    const p = this.env.NOTIFY_SOCKET;
    if (!p) return;
    this.transport = this.openTransport(p);
    if (!this.transport) return;
    // No MAINPID: the launcher systemd started stays the main process. It is systemd's child, so systemd sees it
    // exit whenever the agent dies; an agent named main is not its child ("we'll most likely not notice when it
    // exits"), and a SIGKILLed agent went unnoticed until the watchdog fired.
    this.send('READY=1');
    if (this.pendingStatus) this.send(this.pendingStatus);
    this.pendingStatus = null;
    const usec = Number(this.env.WATCHDOG_USEC);
    const forPid = this.env.WATCHDOG_PID ? Number(this.env.WATCHDOG_PID) === process.pid : true;
    if (Number.isFinite(usec) && usec > 0 && forPid) {
      const ms = Math.max(100, Math.floor(usec / 2000));
      this.timer = setInterval(() => this.send('WATCHDOG=1'), ms);
      this.log.info('systemd watchdog armed', { everyMs: ms });
    }
  }

  /** Before start() the latest status is kept, and sent right after READY. */
  status(text: string): void {
    const msg = `STATUS=${text.replace(/\n/g, ' ')}`;
    if (this.started) this.send(msg);
    else this.pendingStatus = msg;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.send('STOPPING=1');
    this.transport?.close();
    this.transport = null;
  }

  private openTransport(socket: string): NotifyTransport | null {
    const onError = (err: Error) => this.log.warn('sd_notify failed', { err });
    // An abstract socket is written with a leading '@' and sent with a leading NUL (systemd-notify does this itself).
    try {
      return addonTransport(socket.startsWith('@') ? '\0' + socket.slice(1) : socket, onError);
    } catch (err) {
      const reason = addonFailure(err);
      const helper = onPath('systemd-notify', this.env);
      if (helper) {
        this.log.warn('sd_notify: the unix-dgram addon did not load; telling systemd through systemd-notify instead', { reason, helper });
        return helperTransport(helper, onError);
      }
      this.log.error(
        'sd_notify: the unix-dgram addon did not load and systemd-notify is not on PATH: systemd will not hear READY or the watchdog, and a Type=notify unit restarts the agent when its start times out',
        { reason },
      );
      return null;
    }
  }

  private send(msg: string): void {
    this.transport?.send(msg);
  }
}
