#!/usr/bin/env node
// `diemcau-provision`: the carrier's tool, from a CSV of halls to boxes online and updated. Every verb has --help
// and --json; bulk work draws a progress bar on stderr when it is a terminal. Exit codes: 0 done, 1 done with
// refusals (a box refused a config or could not start all of it, did not answer a command, a rollout halted) or
// failed otherwise, 2 bad input (the message names the thing at fault: option, file, line, box), 3 the broker could
// not be reached. An error is one line on stderr (a refused file: one line per error after it) and, with --json,
// also one JSON document on stdout: {"error": {"code", "message", "details"?}}.
import { readFileSync } from 'node:fs';
import { parseArgs } from './args.js';
import { DiemcauError, ConfigError, errorToWire } from '../core/errors.js';
import { VERBS, MAIN } from './verb-table.js';
import { closest } from './suggest.js';

const version = () =>
  (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

function exitCode(err: unknown): number {
  if (!(err instanceof DiemcauError)) return 1;
  if (err.code === 'bad_request' || err.code === 'config_invalid') return 2;
  if (err.code === 'disconnected') return 3;
  return 1;
}

/** Says what went wrong: on stderr always, and as the one JSON document on stdout under --json. */
function fail(verb: string, err: unknown, asJson: boolean): number {
  const prefix = verb ? `diemcau-provision ${verb}` : 'diemcau-provision';
  if (err instanceof ConfigError) {
    process.stderr.write(`${prefix}: ${err.message.split(':')[0]}: refused, ${err.errors.length} error(s)\n`);
    for (const e of err.errors) process.stderr.write(`  ${e}\n`);
  } else process.stderr.write(`${prefix}: ${(err as Error).message ?? String(err)}\n`);
  if (asJson) {
    const wire = errorToWire(err);
    // The first line is the message; what follows it (the bad rows of a refused file) is in details.
    const message = err instanceof ConfigError ? `${err.message.split(':')[0]}: refused, ${err.errors.length} error(s)` : wire.message.split('\n')[0];
    process.stdout.write(JSON.stringify({ error: { ...wire, message } }, null, 2) + '\n');
  }
  return exitCode(err);
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  const asJson = argv.includes('--json');
  if (!name || name === '--help' || name === 'help') {
    process.stdout.write(MAIN + '\n');
    return name ? 0 : 2;
  }
  if (name === '--version' || name === 'version') {
    process.stdout.write(asJson ? JSON.stringify({ version: version() }) + '\n' : `diemcau-provision ${version()}\n`);
    return 0;
  }
  const verb = Object.hasOwn(VERBS, name) ? VERBS[name] : undefined;
  if (!verb) {
    const near = closest(name, Object.keys(VERBS));
    const hint = near ? `did you mean "${near}"? ` : '';
    return fail('', new DiemcauError('bad_request', `unknown verb "${name}" (${hint}see --help)`), asJson);
  }
  if (rest.includes('--help')) {
    process.stdout.write(verb.help + '\n');
    return 0;
  }
  try {
    return await verb.run(parseArgs(rest, verb.options, ['json', ...(verb.flags ?? [])]));
  } catch (err) {
    return fail(name, err, asJson);
  }
}

// `diemcau-provision status | head`: a reader that stops early is not an error.
process.stdout.on('error', (err: NodeJS.ErrnoException) => process.exit(err.code === 'EPIPE' ? 0 : 1));
process.exit(await main(process.argv.slice(2)));
