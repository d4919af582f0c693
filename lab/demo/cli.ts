#!/usr/bin/env node
// `npm run demo [-- --halls N] [--duration S] [--no-media] [--console-port P] [--every S]`: simulated halls on this
// machine with a live table and the central console. Lab code: it starts a broker, a bridge, the console and agent processes, so it
// is not part of the `diemcau` command a box ships.
import { parseCli } from '../../core/cli-args.js';
import { BadRequestError } from '../../core/errors.js';
import { runDemo } from './demo.js';

const HELP = `usage: npm run demo -- [--halls N] [--duration S] [--no-media] [--console-port P] [--every S]

Starts a real Mosquitto on a free loopback port, a central bridge (Janus in a network namespace, when root), the
central console (diemcau-central serve, with an operator account for this run) and N agents (default 3) in
simulation mode as separate processes, joins the halls to a meeting through the console, and prints a live table
of the halls with the console's address and login. Ctrl-C stops everything.
  --halls N         number of simulated halls (default 3, at most 200)
  --duration S      stop by itself after S seconds (default: run until Ctrl-C)
  --no-media        halls register and take commands, but join no meeting
  --console-port P  the console's port on 127.0.0.1 (default 8080, or any free one if 8080 is taken; 0: any)
  --every S         a table every S seconds (default 1 on a terminal, 5 otherwise)`;

function fail(msg: string): never {
  process.stderr.write(`demo: ${msg}\n`);
  process.exit(2);
}

try {
  const { positionals, values } = parseCli(process.argv.slice(2), { values: ['halls', 'duration', 'console-port', 'every'], flags: ['no-media', 'help'] });
  if (values.help) {
    console.log(HELP);
    process.exit(0);
  }
  if (positionals.length > 0) fail(`unexpected argument "${positionals[0]}" (see --help)`);
  const halls = Number(values.halls ?? 3);
  if (!Number.isInteger(halls) || halls < 1 || halls > 200) fail('--halls must be a whole number from 1 to 200');
  const duration = values.duration === undefined ? undefined : Number(values.duration);
  if (duration !== undefined && !(duration > 0)) fail('--duration must be a positive number of seconds');
  const consolePort = values['console-port'] === undefined ? undefined : Number(values['console-port']);
  if (consolePort !== undefined && !(Number.isInteger(consolePort) && consolePort >= 0 && consolePort <= 65535)) fail('--console-port must be a port number from 0 to 65535');
  const every = values.every === undefined ? undefined : Number(values.every);
  if (every !== undefined && !(every >= 0.1 && every <= 3600)) fail('--every must be a number of seconds from 0.1 to 3600');
  await runDemo({ halls, durationS: duration, media: !values['no-media'], consolePort, everyS: every });
} catch (err) {
  if (err instanceof BadRequestError) fail(err.message);
  throw err;
}
