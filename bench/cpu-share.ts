// Where the CPU goes while a bench runs, from /proc: CPU seconds of this process and each of its descendants,
// grouped by what they are (by command line), and of the whole machine (every process, the other work on a shared
// machine included), with the load average. Two readings apart give CPU seconds per second for each.
import { readFileSync, readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { cpus } from 'node:os';

export interface CpuReading {
  at: number;
  /** CPU seconds by role, this process and its descendants. */
  roles: Map<string, number>;
  /** CPU seconds of the whole machine, busy (not idle or iowait). */
  machine: number;
  load1: number;
}

const TICK = 100; // USER_HZ on Linux

/** Reads /proc; `role(cmdline)` names a process's role ('' leaves it out). */
export function readCpu(role: (cmdline: string) => string): CpuReading {
  const parent = new Map<number, number>();
  const ticks = new Map<number, number>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const x = readFileSync(`/proc/${d}/stat`, 'utf8').split(') ')[1].split(' ');
      parent.set(Number(d), Number(x[1]));
      ticks.set(Number(d), Number(x[11]) + Number(x[12]));
    } catch {
      // gone meanwhile
    }
  }
  const mine = (pid: number): boolean => {
    for (let p = pid, hops = 0; p > 1 && hops < 20; p = parent.get(p) ?? 0, hops++) if (p === process.pid) return true;
    return false;
  };
  const roles = new Map<string, number>();
  for (const [pid, t] of ticks) {
    if (!mine(pid)) continue;
    let cmd = '';
    try {
      cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
    } catch {
      continue;
    }
    const r = pid === process.pid ? 'bench' : role(cmd);
    if (r) roles.set(r, (roles.get(r) ?? 0) + t / TICK);
  }
  const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const busy = cpu.reduce((s, v) => s + v, 0) - cpu[3] - cpu[4];
  return { at: Date.now(), roles, machine: busy / TICK, load1: Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]) };
}

/** CPU seconds per second between two readings, by role and for the machine (with its cores). */
export function cpuPerSecond(a: CpuReading, b: CpuReading): { roles: Record<string, number>; machine: number; cores: number; load1: number } {
  const s = (b.at - a.at) / 1000;
  const roles: Record<string, number> = {};
  for (const [r, v] of b.roles) roles[r] = Math.round(((v - (a.roles.get(r) ?? 0)) / s) * 1000) / 1000;
  return { roles, machine: Math.round(((b.machine - a.machine) / s) * 1000) / 1000, cores: cpus().length, load1: b.load1 };
}

/** CPU seconds (user + system) one process has used so far. */
export async function cpuSeconds(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / TICK;
}
