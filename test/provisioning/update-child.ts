// Child process for the A/B test: stands for the running agent that installs a bundle. It kills itself with
// SIGKILL right after the step named by argv[5] completes (kill -9 at that step), or runs to the end. With
// "mid-extract" it kills itself once tar has written the first file of the new slot, while extraction runs.
import { readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { installBundle } from '../../agent/update/install.js';
import { publicKeyFromPem } from '../../core/bundle.js';

const [root, bundle, pubPath, installed, killAt] = process.argv.slice(2);
/** tar runs as a child process, so this loop polls the staging directory while it writes. */
function killOnceStaged(): void {
  const slots = join(root, 'slots');
  const staged = readdirSync(slots).filter((d) => d.endsWith('.new'));
  if (staged.some((d) => readdirSync(join(slots, d)).length > 0)) process.kill(process.pid, 'SIGKILL');
}

const key = publicKeyFromPem(await readFile(pubPath, 'utf8'));
const r = await installBundle({
  root,
  bundle,
  trustedKeys: [key],
  installedVersion: installed,
  inMeeting: () => false,
  onStep: (step) => {
    process.stdout.write(`step ${step}\n`);
    if (step === killAt) process.kill(process.pid, 'SIGKILL');
    if (step === 'extracting' && killAt === 'mid-extract') setInterval(killOnceStaged, 1);
  },
});
process.stdout.write(`installed ${r.version} ${r.slot}\n`);
