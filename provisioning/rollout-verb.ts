// `diemcau-provision rollout`: reads the bundle's manifest (and checks it against the carrier's own key), then
// runs the staged rollout over MQTT and prints progress and a summary table per stage.
import { readFile } from 'node:fs/promises';
import { createPublicKey } from 'node:crypto';
import { Requester } from './requests.js';
import { planStages, runRollout } from './rollout.js';
import { keyPaths } from './signing.js';
import { progress } from './progress.js';
import { verifyBundle } from '../core/bundle.js';
import { BadRequestError } from '../core/errors.js';
import { table, json } from './output.js';
import type { Args } from './args.js';
import { storeOf, inputExists } from './verb-common.js';
import { withView } from './fleet-verbs.js';

export async function rollout(a: Args): Promise<number> {
  if (a.pos.length !== 1) throw new BadRequestError('give the bundle file (see --help)');
  const url = a.get('bundle-url');
  if (!url || !/^https?:\/\//.test(url)) throw new BadRequestError('give --bundle-url http(s)://... where boxes download the bundle');
  const s = storeOf(a);
  await inputExists(a.pos[0], 'file');
  const pubPem = await readFile(keyPaths(s.dir).pub, 'utf8').catch(() => {
    throw new BadRequestError(`${keyPaths(s.dir).pub}: no update key; run \`diemcau-provision keys --db ${s.dir}\``);
  });
  const pub = createPublicKey(pubPem);
  // The same checks a box makes, against version 0.0.0: a bundle this carrier's boxes would refuse is not sent.
  const { manifest } = await verifyBundle(a.pos[0], { trustedKeys: [pub], installedVersion: '0.0.0' });
  const target = a.get('target', 'all')!;
  return withView(a, 'rollout', target, async (view, _s, targets) => {
    const stages = planStages(targets, a.num('canary', 10), a.num('share', 10));
    const requester = new Requester(view.mqtt);
    await requester.start();
    try {
      await view.settle(300, 10000);
      const bar = progress(`rollout ${manifest.version}`, targets.length);
      const r = await runRollout({
        requester,
        view,
        version: manifest.version,
        url,
        stages,
        maxFailurePct: a.num('max-failures', 5),
        timeoutMs: a.num('timeout', 600) * 1000,
        pollMs: a.num('poll-ms', 2000),
        busyRetryMs: a.num('busy-retry-ms', 5000),
        onOutcome: () => bar.tick(),
      });
      bar.done();
      if (a.has('json')) json({ version: manifest.version, ...r });
      else {
        table(r.stages);
        const failed = r.outcomes.filter((o) => o.status === 'failed');
        if (failed.length > 0) {
          process.stdout.write('\n');
          table(failed.slice(0, 100).map((o) => ({ box: o.boxId, stage: o.stage, reason: o.reason })));
        }
        if (r.halted) process.stdout.write(`\nhalted: a stage passed ${a.num('max-failures', 5)}% failures; later stages were not started\n`);
      }
      return r.halted ? 1 : 0;
    } finally {
      await requester.stop();
    }
  });
}
