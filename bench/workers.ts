// The worker processes of the fleet benches (fleet, cluster): each runs many agents (bench/fleet-worker.ts) and
// answers the controller over IPC.
import { execFileSync, type ChildProcess } from 'node:child_process';

export type Msg = { type: string } & Record<string, any>;

/** The open-file limit the benches raise their processes to: the hard limit this machine allows (at most 65,536). */
export function nofileLimit(): number {
  const hard = execFileSync('prlimit', ['--pid', String(process.pid), '--nofile', '--output=HARD', '--noheadings'], { encoding: 'utf8' }).trim();
  return hard === 'unlimited' ? 65536 : Math.min(65536, Number(hard));
}

/** Sends `msg` and resolves with the worker's first message of type `reply`. */
export function rpc(w: ChildProcess, msg: Msg, reply: string): Promise<Msg> {
  return new Promise((resolve) => {
    const on = (m: Msg) => {
      if (m.type !== reply) return;
      w.off('message', on);
      resolve(m);
    };
    w.on('message', on);
    w.send(msg);
  });
}

/** Asks every worker to stop its agents cleanly; one that has not exited after `graceMs` is killed. */
export function stopWorkers(workers: ChildProcess[], graceMs = 10000): Promise<void[]> {
  return Promise.all(
    workers.map(
      (w) =>
        new Promise<void>((r) => {
          if (w.exitCode !== null) return r();
          const t = setTimeout(() => w.kill('SIGKILL'), graceMs);
          w.once('exit', () => {
            clearTimeout(t);
            r();
          });
          w.send({ type: 'stop' });
        }),
    ),
  );
}
