// The agent's own commands (ping, state.get, commands.list, agent.restart), each spec from core/commands/agent.ts
// bound to what answers it.
import { command, type CommandSpec } from '../core/commands/define.js';
import { agentCommands as c } from '../core/commands/agent.js';
import { BadRequestError } from '../core/errors.js';
import type { CommandRouter } from './command-router.js';
import type { ReportedState } from './reported-state.js';

export interface AgentCommandDeps {
  version: string;
  /** performance.now() when the agent started: uptime is measured on the monotonic clock. */
  startedMono: number;
  state: ReportedState;
  router: CommandRouter;
  /** Absent where the agent does not run as `diemcau run` (nothing would start it again). */
  restart?: () => void;
}

export function agentCommandHandlers(d: AgentCommandDeps): CommandSpec[] {
  return [
    command(c.ping, 1000, async () => ({ version: d.version, uptimeS: Math.round((performance.now() - d.startedMono) / 1000) })),
    command(c.stateGet, 1000, async () => d.state.snapshot()),
    command(c.commandsList, 1000, async () => d.router.list().map((x) => ({ name: x.name, summary: x.summary, args: x.schema }))),
    command(c.restart, 1000, async () => {
      if (!d.restart) throw new BadRequestError('agent.restart: this agent does not run as `diemcau run`: nothing would start it again');
      d.restart(); // answers first: the restart waits for the reply to leave
      return { restarting: true, pid: process.pid };
    }),
  ];
}
