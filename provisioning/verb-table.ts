// The verbs of `diemcau-provision`: what each runs, the options it takes and its --help. Every option a verb
// takes is described in its help (test/provisioning/cli-input.test.ts checks it). Dispatch is in cli.ts.
import type { Args } from './args.js';

// A verb's code is loaded when the verb runs, not when the tool starts: --help, --version and the verbs that need no
// broker do not load the MQTT client, the database or the CA (on this machine a bare `--version` took 0.21 s of CPU
// with every verb loaded; a Raspberry Pi is several times slower).
const verbs = () => import('./verbs.js');
const fleet = () => import('./fleet-verbs.js');

const COMMON = '  --db DIR      provisioning database (default $DIEMCAU_DB or ./diemcau-db)\n  --json        one JSON document on stdout instead of tables';
const BROKER = `  --url URL     broker the service logs in to, mqtt://host[:port] or mqtts://host[:port] (default $DIEMCAU_BROKER,
                else the broker most of the target halls use in the database, said on stderr)
  --cafile F    CA certificate for an mqtts:// broker`;
const NODES = `  --nodes LIST  an ejabberd cluster's nodes, as the service reaches them: the configs are retained through each,
                so a box returning to any node gets its config (a node hands out only what came through it)`;

export interface Verb {
  run: (a: Args) => Promise<number>;
  /** Options that take a value. */
  options: string[];
  /** Bare flags (besides --json, which every verb takes). */
  flags?: string[];
  help: string;
}

