#!/usr/bin/env -S node --lite-mode --expose-gc --no-expose-wasm
// `diemcau`: the one command on the box. Each verb imports only what it needs (the agent's memory budget is tight).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseCli } from '../core/cli-args.js';
import { BadRequestError } from '../core/errors.js';

const HELP: Record<string, string> = {
  main: `usage: diemcau <verb> [options]

verbs:
  run            run the agent (as systemd does)
  config check   validate a config file
  config schema  print the JSON Schema of the config file
  config example print a valid example config
  version        print the agent version

'diemcau <verb> --help' describes each verb.`,
  run: `usage: diemcau run [--config FILE] [--broker URL]... [--id BOXID]

Runs the agent: loads and validates the config (default /etc/diemcau/config.json), registers with the broker,
drives the hall's devices and media, and takes commands. A bad config is refused with every error, exit code 2.
  --config FILE   config file (also where applied remote config is saved)
  --broker URL    broker URL, overriding mqtt.brokers (repeat for failover order)
  --id BOXID      box id, overriding box.id (with no config file: run with defaults)`,
  config: `usage: diemcau config <check FILE | schema | example>

  check FILE   validate FILE; prints every error as 'path: reason', exit code 1 if any
  schema       print the JSON Schema (for carrier-side validation)
  example      print a valid example config`,
  version: 'usage: diemcau version',
};

function version(): string {
  const pkg = fileURLToPath(new URL('../../package.json', import.meta.url));
  return (JSON.parse(readFileSync(pkg, 'utf8')) as { version: string }).version;
}

function die(msg: string, code = 2): never {
  process.stderr.write(`diemcau: ${msg}\n`);
  process.exit(code);
}

async function main(argv: string[]): Promise<void> {
  const [verb, ...rest] = argv;
  if (!verb || verb === '--help' || verb === 'help') {
    console.log(HELP.main);
    return;
  }
  if (rest.includes('--help')) {
    console.log(HELP[verb] ?? HELP.main);
    return;
  }
  switch (verb) {
    case 'version':
      console.log(version());
      return;
    case 'config':
      return configVerb(rest);
    case 'run': {
      const { positionals, values } = parseCli(rest, { values: ['config', 'id'], repeated: ['broker'] });
      if (positionals.length > 0) die(`unexpected argument "${positionals[0]}" (see --help)`);
      const { runAgent } = await import('./run.js');
      return runAgent({
        configPath: values.config as string | undefined,
        brokers: values.broker as string[] | undefined,
        id: values.id as string | undefined,
        version: version(),
      });
    }
    default:
      die(`unknown verb "${verb}" (see diemcau --help)`);
  }
}

async function configVerb(rest: string[]): Promise<void> {
  const [sub, file] = rest;
  const { Config } = await import('../core/config/schema.js');
  if (sub === 'schema') {
    console.log(JSON.stringify(Config, null, 2));
    return;
  }
  if (sub === 'example') {
    const { exampleConfig } = await import('./config/example.js');
    console.log(JSON.stringify(exampleConfig(), null, 2));
    return;
  }
  if (sub === 'check') {
    if (!file) die('config check needs a FILE');
    const { loadConfigFile } = await import('./config/load.js');
    const { ConfigError } = await import('../core/errors.js');
    try {
      const cfg = await loadConfigFile(file);
      console.log(`${file}: ok (box ${cfg.box.id}, config version ${cfg.configVersion})`);
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      process.stderr.write(`${file}: ${err.errors.length} error(s)\n`);
      for (const e of err.errors) process.stderr.write(`  ${e}\n`);
      process.exit(1);
    }
    return;
  }
  die(`config: unknown sub-verb "${sub ?? ''}" (check FILE | schema | example)`);
}

main(process.argv.slice(2)).catch((err) => {
  // Bad input (an unknown option, a missing value) exits 2, as a bad config does; anything else 1.
  die(err instanceof Error ? err.message : String(err), err instanceof BadRequestError ? 2 : 1);
});
