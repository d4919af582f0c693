// The JSON log lines a child process writes to stdout (core/log.ts: one JSON object a line), kept for assertions,
// with a wait for the first line that matches. Used for `diemcau run` and `diemcau-provision serve`.
import type { Readable } from 'node:stream';

export interface JsonLines {
  lines: Array<Record<string, unknown>>;
  /** Resolves with the first line that matches, or rejects after timeoutMs naming what it waited for. */
  waitLog(pred: (l: Record<string, unknown>) => boolean, what: string, timeoutMs?: number): Promise<Record<string, unknown>>;
}

/** `describe()` adds to a timeout's message (the process's stderr). */
export function jsonLines(stdout: Readable, who: string, describe: () => string): JsonLines {
  const lines: Array<Record<string, unknown>> = [];
  const waiters: Array<() => void> = [];
  let buf = '';
  stdout.setEncoding('utf8');
  stdout.on('data', (d: string) => {
    buf += d;
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      try {
        lines.push(JSON.parse(line));
      } catch {
        lines.push({ raw: line });
      }
      for (const w of waiters.splice(0)) w();
    }
  });
  return {
    lines,
    waitLog(pred, what, timeoutMs = 10000) {
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`${who} log: no "${what}" within ${timeoutMs} ms; ${describe()}`)), timeoutMs);
        const check = () => {
          const hit = lines.find(pred);
          if (hit) {
            clearTimeout(t);
            resolve(hit);
          } else waiters.push(check);
        };
        check();
      });
    },
  };
}
