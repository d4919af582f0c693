// The fleet's worker processes (fleet-worker.ts), as the fleet and console benches run them: forked under prlimit
// with the open-file limit raised (thousands of MQTT connections each), asked over IPC, stopped with a deadline.
import { execFileSync, fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const WORKER = fileURLToPath(new URL('./fleet-worker.js', import.meta.url));

/** The open-file limit the bench raises its processes to: the hard limit this machine allows (at most 65,536). */
function nofileLimit(): number {
  const hard = execFileSync('prlimit', ['--pid', String(process.pid), '--nofile', '--output=HARD', '--noheadings'], { encoding: 'utf8' }).trim();
  return hard === 'unlimited' ? 65536 : Math.min(65536, Number(hard));
}
export const NOFILE = nofileLimit();

export type Msg = { type: string } & Record<string, any>;

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

/**
 * `count` worker processes, each ready for its `start`. `nice` runs them at a lower CPU priority: the console bench
 * simulates 10,400 remote boxes on the machine that runs the server and the browser it measures.
 */
export async function forkWorkers(count: number, opts: { nice?: number } = {}): Promise<ChildProcess[]> {
  const workers: ChildProcess[] = [];
  const prlimit = ['prlimit', `--nofile=${NOFILE}`, process.execPath];
  const argv = opts.nice ? ['nice', '-n', String(opts.nice), ...prlimit] : prlimit;
  for (let p = 0; p < count; p++) {
    const w = fork(WORKER, [], { execPath: argv[0], execArgv: argv.slice(1), stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    workers.push(w);
    await new Promise<void>((r) => w.once('message', () => r()));
  }
  return workers;
}

/** Asks each worker to stop its agents and exit; SIGKILL after `killAfterMs`. */
export function stopWorkers(workers: ChildProcess[], killAfterMs = 10000): Promise<void> {
  return Promise.all(
    workers.map(
      (w) =>
        new Promise<void>((r) => {
          if (w.exitCode !== null || w.signalCode !== null) return r();
          const t = setTimeout(() => w.kill('SIGKILL'), killAfterMs);
          w.once('exit', () => {
            clearTimeout(t);
            r();
          });
          w.send({ type: 'stop' });
        }),
    ),
  ).then(() => {});
}
