// Run by gpio-onoff-fuse.test.ts inside a private mount namespace whose /sys/class/gpio is the FUSE emulator
// (lab/gpio-sysfs-emulator.c): the real panel device on real onoff lines. Prints one JSON object.
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { Value } from '../../core/schema/value.js';
import { PanelConfig } from '../../core/config/panel.js';
import { createPanelDevice } from '../../agent/devices/panel.js';
import { silentLogger } from '../../core/log.js';

const G = '/sys/class/gpio';
const base = Number(process.env.GPIO_BASE ?? 512);
const sysfs = (bcm: number) => base + bcm;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const value = (bcm: number) => readFileSync(`${G}/gpio${sysfs(bcm)}/value`, 'utf8').trim();

// Edges reach the driver through poll() on another turn of the event loop than the timers that make them, so the
// press lengths keep hundreds of ms from the debounce and long-press times: a stalled loop on a busy machine
// stretches a 10 ms bounce or a short press by tens of ms, not by that much.
const DEBOUNCE_MS = 150;
const LONG_PRESS_MS = 800;

async function press(bcm: number, ms: number): Promise<void> {
  writeFileSync(`${G}/gpio${sysfs(bcm)}/sim_level`, '0');
  await sleep(ms);
  writeFileSync(`${G}/gpio${sysfs(bcm)}/sim_level`, '1');
  await sleep(DEBOUNCE_MS + 150);
}

const cfg = Value.Default(PanelConfig, {
  talkButton: 17,
  muteButton: 27,
  tallyLed: 22,
  statusLed: 23,
  relays: { amplifier: 5 },
  debounceMs: DEBOUNCE_MS,
  longPressMs: LONG_PRESS_MS,
}) as PanelConfig;

const out: Record<string, unknown> = {};
const dev = createPanelDevice(cfg, silentLogger);
const inputs: string[] = [];
dev.on('input', (n: string) => inputs.push(n));
await dev.start();
out.health = dev.health();
out.exported = readdirSync(G).filter((e) => e.startsWith('gpio') && !e.startsWith('gpiochip')).sort();
out.directions = Object.fromEntries(
  [17, 27, 22, 23, 5].map((b) => [b, readFileSync(`${G}/gpio${sysfs(b)}/direction`, 'utf8').trim()]),
);
out.edges = Object.fromEntries([17, 27].map((b) => [b, readFileSync(`${G}/gpio${sysfs(b)}/edge`, 'utf8').trim()]));
await press(17, DEBOUNCE_MS + 200);
await press(27, DEBOUNCE_MS + 200);
await press(27, LONG_PRESS_MS + 600);
writeFileSync(`${G}/gpio${sysfs(17)}/sim_level`, '0');
await sleep(10);
writeFileSync(`${G}/gpio${sysfs(17)}/sim_level`, '1'); // a 10 ms bounce: far below the debounce
await sleep(DEBOUNCE_MS + 150);
out.inputs = inputs;
dev.showHallState('heard');
await sleep(20);
out.tallyHeard = value(22);
dev.showHallState('idle');
await sleep(20);
out.tallyIdle = value(22);
out.statusIdle = value(23);
out.relayAtStart = value(5);
const relay = dev.commands().find((c) => c.name === 'panel.relay')!;
out.relayAnswer = await relay.run({ name: 'amplifier', on: true });
out.relayOn = value(5);
await dev.stop();
out.afterStop = readdirSync(G).sort();
console.log(JSON.stringify(out));
process.exit(0);
