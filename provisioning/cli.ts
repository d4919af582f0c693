#!/usr/bin/env node
// `diemcau-provision`: the carrier's tool, from a CSV of halls to boxes online and updated. Every verb has --help
// and --json; bulk work draws a progress bar on stderr when it is a terminal. Exit codes: 0 done, 1 done with
// refusals (a box refused a config or could not start all of it, a rollout halted), 2 bad input (the message names
// the thing at fault).
import { parseArgs, type Args } from './args.js';
import { DiemcauError, ConfigError } from '../core/errors.js';
import * as verbs from './verbs.js';
import { rollout } from './rollout-verb.js';
import { report, REPORT_HELP } from './report-verb.js';

const COMMON = '  --db DIR      provisioning database (default $DIEMCAU_DB or ./diemcau-db)\n  --json        one JSON document on stdout instead of tables';
const BROKER = '  --url URL     broker the service logs in to (default $DIEMCAU_BROKER or mqtt://localhost:1883)\n  --cafile F    CA certificate for an mqtts:// broker';

interface Verb {
  run: (a: Args) => Promise<number>;
  options: string[];
  flags?: string[];
  help: string;
}

const VERBS: Record<string, Verb> = {
  init: { run: verbs.init, options: ['db'], help: `usage: diemcau-provision init [--db DIR] [--json]\n\nCreates the database: the carrier-wide claim credential (for factory images) and the service login.\n${COMMON}` },
  import: {
    run: verbs.importVerb,
    options: ['db'],
    flags: ['dry-run'],
    help: `usage: diemcau-provision import HALLS.csv [--db DIR] [--dry-run] [--json]

Imports halls. Columns (header names): province_code, province_name, [district_code, district_name], commune_code,
commune_name, hall_name, contact_name, contact_phone, bridge_region, broker, [serial], [groups: a;b].
Every row is checked first; a bad row is reported with its line number and nothing is written. Each new hall gets
its box id (vn-<commune code>), broker password and install code; the broker password file and ACL are rewritten.
Importing the same file again changes nothing; changed rows are listed with the fields that changed.
  --dry-run     check and report, write nothing
${COMMON}`,
  },
  codes: { run: verbs.codes, options: ['db'], help: `usage: diemcau-provision codes [TARGET] [--db DIR] [--json]\n\nLists halls with their install codes (for work orders) and claim state. TARGET: BOXID, group:NAME or all.\n${COMMON}` },
  'broker-conf': {
    run: verbs.brokerConf,
    options: ['db', 'port', 'tls-port', 'bind', 'plugin'],
    help: `usage: diemcau-provision broker-conf [--port 1883] [--tls-port 8883] [--bind ADDR] [--plugin PATH] [--db DIR]

Prints the mosquitto.conf lines that load the rendered password file and ACL, the client-id plugin (a client id
belongs to the login of that name: no login can take a box's connection over) and, with --tls-port, a
client-certificate listener whose client id is the certificate's box id.
  --bind ADDR   listen on this address only (default: every address)
  --plugin PATH where the broker finds the plugin (default: the one broker-plugin built in DIR/broker/)
${COMMON}`,
  },
  'broker-plugin': {
    run: verbs.brokerPlugin,
    options: ['db', 'out'],
    help: `usage: diemcau-provision broker-plugin [--out PATH] [--db DIR]

Builds the broker's client-id plugin (a Mosquitto 2.0 plugin, C) with cc ($CC) into DIR/broker/diemcau_clientid.so.
Needs a C compiler and Mosquitto's plugin headers (Debian: gcc mosquitto-dev libmosquitto-dev).
  --out PATH    build it here instead
${COMMON}`,
  },
  ca: { run: verbs.caVerb, options: ['db', 'host'], help: `usage: diemcau-provision ca --host NAME[,NAME...] [--db DIR]\n\nCreates the carrier CA (once) and a server certificate for the broker. Boxes that claim a certificate send a CSR;\nthe CA signs it with CN = box id. Private keys of boxes never leave the boxes.\n${COMMON}` },
  serve: { run: verbs.serve, options: ['db', 'url', 'cafile'], help: `usage: diemcau-provision serve [--url URL] [--db DIR]\n\nAnswers claims on diemcau/v1/claim/<serial>/req until stopped (SIGTERM). A hall is handed out to one serial;\nonce its box has been online as itself it cannot be claimed again.\n${BROKER}\n${COMMON}` },
  push: {
    run: verbs.push,
    options: ['db', 'url', 'cafile', 'wait'],
    help: `usage: diemcau-provision push TARGET FILE.json [--wait S] [--url URL] [--db DIR] [--json]

Pushes desired config sections (hall, mqtt, telemetry, devices, media; each replaces the box's section whole) to
TARGET: BOXID, group:NAME or all, under one new version, retained: offline boxes apply it on return. Waits up to
--wait seconds (default 10) for acks, then shows applied / partial (with the box's reasons) / refused (with reason) / offline / pending.
${BROKER}\n${COMMON}`,
  },
  rebase: {
    run: verbs.rebase,
    options: ['db', 'url', 'cafile', 'wait'],
    help: `usage: diemcau-provision rebase TARGET [--wait S] [--url URL] [--db DIR] [--json]

The way back from a config version that went too high (a box refuses every push as older than what it applied,
or push says the next version would pass the maximum, 999999999999999). Re-sends each target's recorded desired
config under the fleet's next version, marked \`rebase\`: the box takes it even if it applied a higher version.
When the database's own record is what went too high, \`rebase all\` starts every box again from version 1.
TARGET: BOXID, group:NAME or all. Waits and reports like push.
${BROKER}\n${COMMON}`,
  },
  report: { run: report, options: ['db', 'url', 'cafile', 'wait', 'snapshot'], help: REPORT_HELP },
  status: { run: verbs.status, options: ['db', 'url', 'cafile'], help: `usage: diemcau-provision status [TARGET] [--url URL] [--db DIR] [--json]\n\nShows, per box, whether the last pushed config version is applied, partial (the parts that did not start, and why), refused (reason), offline or pending.\n${BROKER}\n${COMMON}` },
  handover: {
    run: verbs.handover,
    options: ['db', 'url', 'cafile', 'wait', 'to', 'tls-dir'],
    help: `usage: diemcau-provision handover TARGET --to URL[,URL] [--wait S] [--url URL] [--db DIR] [--json]

Moves halls to another broker (another carrier's) without a visit: pushes an mqtt section with the new broker
list and the box's own credential. The box acks on the old broker, then moves.
  --tls-dir D   where certificate boxes keep ca.crt/box.crt/box.key (default /etc/diemcau)
${BROKER}\n${COMMON}`,
  },
  reset: {
    run: verbs.reset,
    options: ['db'],
    help: `usage: diemcau-provision reset BOXID [--db DIR] [--json]

Reopens a hall to a new claim (its box was replaced): the old claim no longer counts and the hall's broker
password is rotated, so the old box is shut out once the broker reloads its password file. \`serve\` picks the
reset up by itself.
${COMMON}`,
  },
  keys: { run: verbs.keys, options: ['db'], help: `usage: diemcau-provision keys [--db DIR] [--json]\n\nCreates the ed25519 update signing key pair (once). The public key goes to boxes in their claim answer.\n${COMMON}` },
  bundle: {
    run: verbs.bundle,
    options: ['db', 'version', 'out', 'expires', 'entry'],
    help: `usage: diemcau-provision bundle DIR --version X.Y.Z --out FILE [--expires 90d] [--entry dist/agent/cli.js]

Packs DIR (the agent tree) into a signed update bundle. Boxes refuse it if tampered, unsigned, signed by another
key, expired, or not newer than what they run.
${COMMON}`,
  },
  rollout: {
    run: rollout,
    options: ['db', 'url', 'cafile', 'bundle-url', 'canary', 'share', 'max-failures', 'timeout', 'target', 'poll-ms'],
    help: `usage: diemcau-provision rollout BUNDLE --bundle-url URL [--target all] [--canary 10] [--share 10]
                                  [--max-failures 5] [--timeout 600] [--url URL] [--db DIR] [--json]

Staged update: the canary halls, then --share percent, then all. Each hall gets the update command and is
counted done when it reports the new version, failed when it refuses or rolls back. A stage whose failure rate
passes --max-failures percent halts the rollout. Halls in a meeting install afterwards (they count when done).
${BROKER}\n${COMMON}`,
  },
};

