// Loaded first into every test process (`node-arg` in .taprc): the processes a test starts (agents, the console,
// diemcau-provision, media workers, benches' children) run with the node flags they have on a box, not with tap's.
//
// tap's process-info import wraps child_process (the `process-on-spawn` package) so that every node process a test
// starts, and every one those start, loads tap's module hooks: a loader thread that is sent the text of every module
// the process loads, kept for coverage, which this suite does not collect (.taprc). On a box nothing does that, and it
// is not free: measured on this machine, `diemcau-provision --version` took 0.21 s of CPU plain and 0.47 s with it,
// paid again by every agent, console, CLI call and media worker of the suite. So the wrap is taken off here, and the
// NODE_OPTIONS tap gave this process is not passed on. Environment a test gives a child on purpose is untouched.
const WRAP = Symbol.for('process-on-spawn@*:singletonId');

interface SpawnWrap {
  listeners: unknown[];
  unwrap?: () => void;
}

/** Whether a NODE_OPTIONS value is tap's (and nothing else). */
function isTapsNodeOptions(value: string | undefined): boolean {
  return value !== undefined && value.split(/\s+/).filter(Boolean).every((o) => o.includes('/@tapjs/'));
}

function plainChildren(): void {
  const wrap = (globalThis as Record<symbol, SpawnWrap | undefined>)[WRAP];
  if (wrap) {
    wrap.listeners = [];
    wrap.unwrap?.();
  }
  if (isTapsNodeOptions(process.env.NODE_OPTIONS)) delete process.env.NODE_OPTIONS;
}

plainChildren();
