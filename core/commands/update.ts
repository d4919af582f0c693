// The field update's commands (agent/update/).
import { Type } from '../schema/type.js';
import { defineCommand } from './define.js';

export const updateCommands = {
  update: defineCommand({
    name: 'update',
    summary: 'Downloads, verifies and installs a signed bundle into the inactive slot, then restarts into it.',
    schema: Type.Object({ url: Type.String({ pattern: '^https?://', examples: ['https://updates.example/diemcau-0.2.0.tar'] }), version: Type.String({ minLength: 1 }) }, { additionalProperties: false }),
  }),
  status: defineCommand({
    name: 'update.status',
    summary: 'Answers the running version, whether it is committed, and the last failed update.',
    schema: Type.Object({}, { additionalProperties: false }),
  }),
};
