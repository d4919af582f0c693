// Child process for the A/B test: stands for the running agent that installs a bundle. It kills itself with
// SIGKILL right after the step named by argv[5] completes (kill -9 at that step), or runs to the end.
import { readFile } from 'node:fs/promises';
import { installBundle } from '../../agent/update/install.js';
import { publicKeyFromPem } from '../../core/bundle.js';

const [root, bundle, pubPath, installed, killAt] = process.argv.slice(2);
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
  },
});
process.stdout.write(`installed ${r.version} ${r.slot}\n`);
