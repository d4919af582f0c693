// LED patterns on simulated output lines, one pattern pair per hall state; relays at their safe level.
import t from 'tap';
import { Led, PATTERN_STEPS } from '../../drivers/gpio/leds.js';
import { HALL_PATTERNS } from '../../agent/hall.js';
import { Relays } from '../../drivers/gpio/relays.js';
import { SimLine } from '../../drivers/gpio/sim-line.js';
import { BadRequestError } from '../../core/errors.js';
import { FakeClock } from '../../lab/fake-clock.js';

function led() {
  const clock = new FakeClock();
  const line = new SimLine(22, 'tally LED (BCM 22)', 'out', 'none', 0, () => clock.now());
  return { clock, line, led: new Led(line, clock) };
}

/** Levels the line held at each ms boundary over `ms`, sampled every `step` ms. */
function sample(clock: FakeClock, line: SimLine, ms: number, step: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < ms; i += step) {
    out.push(line.level);
    clock.advance(step);
  }
  return out;
}

t.test('steady and blinking patterns drive the line', async (t) => {
  const { clock, line, led: l } = led();
  l.show('on');
  t.same(sample(clock, line, 2000, 250), [1, 1, 1, 1, 1, 1, 1, 1], 'on is steady');
  t.equal(clock.pending, 0, 'a steady pattern holds no timer');
  l.show('blink');
  t.same(sample(clock, line, 2000, 250), [1, 1, 0, 0, 1, 1, 0, 0], 'blink: 500 ms on, 500 ms off');
  l.show('pulse');
  t.same(sample(clock, line, 2000, 100).join(''), '10000000001000000000', 'pulse: 100 ms flash each second');
  l.show('flash');
  t.same(sample(clock, line, 1000, 125), [1, 0, 1, 0, 1, 0, 1, 0], 'flash: 125 ms steps');
  l.show('double');
  t.same(sample(clock, line, 2000, 50).join(''), '11100011100000000000'.repeat(2), 'double: two 150 ms flashes, then dark, each second');
  l.show('off');
  t.same(sample(clock, line, 1000, 250), [0, 0, 0, 0]);
  t.equal(clock.pending, 0);
});

t.test('showing the same pattern again does not restart it', async (t) => {
  const { clock, line, led: l } = led();
  l.show('blink');
  clock.advance(400);
  const writes = line.writes.length;
  l.show('blink');
  t.equal(line.writes.length, writes, 'no extra write');
  clock.advance(100);
  t.equal(line.level, 0, 'the blink phase carried on');
});

t.test('every hall state has a distinct (tally, status) pair of known patterns', async (t) => {
  const pairs = Object.values(HALL_PATTERNS).map((p) => `${p.tally}/${p.status}`);
  t.equal(new Set(pairs).size, pairs.length, 'a person can tell every state apart');
  for (const p of Object.values(HALL_PATTERNS)) {
    t.ok(p.tally in PATTERN_STEPS && p.status in PATTERN_STEPS);
  }
  t.same(HALL_PATTERNS.heard, { tally: 'on', status: 'on' }, 'tally lit only when the centre hears the hall');
  t.equal(Object.values(HALL_PATTERNS).filter((p) => p.tally === 'on').length, 1);
  // The two states the staff act on at once have a tally rhythm no other state uses.
  t.same(HALL_PATTERNS['on-air'], { tally: 'double', status: 'on' }, 'on air: the tally double-flashes');
  t.same(HALL_PATTERNS.rollcall, { tally: 'flash', status: 'on' }, 'roll call: the tally flashes fast');
  for (const s of ['on-air', 'rollcall'] as const) {
    const others = Object.entries(HALL_PATTERNS).filter(([k]) => k !== s).map(([, p]) => p.tally);
    t.notOk(others.includes(HALL_PATTERNS[s].tally), `${s}: no other state shows its tally pattern`);
  }
});

t.test('stop leaves the LED dark with no timer', async (t) => {
  const { clock, line, led: l } = led();
  l.show('flash');
  await l.stop();
  t.equal(line.level, 0);
  t.equal(clock.pending, 0);
});

t.test('relays: safe at start, switched by name, safe again before release', async (t) => {
  for (const activeLow of [false, true]) {
    const safe = Relays.safeLevel(activeLow);
    const amp = new SimLine(5, 'amplifier relay (BCM 5)', 'out', 'none', safe);
    const disp = new SimLine(6, 'display relay (BCM 6)', 'out', 'none', safe);
    const r = new Relays(new Map([['amplifier', amp], ['display', disp]]), activeLow);
    t.same(r.report(), { amplifier: false, display: false });
    await r.set('amplifier', true);
    t.equal(amp.level, activeLow ? 0 : 1, `on drives the ${activeLow ? 'low' : 'high'} level`);
    t.same(r.report(), { amplifier: true, display: false });
    await t.rejects(r.set('projector', true), BadRequestError);
    await t.rejects(r.set('projector', true), { message: /no relay named "projector" \(relays: amplifier, display\)/ });
    await r.stop();
    t.equal(amp.level, safe, 'back to the safe level at exit');
    t.ok(amp.isReleased && disp.isReleased, 'lines released');
    t.same(amp.writes.map((w) => w.value).at(-1), safe);
  }
});
