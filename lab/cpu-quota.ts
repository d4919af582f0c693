// A slow box on a fast machine: a cgroup (v1) cpu controller group with a CFS quota, into which a process is moved
// (issue 14, "A slow box"). The quota is in CPUs (0.25: a quarter of one core's time, enforced every 100 ms period).
// Named after the owner's pid, so that a group a killed bench left is swept by the next one (no signal handlers).
// Needs root and a writable /sys/fs/cgroup/cpu; `createCpuQuota` answers why not when it cannot.
//
// Real-time threads: run as root, libwebrtc gives its audio device, audio encoder, pacer and RTP threads SCHED_FIFO,
// which a CFS quota does not limit (and which the kernel refuses to move into a group without real-time runtime:
// EINVAL). On a box the agent runs as the `diemcau` user (systemd/diemcau.service) with no RLIMIT_RTPRIO or
// capability, so libwebrtc's request fails there and every thread is an ordinary one. `add` makes the process look
// like that first: its real-time threads are set back to SCHED_OTHER (chrt), and threads it starts later inside the
// group cannot become real-time (the group has no real-time runtime).
import { mkdir, readdir, readFile, rmdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const ROOT = '/sys/fs/cgroup/cpu';
const PERIOD_US = 100_000;

export interface CpuQuota {
  path: string;
  /** The quota in CPUs, or null for none (the group then runs unlimited). */
  set(cpus: number | null): Promise<void>;
  /** Moves a process (all its threads) into the group; its children born later are in it too. */
  add(pid: number): Promise<void>;
  /** Moves a process back out to the root group. */
  release(pid: number): Promise<void>;
  /** Every process back to the root group, and the group removed. */
  close(): Promise<void>;
}

const alive = (pid: number) => readFile(`/proc/${pid}/stat`).then(() => true, () => false);

async function procsOf(dir: string): Promise<number[]> {
  const text = await readFile(join(dir, 'cgroup.procs'), 'utf8').catch(() => '');
  return text.split('\n').filter(Boolean).map(Number);
}

async function removeGroup(dir: string): Promise<void> {
  for (const pid of await procsOf(dir)) await writeFile(join(ROOT, 'cgroup.procs'), String(pid)).catch(() => {});
  await rmdir(dir).catch(() => {});
}

/** Groups of owners that are gone. */
async function sweep(): Promise<void> {
  for (const name of await readdir(ROOT).catch(() => [] as string[])) {
    const m = /^diemcau-(\d+)-/.exec(name);
    if (m && !(await alive(Number(m[1])))) await removeGroup(join(ROOT, name));
  }
}

export async function createCpuQuota(tag: string): Promise<CpuQuota | { reason: string }> {
  try {
    await readFile(join(ROOT, 'cpu.cfs_quota_us'), 'utf8');
  } catch (err) {
    return { reason: `no cgroup v1 cpu controller at ${ROOT} (${(err as Error).message})` };
  }
  await sweep();
  const path = join(ROOT, `diemcau-${process.pid}-${tag}`);
  try {
    await mkdir(path);
    await writeFile(join(path, 'cpu.cfs_period_us'), String(PERIOD_US));
  } catch (err) {
    await rmdir(path).catch(() => {});
    return { reason: `cannot make a cpu cgroup at ${path}: ${(err as Error).message}` };
  }
  return {
    path,
    async set(cpus) {
      const us = cpus === null ? -1 : Math.max(1000, Math.round(cpus * PERIOD_US));
      await writeFile(join(path, 'cpu.cfs_quota_us'), String(us));
    },
    async add(pid) {
      for (const tid of await realtimeThreads(pid)) await promisify(execFile)('chrt', ['--other', '--pid', '0', String(tid)]);
      await writeFile(join(path, 'cgroup.procs'), String(pid));
    },
    async release(pid) {
      await writeFile(join(ROOT, 'cgroup.procs'), String(pid));
    },
    close: () => removeGroup(path),
  };
}

/** The children of a process (every thread's), from /proc. */
export async function childrenOf(pid: number): Promise<number[]> {
  const out: number[] = [];
  for (const tid of await readdir(`/proc/${pid}/task`).catch(() => [] as string[])) {
    const text = await readFile(`/proc/${pid}/task/${tid}/children`, 'utf8').catch(() => '');
    out.push(...text.split(' ').filter(Boolean).map(Number));
  }
  return out;
}

/** Threads of a process under SCHED_FIFO or SCHED_RR (the `policy` field of /proc/PID/task/TID/stat, proc(5)). */
export async function realtimeThreads(pid: number): Promise<number[]> {
  const out: number[] = [];
  for (const tid of await readdir(`/proc/${pid}/task`).catch(() => [] as string[])) {
    const stat = await readFile(`/proc/${pid}/task/${tid}/stat`, 'utf8').catch(() => '');
    const policy = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[38]); // field 41
    if (policy === 1 || policy === 2) out.push(Number(tid));
  }
  return out;
}
