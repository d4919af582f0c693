// The button panel's commands (`panel.*`).
import { Type } from '../schema/type.js';
import { defineCommand } from './define.js';

export const panelCommands = {
  relay: defineCommand({
    name: 'panel.relay',
    summary: 'Switch a named relay on or off.',
    schema: Type.Object({ name: Type.String({ minLength: 1, maxLength: 64 }), on: Type.Boolean() }, { additionalProperties: false }),
  }),
  ledTest: defineCommand({
    name: 'panel.led-test',
    summary: 'Light every LED for a second, then go back to the hall-state pattern.',
    schema: Type.Object({}, { additionalProperties: false }),
  }),
  simPress: defineCommand({
    name: 'panel.sim-press',
    summary: 'Simulation only: press a panel button for `ms` milliseconds; answers with the inputs it caused.',
    schema: Type.Object(
      { button: Type.Union([Type.Literal('talk'), Type.Literal('mute')]), ms: Type.Integer({ minimum: 0, maximum: 10000 }) },
      { additionalProperties: false },
    ),
  }),
};
