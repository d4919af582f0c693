// The agent killed with SIGKILL in the middle of saving a pushed config, and started again as systemd would.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ENV_CUT, ENV_JOURNAL } from '../../core/fs-cut.js';
import { sleep, waitFor } from '../../lab/wait.js';
import type { Fault } from './runner.js';

/** systemd/diemcau.service's RestartSec. */
const RESTART_SEC = 2;

/**
 * The durable file-system layer's cut (core/fs-cut.ts, docs/reliability.md) kills the agent with SIGKILL at the
 * 3rd operation of its run: the rename of the first pushed config's temp file over config.json (operations 1-4 are
 * its write, fsync, rename, fsync of the folder). The bench then starts the agent again after RestartSec, without
 * the cut, as `Restart=always` does.
 */
export function killDuringConfigWrite(): Fault {
  let journal = '';
  let killedAt = 0;
  let restartedAt = 0;
  return {
    name: 'agent killed -9 in a config write',
    how: `SIGKILL of the agent at the rename of a pushed config.json (core/fs-cut.ts), started again after RestartSec=${RESTART_SEC}`,
    agentDies: true,
    async setup(world, id) {
      journal = join(world.dir, `${id}-fs.journal`);
      return { spec: { env: { [ENV_JOURNAL]: journal, [ENV_CUT]: '3' } }, undo: async () => {} };
    },
    async inflict(ctx) {
      const dead = ctx.hall.agent;
      await waitFor('the agent cut in its config write', () => dead.proc.exitCode !== null || dead.proc.signalCode !== null, { timeoutMs: 30_000 });
      killedAt = Date.now();
      const ops = (await readFile(journal, 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
      const cut = ops.at(-1);
      if (dead.proc.signalCode !== 'SIGKILL' || cut?.n !== 3 || cut.op !== 'rename' || !String(cut.to).endsWith('/config.json')) {
        throw new Error(`the cut missed the config write: ${dead.proc.signalCode}, last operation ${JSON.stringify(cut)}`);
      }
      ctx.start = killedAt;
      await sleep(RESTART_SEC * 1000);
      ctx.hall.restart({});
      restartedAt = Date.now();
      ctx.end = killedAt;
    },
    // Noticed by systemd at once; what the table gives is when it acted: the restart.
    detected: () => restartedAt || null,
    // The hall must be back in its meeting too, as after any other fault: a restarted agent has no join to repeat
    // unless it kept one, and the console sends none by itself (docs/reliability.md says what this found).
    recoverTimeoutMs: 60_000,
  };
}
