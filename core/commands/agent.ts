// The agent's own commands, which every hall takes whatever its devices.
import { Type } from '../schema/type.js';
import { defineCommand } from './define.js';

const NoArgs = Type.Object({}, { additionalProperties: false });

export const agentCommands = {
  ping: defineCommand({ name: 'ping', summary: 'Answers the agent version and uptime.', schema: NoArgs }),
  stateGet: defineCommand({ name: 'state.get', summary: 'Answers the whole reported state now.', schema: NoArgs }),
  commandsList: defineCommand({ name: 'commands.list', summary: 'Lists the commands this hall takes, with their argument schemas.', schema: NoArgs }),
  restart: defineCommand({
    name: 'agent.restart',
    summary: 'Answers, then stops the agent cleanly and exits for systemd to start it again (refused busy during a trial start).',
    schema: NoArgs,
  }),
};
