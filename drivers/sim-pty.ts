// A socat pty pair at two stable paths (symlinks), for simulated devices and tests: the driver opens one path, the
// simulator the other. `unplug()` kills socat (both ends see the line drop, socat removes the links) and `plug()`
// starts a new pair at the same paths, so the driver reopens the same name as it would a USB adapter coming back.
import { spawn, type ChildProcess } from 'node:child_process';
import { rm } from 'node:fs/promises';

export class SimPty {
  /** Path the driver opens. */
  readonly driverPath: string;
  /** Path the simulator opens. */
  readonly simPath: string;
  private proc: ChildProcess | null = null;

  constructor(driverPath: string, simPath: string) {
    this.driverPath = driverPath;
    this.simPath = simPath;
  }

  get plugged(): boolean {
    return this.proc !== null;
  }

  /** Starts socat; resolves when both links exist and data flows. */
  async plug(timeoutMs = 5000): Promise<void> {
    if (this.proc) return;
    await Promise.all([rm(this.driverPath, { force: true }), rm(this.simPath, { force: true })]);
    const proc = spawn(
      'socat',
      ['-d', '-d', `pty,raw,echo=0,link=${this.driverPath}`, `pty,raw,echo=0,link=${this.simPath}`],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    await new Promise<void>((resolve, reject) => {
      let err = '';
      const timer = setTimeout(() => {
        proc.kill('SIGKILL');
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

  /** Kills socat: the line drops for both ends. */
  async unplug(): Promise<void> {
    const proc = this.proc;
    this.proc = null;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      proc.once('exit', () => resolve());
      proc.kill('SIGTERM');
    });
    await Promise.all([rm(this.driverPath, { force: true }), rm(this.simPath, { force: true })]);
  }
}