const MAIN = `usage: diemcau-provision <verb> [options]

verbs, in the order a carrier uses them:
  init           create the provisioning database and the claim credential
  import         import halls from a CSV (validated whole; idempotent)
  codes          list install codes for work orders
  reset          reopen a hall to a new claim (box replaced)
  broker-plugin  build the broker plugin that ties a client id to its login
  broker-conf    mosquitto.conf lines for the rendered password file, ACL and plugin
  ca             carrier CA and broker certificate (for certificate identities)
  keys           update signing key pair
  serve          answer zero-touch claims
  push           push desired config to a hall, a group or all; see who applied it
  status         applied / partial / refused / offline per hall
  report         the commissioning report a technician sent from a box's page
  rebase         bring halls back from a config version that went too high
  handover       move halls to another broker
  bundle         make a signed update bundle
  rollout        staged update: canary, share, all

'diemcau-provision <verb> --help' describes each verb.`;

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === 'help') {
    process.stdout.write(MAIN + '\n');
    return name ? 0 : 2;
  }
  const verb = VERBS[name];
  if (!verb) {
    process.stderr.write(`diemcau-provision: unknown verb "${name}" (see --help)\n`);
    return 2;
  }
  if (rest.includes('--help')) {
    process.stdout.write(verb.help + '\n');
    return 0;
  }
  try {
    return await verb.run(parseArgs(rest, verb.options, ['json', ...(verb.flags ?? [])]));
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`diemcau-provision ${name}: ${err.message.split(':')[0]}: refused\n`);
      for (const e of err.errors) process.stderr.write(`  ${e}\n`);
      return 2;
    }
    if (err instanceof DiemcauError) {
      process.stderr.write(`diemcau-provision ${name}: ${err.message}\n`);
      return 2;
    }
    process.stderr.write(`diemcau-provision ${name}: ${(err as Error).message}\n`);
    return 1;
  }
}

// `diemcau-provision status | head`: a reader that stops early is not an error.
process.stdout.on('error', (err: NodeJS.ErrnoException) => process.exit(err.code === 'EPIPE' ? 0 : 1));
process.exit(await main(process.argv.slice(2)));
