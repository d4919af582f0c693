// A socat pty pair at two stable paths (symlinks) in a directory of its own, for simulated devices and tests: the
// driver opens one path, the simulator the other. `unplug()` kills socat (both ends see the line drop, socat removes
// the links) and `plug()` starts a new pair at the same paths, so the driver reopens the same name as it would a USB
// adapter coming back. `close()` unplugs for good and removes the directory.
//
// socat runs under a small shell that reads a pipe from this process: when this process dies, even by SIGKILL, the
// pipe closes, the shell ends socat and removes the directory. Without it a killed agent left its socat processes
// and temp directories behind (issue 10).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stopChild } from '../core/stop-child.js';

// $1, $2: the two socat addresses; $3: the directory. A line on stdin ("unplug") ends socat and keeps the
// directory for the next plug; end of file without it (the parent is gone) ends socat and removes the directory.
const KEEPER = `socat -d -d "$1" "$2" <&- & s=$!
read -r why || why=gone
kill -TERM "$s" 2>/dev/null; wait "$s"
[ "$why" = unplug ] || rm -rf -- "$3"`;

/** SIGKILL to what is left of `proc`'s process group (nothing, usually). */
function killGroup(proc: ChildProcess): void {
  try {
    if (proc.pid) process.kill(-proc.pid, 'SIGKILL');
  } catch {
    // no such group: all of it has exited
  }
}

export class SimPty {
  /** Path the driver opens. */
  readonly driverPath: string;
  /** Path the simulator opens. */
  readonly simPath: string;
  private proc: ChildProcess | null = null;

  private constructor(readonly dir: string) {
    this.driverPath = join(dir, 'driver');
    this.simPath = join(dir, 'sim');
  }

  /** A pair in a new directory under the system's temp dir, named after `prefix`; not yet plugged. */
  static async create(prefix: string): Promise<SimPty> {
    return new SimPty(await mkdtemp(join(tmpdir(), `${prefix}-`)));
  }

  get plugged(): boolean {
    return this.proc !== null;
  }

  /** Starts socat; resolves when both links exist and data flows. */
  async plug(timeoutMs = 5000): Promise<void> {
    if (this.proc) return;
    await Promise.all([rm(this.driverPath, { force: true }), rm(this.simPath, { force: true })]);
    const proc = spawn(
      'sh',
      ['-c', KEEPER, 'sim-pty', `pty,raw,echo=0,link=${this.driverPath}`, `pty,raw,echo=0,link=${this.simPath}`, this.dir],
      // Its own process group: socat is the shell's background job, and a shell killed after its grace would leave
      // socat holding the pty (the driver's port never closes); the group is killed after it (unplug()).
      { stdio: ['pipe', 'ignore', 'pipe'], detached: true },
    );
    proc.stdin!.on('error', () => {});
    await new Promise<void>((resolve, reject) => {
      let err = '';
      const timer = setTimeout(() => {
        void stopChild(proc, 'SIGKILL', 0).then(() => killGroup(proc));
        reject(new Error(`socat: no pty pair at ${this.driverPath} within ${timeoutMs} ms: ${err.trim()}`));
      }, timeoutMs);
      proc.once('error', (e) => {
        clearTimeout(timer);
        reject(new Error(`socat: cannot start (is it installed?): ${e.message}`));
      });
      proc.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`socat exited (${code}) before the pty pair was ready: ${err.trim()}`));
      });
      proc.stderr!.setEncoding('utf8');
      proc.stderr!.on('data', (chunk: string) => {
        err += chunk;
        if (/starting data transfer loop/.test(err)) {
          clearTimeout(timer);
          proc.removeAllListeners('exit');
          proc.stderr!.removeAllListeners('data');
          proc.stderr!.resume();
          resolve();
        }
      });
    });
    this.proc = proc;
  }

  /** Ends socat: the line drops for both ends; the paths stay free for the next plug(). */
  async unplug(): Promise<void> {
    const proc = this.proc;
    this.proc = null;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    await stopChild(proc, () => proc.stdin!.end('unplug\n'), 5000);
    killGroup(proc); // whatever of the group outlived the shell (socat, when the shell was killed after its grace)
    await Promise.all([rm(this.driverPath, { force: true }), rm(this.simPath, { force: true })]);
  }

  /** Unplugs for good and removes the directory. */
  async close(): Promise<void> {
    await this.unplug();
    await rm(this.dir, { recursive: true, force: true });
  }
}
