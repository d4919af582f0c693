// Periodic telemetry: CPU, memory, temperature where the OS exposes it, load and the network link, and the agent's
// and its media worker's process health (process-health.ts: heap, handles, descriptors, event-loop delay). Read from
// /proc and /sys (Linux); what a machine does not expose is left out, never invented.
import { readFile, readdir } from 'node:fs/promises';
import { loadavg, totalmem, freemem, cpus } from 'node:os';
import type { ProcessHealth, Telemetry } from '../core/payloads.js';
import { processHealthMeter } from './process-health.js';

/** The telemetry payload: core/payloads.ts's schema, which the console validates against. */
export type { Telemetry };

let lastCpu: { idle: number; total: number } | null = null;

function cpuTotals(): { idle: number; total: number } {
  let idle = 0;
  let total = 0;
  for (const c of cpus()) {
    const t = c.times;
    idle += t.idle;
    total += t.user + t.nice + t.sys + t.idle + t.irq;
  }
  return { idle, total };
}

/** Whole-machine CPU use since the previous call (null on the first). */
function cpuPercent(): number | null {
  const now = cpuTotals();
  const prev = lastCpu;
  lastCpu = now;
  if (!prev || now.total <= prev.total) return null;
  return Math.round((1 - (now.idle - prev.idle) / (now.total - prev.total)) * 1000) / 10;
}

/** SoC temperature: /sys/class/thermal/thermal_zone0/temp in millidegrees (Raspberry Pi's cpu-thermal). */
async function temperature(root = '/sys/class/thermal'): Promise<number | null> {
  try {
    const raw = await readFile(`${root}/thermal_zone0/temp`, 'utf8');
    const v = Number(raw.trim());
    return Number.isFinite(v) ? Math.round(v / 100) / 10 : null;
  } catch {
    return null;
  }
}

/** The interface of the default route (/proc/net/route), its operstate and speed. */
async function defaultLink(): Promise<Telemetry['link']> {
  try {
    const routes = (await readFile('/proc/net/route', 'utf8')).split('\n').slice(1);
    let iface = routes.map((l) => l.split('\t')).find((f) => f[1] === '00000000')?.[0];
    if (!iface) {
      const all = await readdir('/sys/class/net');
      iface = all.find((n) => n !== 'lo');
    }
    if (!iface) return null;
    const state = (await readFile(`/sys/class/net/${iface}/operstate`, 'utf8').catch(() => 'unknown')).trim();
    const speedRaw = await readFile(`/sys/class/net/${iface}/speed`, 'utf8').catch(() => '');
    const speed = Number(speedRaw.trim());
    return { iface, up: state === 'up' || state === 'unknown', speedMbps: Number.isFinite(speed) && speed > 0 ? speed : null };
  } catch {
    return null;
  }
}

// Many agents in one bench process share one reading per second instead of each reading /proc.
// The process reading is one per process too (its loop delay covers the time since the previous reading).
let cached: { at: number; value: Promise<Omit<Telemetry, 'rssMb' | 'uptimeS' | 'ts' | 'mediaWorker'>> } | null = null;

/** `startedMono`: performance.now() when the agent started. Both durations here are monotonic: an NTP step of the
 * wall clock back by a day would otherwise keep the cached reading for a day, and report a negative uptime.
 * `mediaWorker`: the worker's own last reading, when the agent runs one (null while none has reported). */
export async function readTelemetry(startedMono: number, mediaWorker?: ProcessHealth | null): Promise<Telemetry> {
  if (!cached || performance.now() - cached.at > 1000) {
    cached = {
      at: performance.now(),
      value: (async () => ({
        cpuPct: cpuPercent(),
        loadavg: loadavg().map((v) => Math.round(v * 100) / 100),
        memTotalMb: Math.round(totalmem() / 1048576),
        memFreeMb: Math.round(freemem() / 1048576),
        tempC: await temperature(),
        link: await defaultLink(),
        process: await processHealthMeter().read(),
      }))(),
    };
  }
  const base = await cached.value;
  return {
    ts: new Date().toISOString(),
    ...base,
    rssMb: Math.round((process.memoryUsage.rss() / 1048576) * 10) / 10,
    uptimeS: Math.round((performance.now() - startedMono) / 1000),
    ...(mediaWorker !== undefined ? { mediaWorker } : {}),
  };
}
