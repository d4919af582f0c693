// The page's model (central/web/model.ts, the code the browser runs) keeps each operation's progress moving forward:
// the start's own answer can be read after the live feed's first counts (the fetch and the WebSocket are separate
// pipes, and on a busy machine either comes first), and a sweep shown "pending" from that older answer stayed so for
// good (stressed run 93: still pending after 60 s, every hall long answered).
import t from 'tap';
import type { CommandProgress, LiveMessage, ProgressKind, ReadyCounts, RollcallCounts } from '../../central/wire.js';

interface PageModel {
  apply(m: LiveMessage): void;
  report<K extends ProgressKind>(kind: K, p: unknown): any;
  progress: Record<ProgressKind, Map<number, any>>;
  progressChanged: { on(fn: (p: Record<string, unknown>) => void): void };
}
// Loaded by path: the page's code is compiled for the browser (central/web/tsconfig.json), not with the tests.
const { Model } = (await import(new URL('../../central/web/model.js', import.meta.url).href)) as { Model: new () => PageModel };

const ready = (pending: number, failed: number): { id: number; counts: ReadyCounts } => ({ id: 7, counts: { passed: 0, failed, offline: 0, pending } });
const diff = (seq: number, extra: Partial<LiveMessage>): LiveMessage => ({ t: 'diff', seq, halls: [], ...extra });

t.test("a sweep's start answer read after the feed's last counts: the page keeps the last counts", async (t) => {
  const m = new Model();
  const told: unknown[] = [];
  m.progressChanged.on((p) => told.push(p.readiness));
  m.apply({ t: 'snapshot', seq: 1, halls: [] });
  m.apply(diff(2, { readiness: ready(1, 2) }));
  m.apply(diff(3, { readiness: ready(0, 3) }));
  const held = m.report('readiness', ready(3, 0));
  t.same(held, ready(0, 3), 'report answers with what the page holds: the sweep done');
  t.same(m.progress.readiness.get(7), ready(0, 3));
  t.same(told, [ready(1, 2), ready(0, 3)], 'the views were never told the older counts');
});

t.test('the start answer first, then the feed: each told in turn', async (t) => {
  const m = new Model();
  const told: unknown[] = [];
  m.progressChanged.on((p) => told.push(p.readiness));
  m.report('readiness', ready(3, 0));
  m.apply(diff(2, { readiness: ready(0, 3) }));
  t.same(told, [ready(3, 0), ready(0, 3)]);
});

t.test('roll calls and commands the same way; another operation is not held back by the first', async (t) => {
  const m = new Model();
  const rc = (answered: number, confirmed: number): { id: number; counts: RollcallCounts } => ({ id: 3, counts: { asked: 4, answered, heard: 0, confirmed, missing: 4 - confirmed } });
  m.apply(diff(1, { rollcall: rc(4, 1) }));
  t.same(m.report('rollcall', rc(0, 0)), rc(4, 1), 'a roll call does not go back');
  m.apply(diff(2, { rollcall: { ...rc(4, 1), counts: { ...rc(4, 1).counts, missing: 2 } } }));
  t.equal(m.progress.rollcall.get(3).counts.missing, 2, 'a report as far along is taken (missing may change)');
  const cmd = (id: number, answered: number, done = false): CommandProgress => ({ id, command: 'join', asked: 3, answered, ok: answered, failed: 0, done });
  m.apply(diff(3, { command: cmd(9, 3, true) }));
  t.same(m.report('command', cmd(9, 0)), cmd(9, 3, true), 'a finished join stays finished');
  t.same(m.report('command', cmd(10, 0)), cmd(10, 0), 'a new operation starts from its own answer');
});
