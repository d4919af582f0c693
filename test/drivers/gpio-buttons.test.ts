// Buttons on simulated lines: debounce, short and long press. Time is stepped by a fake clock because timing is
// what is under test here.
import t from 'tap';
import { Button } from '../../drivers/gpio/buttons.js';
import { SimLine } from '../../drivers/gpio/sim-line.js';
import { FakeClock } from '../../lab/fake-clock.js';

async function rig(opts = { activeLow: true, debounceMs: 30, longPressMs: 1500 }) {
  const clock = new FakeClock();
  const line = new SimLine(17, 'mute button (BCM 17)', 'in', 'both', opts.activeLow ? 1 : 0, () => clock.now());
  const b = new Button(line, opts, clock);
  const events: string[] = [];
  for (const e of ['down', 'up', 'short', 'long']) b.on(e, (ms?: number) => events.push(ms === undefined ? e : `${e}:${ms}`));
  await b.start();
  return { clock, line, b, events };
}

t.test('a clean short press', async (t) => {
  const { clock, line, events } = await rig();
  line.set(0);
  clock.advance(29);
  t.same(events, [], 'nothing before the level has held for debounceMs');
  clock.advance(1);
  t.same(events, ['down']);
  clock.advance(200);
  line.set(1);
  clock.advance(30);
  t.same(events, ['down', 'short:230', 'up:230'], 'short on release, with how long it was held (0 to 230 ms)');
});

t.test('contact bounce makes one press, not many', async (t) => {
  const { clock, line, events } = await rig();
  for (const v of [0, 1, 0, 1, 0] as const) {
    line.set(v);
    clock.advance(3);
  }
  clock.advance(30);
  t.same(events, ['down'], 'bouncing for 15 ms then held: one down');
  for (const v of [1, 0, 1] as const) {
    line.set(v);
    clock.advance(4);
  }
  clock.advance(30);
  t.equal(events.filter((e) => e.startsWith('short')).length, 1, 'bouncing release: one short');
});

t.test('a glitch shorter than the debounce is ignored', async (t) => {
  const { clock, line, events } = await rig();
  line.set(0);
  clock.advance(10);
  line.set(1);
  clock.advance(100);
  t.same(events, []);
});

t.test('a long press fires while held, and no short follows', async (t) => {
  const { clock, line, events } = await rig();
  line.set(0);
  clock.advance(30);
  clock.advance(1499);
  t.same(events, ['down'], 'not yet long');
  clock.advance(1);
  t.same(events, ['down', 'long'], 'long once held longPressMs, before release');
  clock.advance(500);
  line.set(1);
  clock.advance(30);
  t.same(events, ['down', 'long', 'up:2030'], 'release after a long press is not a short press');
});

t.test('active-high wiring, and no debounce', async (t) => {
  const { clock, line, events } = await rig({ activeLow: false, debounceMs: 0, longPressMs: 500 });
  line.set(1);
  t.same(events, ['down'], 'immediate with debounce 0');
  clock.advance(100);
  line.set(0);
  t.same(events, ['down', 'short:100', 'up:100']);
});

t.test('stop cancels pending timers', async (t) => {
  const { clock, line, b, events } = await rig();
  line.set(0);
  clock.advance(30);
  await b.stop();
  t.equal(clock.pending, 0, 'no timer left');
  clock.advance(5000);
  t.same(events, ['down'], 'no long press after stop');
});