export const VERBS: Record<string, Verb> = {
  init: {
    run: async (a) => (await verbs()).init(a),
    options: ['db'],
    help: `usage: diemcau-provision init [--db DIR] [--json]

Creates the database and prints its two credentials: the carrier-wide claim credential (for factory images) and
the service login, which serve, push, status and cmd use, and operators' own MQTT clients (mosquitto_rr) too.
${COMMON}`,
  },
  import: {
    run: async (a) => (await verbs()).importVerb(a),
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
  codes: {
    run: async (a) => (await verbs()).codes(a),
    options: ['db'],
    help: `usage: diemcau-provision codes [TARGET] [--db DIR] [--json]

Lists halls with their install codes (for work orders) and claim state. TARGET: BOXID, group:NAME or all.
With --json: serial (from the CSV), issuedTo (the serial the identity went to) and claimed (true once that box
was online as itself) are separate fields.
${COMMON}`,
  },
  'ejabberd-conf': {
    run: async (a) => (await verbs()).ejabberdConf(a),
    options: ['db', 'domain', 'port', 'tls-port', 'bind', 'out', 'registered'],
    help: `usage: diemcau-provision ejabberd-conf --domain DOMAIN [--port 1883] [--tls-port 8883] [--bind ADDR] [--out DIR] [--registered FILE] [--db DIR] [--json]

Writes the carrier's side of an ejabberd MQTT cluster (ejabberd 23.01) from the database: ejabberd.yml, the same
file on every node (the MQTT listener, the access rules equivalent to the Mosquitto ACL: a box reaches only its
own topics and its groups' commands), and accounts.xml, the box, claim and service accounts as SCRAM credentials.
A box logs in with its box id, as on Mosquitto: ejabberd completes it to BOXID@DOMAIN. Load them:
  ejabberdctl import_piefxis DIR/accounts.xml     once, on any node (the cluster shares its accounts)
  ejabberdctl reload_config                       on each node, after ejabberd.yml changed
  --domain D         the carrier's MQTT domain: the one host of the cluster, every account is on it
  --port N           the MQTT listener's port (default 1883)
  --tls-port N       also an MQTT listener over TLS (mqtts://) with the broker certificate \`ca --host\` made, naming
                     every node (boxes verify it against the carrier CA and log in with their password)
  --bind ADDR        listen on this address only (default: every address)
  --out DIR          where to write (default DIR/broker/ejabberd of the database)
  --registered FILE  the accounts the cluster has (\`ejabberdctl registered_users DOMAIN\`): left out of accounts.xml
${COMMON}`,
  },
  'broker-conf': {
    run: async (a) => (await verbs()).brokerConf(a),
    options: ['db', 'port', 'tls-port', 'bind', 'plugin'],
    help: `usage: diemcau-provision broker-conf [--port 1883] [--tls-port 8883] [--bind ADDR] [--plugin PATH] [--db DIR]

Prints the mosquitto.conf lines that load the rendered password file and ACL, the client-id plugin (a client id
belongs to the login of that name: no login can take a box's connection over) and, with --tls-port, a
client-certificate listener whose client id is the certificate's box id.
  --port N       the password listener's port (default 1883)
  --tls-port N   also a client-certificate listener on this port (mqtts://; needs \`ca\` first)
  --bind ADDR    listen on this address only, e.g. the one boxes reach (default: every address)
  --plugin PATH  where the broker finds the plugin (default: the one broker-plugin built in DIR/broker/)
${COMMON}`,
  },
  'broker-plugin': {
    run: async (a) => (await verbs()).brokerPlugin(a),
    options: ['db', 'out'],
    help: `usage: diemcau-provision broker-plugin [--out PATH] [--db DIR]

Builds the broker's client-id plugin (a Mosquitto 2.0 plugin, C) with cc ($CC) into DIR/broker/diemcau_clientid.so.
Needs a C compiler and Mosquitto's plugin headers (Debian: gcc mosquitto-dev libmosquitto-dev).
  --out PATH    build it here instead
${COMMON}`,
  },
  ca: {
    run: async (a) => (await verbs()).caVerb(a),
    options: ['db', 'host'],
    help: `usage: diemcau-provision ca --host NAME[,NAME...] [--db DIR]

Creates the carrier CA (once) and a server certificate for the broker. Boxes that claim a certificate send a CSR;
the CA signs it with CN = box id. Private keys of boxes never leave the boxes.
  --host NAMES  the broker's names and addresses, as boxes reach it (comma-separated)
${COMMON}`,
  },
  serve: {
    run: async (a) => (await fleet()).serve(a),
    options: ['db', 'url', 'cafile'],
    help: `usage: diemcau-provision serve [--url URL] [--db DIR]

Answers claims on diemcau/v1/claim/<serial>/req until stopped (SIGTERM). A hall is handed out to one serial;
once its box has been online as itself it cannot be claimed again. Logs each claim granted or refused.
${BROKER}
${COMMON}`,
  },
  push: {
    run: async (a) => (await fleet()).push(a),
    options: ['db', 'url', 'cafile', 'wait', 'nodes'],
    help: `usage: diemcau-provision push TARGET FILE.json [--wait S] [--url URL] [--nodes URL,URL...] [--db DIR] [--json]

Pushes desired config sections (hall, mqtt, telemetry, devices, media; each replaces the box's section whole) to
TARGET: BOXID, group:NAME or all, under one new version, retained: offline boxes apply it on return. The file is
checked whole first (every error at once). Waits up to --wait seconds (default 10) for acks, then shows applied /
partial (with the box's reasons) / refused (with reason) / offline / pending, and which boxes are connected.
  --wait S      how long to wait for acks
${NODES}
${BROKER}
${COMMON}`,
  },
  report: {
    run: async (a) => (await import('./report-verb.js')).report(a),
    options: ['db', 'url', 'cafile', 'wait', 'snapshot'],
    help: `usage: diemcau-provision report BOXID [--snapshot FILE] [--wait S] [--url URL] [--db DIR] [--json]

Shows the commissioning report a technician sent from the box's page ("done"): who and when, whether the centre
heard the hall (selftest), the network, each device's health. Exit 1 when the box has sent none.
  --snapshot F  write the report's camera picture (JPEG) to F
  --wait S      how long to wait for the retained report (default 5)
${BROKER}
${COMMON}`,
  },
  rebase: {
    run: async (a) => (await fleet()).rebase(a),
    options: ['db', 'url', 'cafile', 'wait', 'nodes'],
    help: `usage: diemcau-provision rebase TARGET [--wait S] [--url URL] [--nodes URL,URL...] [--db DIR] [--json]

The way back from a config version that went too high (a box refuses every push as older than what it applied,
or push says the next version would pass the maximum, 999999999999999). Re-sends each target's recorded desired
config under the fleet's next version, marked \`rebase\`: the box takes it even if it applied a higher version.
When the database's own record is what went too high, \`rebase all\` starts every box again from version 1.
TARGET: BOXID, group:NAME or all. Waits and reports like push.
  --wait S      how long to wait for acks (default 10)
${NODES}
${BROKER}
${COMMON}`,
  },
  status: {
    run: async (a) => (await fleet()).status(a),
    options: ['db', 'url', 'cafile'],
    help: `usage: diemcau-provision status [TARGET] [--url URL] [--db DIR] [--json]

Shows, per box, whether it is connected now (online: yes, no, never seen) and whether the last pushed config
version is applied, partial (the parts that did not start, and why), refused (reason), offline (applies on
return), pending, or none (nothing pushed yet). The table lists every box that is not both connected and applied.
${BROKER}
${COMMON}`,
  },
  cmd: {
    run: async (a) => (await import('./cmd-verb.js')).cmd(a),
    options: ['db', 'url', 'cafile', 'timeout'],
    help: `usage: diemcau-provision cmd TARGET NAME [ARGS-JSON] [--timeout S] [--url URL] [--db DIR] [--json]

Sends the command NAME (docs/mqtt.md, e.g. ping, camera.move '{"pan":2000,"tilt":300}') with its arguments as a
JSON object (default {}) and prints each box's answer. TARGET: BOXID, group:NAME (one publish on the group's
topic; every hall of the group answers) or all. Logs in as the service login, with a message expiry of --timeout
and a response topic under each box's own reply/ (where the ACL lets it answer). Boxes that do not answer in time
are named (and whether they are connected). Exit 0 when every box answered ok, 1 otherwise.
  --timeout S   how long to wait for the answers (default 10)
${BROKER}
${COMMON}`,
  },
  handover: {
    run: async (a) => (await fleet()).handover(a),
    options: ['db', 'url', 'cafile', 'wait', 'to', 'tls-dir', 'nodes'],
    flags: ['spread'],
    help: `usage: diemcau-provision handover TARGET --to URL[,URL] [--spread] [--wait S] [--url URL] [--nodes URL,URL...] [--db DIR] [--json]

Moves halls to another broker (another carrier's, or a cluster) without a visit: pushes an mqtt section with the
new broker list and the box's own credential. The box acks on the old broker, then moves.
  --to URLS     the new broker URL(s), comma-separated, in order of preference
  --spread      the URLs are the nodes of one cluster: each box gets them in its own order (picked by its box
                id), so boxes spread evenly over the nodes, and a dead node's boxes evenly over the others
  --tls-dir D   where certificate boxes keep ca.crt/box.crt/box.key (default /etc/diemcau)
  --wait S      how long to wait for acks (default 10)
${NODES}
${BROKER}
${COMMON}`,
  },
  reset: {
    run: async (a) => (await verbs()).reset(a),
    options: ['db'],
    help: `usage: diemcau-provision reset BOXID [--db DIR] [--json]

Reopens a hall to a new claim (its box was replaced): the old claim no longer counts and the hall's broker
password is rotated, so the old box is shut out once the broker reloads its password file. \`serve\` picks the
reset up by itself.
${COMMON}`,
  },
  keys: {
    run: async (a) => (await verbs()).keys(a),
    options: ['db'],
    help: `usage: diemcau-provision keys [--db DIR] [--json]\n\nCreates the ed25519 update signing key pair (once). The public key goes to boxes in their claim answer.\n${COMMON}`,
  },
  bundle: {
    run: async (a) => (await verbs()).bundle(a),
    options: ['db', 'version', 'out', 'expires', 'entry'],
    help: `usage: diemcau-provision bundle DIR --version X.Y.Z --out FILE [--expires 90d] [--entry dist/agent/cli.js]

Packs DIR (the agent tree) into a signed update bundle. Boxes refuse it if tampered, unsigned, signed by another
key, expired, or not newer than what they run.
  --version V   the version the bundle installs
  --out FILE    where the bundle is written
  --expires T   boxes refuse it after this long (default 90d)
  --entry PATH  the agent's entry point inside DIR (default dist/agent/cli.js)
${COMMON}`,
  },
  rollout: {
    run: async (a) => (await import('./rollout-verb.js')).rollout(a),
    options: ['db', 'url', 'cafile', 'bundle-url', 'canary', 'share', 'max-failures', 'timeout', 'target', 'poll-ms', 'busy-retry-ms'],
    help: `usage: diemcau-provision rollout BUNDLE --bundle-url URL [--target all] [--canary 10] [--share 10]
                                  [--max-failures 5] [--timeout 600] [--url URL] [--db DIR] [--json]

Staged update: the canary halls, then --share percent, then all. Each hall gets the update command and is
counted done when it reports the new version, failed when it refuses or rolls back. A stage whose failure rate
passes --max-failures percent halts the rollout. Halls in a meeting install afterwards (they count when done).
  --bundle-url URL    where boxes download the bundle (http:// or https://)
  --target T          BOXID, group:NAME or all (default all)
  --canary N          halls in the first stage (default 10)
  --share P           percent of the halls in the second stage (default 10)
  --max-failures P    a stage with more failures than this percent halts the rollout (default 5)
  --timeout S         how long a hall may take to report the new version (default 600)
  --poll-ms MS        how often a hall is asked how its update goes (default 2000)
  --busy-retry-ms MS  how long to wait before asking a hall in a meeting again (default 5000)
${BROKER}
${COMMON}`,
  },
};

export const MAIN = `usage: diemcau-provision <verb> [options]

verbs, in the order a carrier uses them:
  init           create the provisioning database; prints the claim credential and the service login
  import         import halls from a CSV (validated whole; idempotent)
  codes          list install codes for work orders
  reset          reopen a hall to a new claim (box replaced)
  broker-plugin  build the broker plugin that ties a client id to its login
  broker-conf    mosquitto.conf lines for the rendered password file, ACL and plugin
  ejabberd-conf  ejabberd.yml and accounts for an ejabberd MQTT cluster instead
  ca             carrier CA and broker certificate (for certificate identities)
  keys           update signing key pair
  serve          answer zero-touch claims
  status         who is online, and applied / partial / refused / offline per hall
  cmd            send a command to a hall, a group or all, and print each answer
  push           push desired config to a hall, a group or all; see who applied it
  report         the commissioning report a technician sent from a box's page
  rebase         bring halls back from a config version that went too high
  handover       move halls to another broker
  bundle         make a signed update bundle
  rollout        staged update: canary, share, all

'diemcau-provision <verb> --help' describes each verb; 'diemcau-provision --version' prints the version.
Exit codes: 0 done, 1 done with refusals (or failed), 2 bad input (the message names it), 3 the broker could
not be reached. With --json an error is one JSON document on stdout too: {"error": {"code", "message"}}.`;
