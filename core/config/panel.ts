// Config of the hall's button panel, LEDs and relays (config.devices.panel), by BCM line numbers.
import { Type, type Static } from '../schema/type.js';

const Line = (description: string) => Type.Integer({ minimum: 0, maximum: 53, description });

export const PanelConfig = Type.Object(
  {
    talkButton: Type.Optional(Line('BCM line of the "talk" (request the floor) button.')),
    muteButton: Type.Optional(Line('BCM line of the mute button; a long press forces audio-only.')),
    tallyLed: Type.Optional(Line('BCM line of the tally LED ("the centre sees and hears you").')),
    statusLed: Type.Optional(Line('BCM line of the status LED.')),
    relays: Type.Record(Type.String({ pattern: '^[a-z][a-z0-9-]*$' }), Line('BCM line of a relay.'), {
      default: {},
      examples: [{ display: 24, amplifier: 25 }, { 'projector-2': 5 }],
      description: 'Named relays (e.g. display, amplifier) and their BCM lines.',
    }),
    activeLow: Type.Boolean({ default: true, description: 'Buttons pull the line low when pressed.' }),
    relayActiveLow: Type.Boolean({
      default: false,
      description: 'The relay board switches a relay on with a low level (many opto-isolated boards do).',
    }),
    debounceMs: Type.Integer({ minimum: 0, maximum: 1000, default: 30, description: 'Button debounce.' }),
    longPressMs: Type.Integer({ minimum: 200, maximum: 10000, default: 1500, description: 'Long-press time.' }),
    simulate: Type.Boolean({
      default: false,
      description: 'Use simulated GPIO lines; adds panel.sim-press so the demo and tests can press a button over MQTT.',
    }),
  },
  { additionalProperties: false, description: 'Buttons, LEDs and relays on GPIO.' },
);
export type PanelConfig = Static<typeof PanelConfig>;
