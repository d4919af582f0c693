// The display's commands (`display.*`).
import { Type } from '../schema/type.js';
import { defineCommand } from './define.js';

const OnOff = Type.Object({ on: Type.Boolean() }, { additionalProperties: false });

export const displayCommands = {
  power: defineCommand({
    name: 'display.power',
    summary: 'Switch the display on or off; answers with the state the display reports afterwards.',
    schema: OnOff,
  }),
  input: defineCommand({
    name: 'display.input',
    summary: 'Switch the display to an input (hdmi1, hdmi2, ...; over CEC: to the box).',
    schema: Type.Object({ input: Type.String({ minLength: 1, maxLength: 32 }) }, { additionalProperties: false }),
  }),
  volume: defineCommand({
    name: 'display.volume',
    summary: 'Set the display volume, 0-100.',
    schema: Type.Object({ level: Type.Integer({ minimum: 0, maximum: 100 }) }, { additionalProperties: false }),
  }),
  mute: defineCommand({ name: 'display.mute', summary: 'Mute or unmute the display speakers.', schema: OnOff }),
  simUnplug: defineCommand({
    name: 'display.sim-unplug',
    summary: 'Simulation only: pull the simulated display cable for `seconds`, then plug it back at the same path.',
    schema: Type.Object({ seconds: Type.Number({ minimum: 0, maximum: 600 }) }, { additionalProperties: false }),
  }),
};
