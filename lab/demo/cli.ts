#!/usr/bin/env node
// `npm run demo [-- --halls N] [--duration S] [--no-media]`: simulated halls on this machine with a live table. Lab
// code: it starts a broker, a bridge and agent processes, so it is not part of the `diemcau` command a box ships.
import { parseCli } from '../../core/cli-args.js';
import { BadRequestError } from '../../core/errors.js';
import { runDemo } from './demo.js';

const HELP = `usage: npm run demo -- [--halls N] [--duration S] [--no-media]

Starts a real Mosquitto on a free loopback port, a central bridge (Janus in a network namespace, when root) and N
agents (default 3) in simulation mode as separate processes, and prints a live table of the halls. Ctrl-C stops
everything.
  --halls N      number of simulated halls (default 3, at most 200)
  --duration S   stop by itself after S seconds (default: run until Ctrl-C)
  --no-media     halls register and take commands, but join no meeting`;

function fail(msg: string): never {
  process.stderr.write(`demo: ${msg}\n`);
  process.exit(2);
}

try {
  const { positionals, values } = parseCli(process.argv.slice(2), { values: ['halls', 'duration'], flags: ['no-media', 'help'] });
  if (values.help) {
    console.log(HELP);
    process.exit(0);
  }
  if (positionals.length > 0) fail(`unexpected argument "${positionals[0]}" (see --help)`);
  const halls = Number(values.halls ?? 3);
  if (!Number.isInteger(halls) || halls < 1 || halls > 200) fail('--halls must be a whole number from 1 to 200');
  const duration = values.duration === undefined ? undefined : Number(values.duration);
  if (duration !== undefined && !(duration > 0)) fail('--duration must be a positive number of seconds');
  await runDemo({ halls, durationS: duration, media: !values['no-media'] });
} catch (err) {
  if (err instanceof BadRequestError) fail(err.message);
  throw err;
}
