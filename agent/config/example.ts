// A valid example config: what `diemcau config example` prints, and what the README and the demo start from.
import type { Config } from '../../core/config/schema.js';
import { parseConfig } from './load.js';

export function exampleConfig(boxId = 'vn-26734'): Config {
  return parseConfig(
    {
      box: { id: boxId },
      hall: { name: 'Hội trường UBND xã Hòa Bình', groups: ['p-01', 'c-26734', 'all'] },
      mqtt: {
        brokers: ['mqtts://mqtt1.carrier.example:8883', 'mqtts://mqtt2.carrier.example:8883'],
        username: boxId,
        password: 'from-provisioning',
        tls: { ca: '/etc/diemcau/ca.pem' },
      },
      telemetry: { intervalS: 10 },
      devices: {
        camera: { transport: 'serial', port: '/dev/ttyUSB0', address: 1 },
        display: { protocol: 'samsung-mdc', transport: 'serial', port: '/dev/ttyUSB1', input: 'hdmi1' },
        panel: { talkButton: 17, muteButton: 27, tallyLed: 22, statusLed: 23, relays: { display: 24, amplifier: 25 } },
      },
      media: { enabled: true },
    },
    'example',
  );
}
