// Keeps a process's JavaScript heap from creeping: the media worker's (every 30 s) and the agent's (every minute).
// Both allocate steadily (the worker a callback object per frame read, per mic chunk, per stats reading; the agent
// per MQTT packet, telemetry reading and device poll), and what lives past two scavenges is promoted to the old
// generation. On a machine with much RAM V8 sets the old generation's first limit high, so that garbage piles up for
// a long time before the first full collection: measured, about 1 MB of RSS a minute in the worker (bench media, all
// of it old-space pages, v8.getHeapSpaceStatistics) and 0.2-0.4 MB a minute in the agent (bench soak: its heap after
// a forced full collection stayed at 8 MB while its RSS rose), gone at the next full collection. A hall sits in a
// meeting for hours on a 1 GB box, so each process asks for a full collection itself, every `everyMs`, concurrent
// (`execution: 'async'`): the marking runs on V8's helper threads and the main thread, which feeds frames, pauses
// only for the final step. Needs node's `--expose-gc` (agent/node-flags.ts); without it this does nothing and says so.
import { PerformanceObserver, constants } from 'node:perf_hooks';

type GcFunction = (opts?: { type?: 'major' | 'minor'; execution?: 'sync' | 'async' }) => void | Promise<void>;

export interface HeapStats {
  /** Full collections seen (ours and V8's own). */
  majorGcs: number;
  /** Longest main-thread pause of a full collection, ms. */
  maxPauseMs: number;
  /** Heap in use after the last full collection, MB. */
  usedMb: number;
}

export class HeapCollector {
  private readonly stats: HeapStats = { majorGcs: 0, maxPauseMs: 0, usedMb: 0 };
  private timer: NodeJS.Timeout | null = null;
  private readonly observer: PerformanceObserver;
  readonly available: boolean;

  constructor(private readonly gc: GcFunction | undefined = (globalThis as { gc?: GcFunction }).gc) {
    this.available = typeof this.gc === 'function';
    this.observer = new PerformanceObserver((list) => {
      for (const e of list.getEntries()) {
        if ((e as unknown as { detail?: { kind?: number } }).detail?.kind !== constants.NODE_PERFORMANCE_GC_MAJOR) continue;
        this.stats.majorGcs++;
        this.stats.maxPauseMs = Math.max(this.stats.maxPauseMs, Math.round(e.duration * 100) / 100);
        this.stats.usedMb = Math.round((process.memoryUsage().heapUsed / 1048576) * 100) / 100;
      }
    });
    this.observer.observe({ entryTypes: ['gc'] });
  }

  /** Starts the timer; false when the process was started without `--expose-gc`. */
  start(everyMs: number): boolean {
    if (!this.available || this.timer) return this.available;
    this.timer = setInterval(() => void this.collect(), everyMs);
    this.timer.unref();
    return true;
  }

  /** One concurrent full collection now. */
  async collect(): Promise<void> {
    await this.gc?.({ type: 'major', execution: 'async' });
  }

  report(): HeapStats {
    return { ...this.stats };
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.observer.disconnect();
  }
}
