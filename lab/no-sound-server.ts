// There is no sound server on the test machine (nor on a box). Looking for one, libpulse (in Chromium, and in
// espeak-ng through pcaudiolib, even with --stdout) makes its runtime directory in TMPDIR and points
// ~/.config/pulse at it: left in the suite's temp dir, which fails the run (a fresh machine's first runs did), and
// dangling afterwards. A server named, and absent, stops the search: what lab/ starts runs with this environment.
export const NO_SOUND_SERVER_ENV: NodeJS.ProcessEnv = { ...process.env, PULSE_SERVER: 'unix:/nonexistent' };
