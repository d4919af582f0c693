// What a process that runs for months must not accumulate, read from inside it: resident memory, V8 heap in use,
// active libuv handles and requests, open file descriptors, and how late the event loop runs its callbacks. The
// agent's telemetry carries the agent's reading and the media worker's (the worker reads its own and reports it);
// the soak bench (bench/soak.ts) charts them over hours. Linux only for the descriptors (/proc/self/fd); elsewhere
// they are null, never invented.
import { readdir } from 'node:fs/promises';
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import type { ProcessHealth } from '../core/payloads.js';

export type { ProcessHealth };

const mb = (bytes: number) => Math.round((bytes / 1048576) * 10) / 10;
const ms = (ns: number) => Math.round(ns / 1e4) / 100;

async function openFds(): Promise<number | null> {
  try {
    return (await readdir('/proc/self/fd')).length - 1; // the directory handle readdir itself holds
  } catch {
    return null;
  }
}

/** One per process: the event-loop delay histogram runs from the first use and is read (and reset) by `read()`. */
export class ProcessHealthMeter {
  private readonly loop: IntervalHistogram;

  /** `resolutionMs`: the histogram samples the loop this often (a timer of its own inside libuv). */
  constructor(private readonly resolutionMs = 10) {
    this.loop = monitorEventLoopDelay({ resolution: resolutionMs });
    this.loop.enable();
  }

  /** The reading now; the loop delay covers the time since the previous read (or since the meter started). */
  async read(): Promise<ProcessHealth> {
    const fds = await openFds();
    const m = process.memoryUsage();
    // Node's histogram records each whole interval of its timer (an idle loop reads `resolutionMs`, measured: min
    // 10.04 ms at a 10 ms resolution): the delay is what lies beyond it. With no samples yet it reads 0.
    const late = (ns: number) => ms(Math.max(0, ns - this.resolutionMs * 1e6));
    const h = { p50: late(this.loop.percentile(50)), p99: late(this.loop.percentile(99)), max: late(this.loop.max) };
    this.loop.reset();
    return {
      rssMb: mb(m.rss),
      heapMb: mb(m.heapUsed),
      handles: process.getActiveResourcesInfo().length,
      fds,
      loopDelayMs: h,
    };
  }

  stop(): void {
    this.loop.disable();
  }
}

let shared: ProcessHealthMeter | null = null;

/** The process's meter, made on first use (the fleet bench runs many agents in one process: one loop, one meter). */
export function processHealthMeter(): ProcessHealthMeter {
  return (shared ??= new ProcessHealthMeter());
}
