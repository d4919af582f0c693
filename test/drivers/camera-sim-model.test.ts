// The simulated camera's mechanics on a stepped clock: a positioning move takes the time its speed says, and when its
// Completion is due the axis is at its target even if the timer fired a millisecond early.
import t from 'tap';
import { CameraModel } from '../../drivers/camera/visca-sim-model.js';

t.test('zoom-direct: time to arrive, position on the way, arrival at Completion', async (t) => {
  const m = new CameraModel();
  const outcome = m.apply({ op: 'zoom-direct', position: 0x0800 }, 0);
  t.ok('ms' in outcome, 'accepted');
  const ms = (outcome as { ms: number }).ms;
  t.equal(ms, 256, '2048 units at 8 units/ms');
  t.equal(m.position(128).zoom, 1024, 'half way at half time');
  m.arrive(128);
  t.equal(m.position(128).zoom, 1024, 'arrive() mid-move changes nothing');
  t.equal(m.position(ms - 0.2).zoom, 2046, 'a timer 0.2 ms early would read 2046');
  m.arrive(ms - 0.2);
  t.equal(m.position(ms - 0.2).zoom, 0x0800, 'Completion due: the zoom is at its target');
  t.equal(m.moving(ms), false, 'and still');
});
