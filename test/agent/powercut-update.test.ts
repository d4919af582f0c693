// Power cut at every write of a config push, an update and a rollback (issue 14), on a claimed box run as the unit
// runs it (the launcher, the slot's `diemcau run`): the config file, the slot trees, `.installed` and the boot
// record, cut at each operation of the durable layer, as a crash and as a power cut with the last write torn. After
// each cut the box must come up on a good version (1.0.0 or 2.0.0, byte for byte the tree it was made from; after a
// failed trial only 1.0.0) with a valid config, the old one or the new one.
import t from 'tap';
import { powercutWorld } from '../../lab/powercut/world.js';
import { pushScenario, updateScenario, rollbackScenario } from '../../lab/powercut/scenarios.js';
import { sweepAndCheck, hallsFor, hallCounter } from './powercut.js';

const w = await powercutWorld(hallsFor(3), 'password');
t.teardown(() => w.close());
const nextHall = hallCounter();
t.jobs = 3; // the three scenarios swept side by side, each box on a hall of its own

t.test('a desired config push, cut at every write', async (t) => {
  await sweepAndCheck(t, w, pushScenario(w), nextHall, [/rename etc\/\.config\.json\..*\.tmp -> etc\/config\.json/]);
});

t.test('an update: install, trial start, commit, cut at every write', async (t) => {
  await sweepAndCheck(t, w, updateScenario(w), nextHall, [
    /^fill opt\/slots\/b\.new$/,
    /^syncall/,
    /-> opt\/slots\/b\.new\/\.installed$/,
    /^rename opt\/slots\/b\.new -> opt\/slots\/b$/,
    /-> opt\/boot\.json$/,
  ]);
});

t.test('a rollback: a failed trial, cut at every write', async (t) => {
  await sweepAndCheck(t, w, rollbackScenario(w), nextHall, [/-> opt\/boot\.json$/]);
});
