// Structured JSON logs, one line per event, to stdout (journald keeps them). Small on purpose: the agent's
// memory budget is tight, and a line of JSON is all journald needs.

export type Level = 'debug' | 'info' | 'warn' | 'error';
const rank: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  child(fields: Record<string, unknown>): Logger;
}

export type Sink = (line: string) => void;

const stdoutSink: Sink = (line) => {
  process.stdout.write(line + '\n');
};

function errorFields(v: unknown): unknown {
  if (v instanceof Error) {
    const e = v as Error & { code?: unknown };
    return { message: e.message, name: e.name, code: e.code };
  }
  return v;
}

export function createLogger(
  base: Record<string, unknown> = {},
  level: Level = (process.env.DIEMCAU_LOG_LEVEL as Level) || 'info',
  sink: Sink = stdoutSink,
): Logger {
  const min = rank[level] ?? rank.info;
  const emit = (lvl: Level, msg: string, fields?: Record<string, unknown>): void => {
    if (rank[lvl] < min) return;
    const rec: Record<string, unknown> = { time: new Date().toISOString(), level: lvl, ...base, msg };
    if (fields) for (const [k, v] of Object.entries(fields)) rec[k] = errorFields(v);
    sink(JSON.stringify(rec));
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
    child: (fields) => createLogger({ ...base, ...fields }, level, sink),
  };
}

/** A logger that drops everything: for many agents in one bench process. */
export const silentLogger: Logger = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
  child: () => silentLogger,
};
