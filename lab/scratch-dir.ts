// A temporary directory that lives as long as the test that asked for it: the suite leaves nothing behind in the
// temp dir (scripts/test.sh fails when a test does), pass or fail.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** What scratchDir needs of a tap test: any `t`, the file's own or a subtest's. */
export interface Teardowns {
  teardown(fn: () => unknown): void;
}

/**
 * A new directory under os.tmpdir() named `prefix` and a random tail, removed when `t` ends. tap runs teardowns last
 * registered first, so whatever the test starts after this (an agent writing into it) is stopped before it is removed.
 */
export async function scratchDir(t: Teardowns, prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}
