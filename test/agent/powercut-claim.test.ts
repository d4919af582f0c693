// Power cut at every write of a factory box's first claim (issue 14): the identity files and the config, written by
// the real `diemcau run` under the launcher as the unit starts it, cut at each operation of the durable layer, as a
// crash and as a power cut with the last write torn. After each cut the box must come up claimed as itself, with a
// whole identity (the key matches the certificate, the password and update key complete), or still a factory box
// that claims again. Real Mosquitto with the carrier's ACL, the real claim service.
import t from 'tap';
import { powercutWorld } from '../../lab/powercut/world.js';
import { claimScenario } from '../../lab/powercut/scenarios.js';
import { sweepAndCheck, hallsFor, hallCounter } from './powercut.js';

t.jobs = 2; // the two identities' sweeps side by side, each in a world of its own
for (const kind of ['password', 'certificate'] as const) {
  t.test(`claim of a ${kind} identity, cut at every write`, async (t) => {
    const w = await powercutWorld(hallsFor(1), kind);
    t.teardown(() => w.close());
    const must = [/rename etc\/\.config\.json\..*\.tmp -> etc\/config\.json/, /rename etc\/\.update-key\.pem\..* -> etc\/update-key\.pem/];
    if (kind === 'certificate') must.push(/-> etc\/box\.key/, /-> etc\/box\.crt/, /-> etc\/ca\.crt/);
    await sweepAndCheck(t, w, claimScenario(w), hallCounter(), must);
  });
}
