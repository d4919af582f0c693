// Fuzz of every command's payload as the agent's one dispatcher reads it (agent/command-router.ts): each command
// of the contract (core/commands/*.ts) registered with a handler that only checks what it was given, fed mutations
// of valid arguments (lab/fuzz.ts). Every case must be answered: `ok` with arguments that match the command's
// schema, or `bad_request` naming the fault, never `internal` (a TypeError, a stack overflow); no prototype is
// changed; the reply stays small whatever the payload. `FUZZ_CASES=1000000` for a long run.
import t from 'tap';
import { CommandRouter } from '../../agent/command-router.js';
import { command, type CommandDef } from '../../core/commands/define.js';
import { agentCommands } from '../../core/commands/agent.js';
import { cameraCommands } from '../../core/commands/camera.js';
import { displayCommands } from '../../core/commands/display.js';
import { mediaCommands } from '../../core/commands/media.js';
import { meetingCommands } from '../../core/commands/meeting.js';
import { panelCommands } from '../../core/commands/panel.js';
import { updateCommands } from '../../core/commands/update.js';
import { schemaErrors } from '../../core/schema/parse.js';
import { silentLogger } from '../../core/log.js';
import { DocumentMaker, seeded } from '../../lab/schema-documents.js';
import { fuzz, fuzzCases, fuzzSeed } from '../../lab/fuzz.js';

const SEED = fuzzSeed(14001);
const CASES = fuzzCases(4000);
const MAX_COMMAND_BYTES = 32768; // the config's default (core/config/schema.ts)
/** A reply names at most a few faults, whatever the command: the box must not amplify what it is sent. */
const MAX_REPLY_BYTES = 16384;

const defs: CommandDef[] = [agentCommands, cameraCommands, displayCommands, mediaCommands, meetingCommands, panelCommands, updateCommands]
  .flatMap((group) => Object.values(group) as CommandDef[]);

const router = new CommandRouter('vn-1', (n) => `diemcau/v1/vn-1/reply/${n}`, silentLogger, () => MAX_COMMAND_BYTES);
for (const def of defs) {
  router.register(
    command(def, 1000, async (args) => {
      // What a handler is given must be what its schema promises; anything else is a hole in the router.
      const errs = schemaErrors(def.schema, args);
      if (errs.length > 0) throw new Error(`${def.name} ran with arguments its schema refuses: ${errs.join('; ')}`);
      return 'ran';
    }),
  );
}

const maker = new DocumentMaker(seeded(SEED));
const samples = new Map(defs.map((d) => [d.name, Array.from({ length: 6 }, () => maker.valid(d.schema))]));

interface Case {
  name: string;
  payload: Buffer;
}

t.test(`every command's payload, ${defs.length} commands`, async (t) => {
  const codes = new Map<string, number>();
  let largestReply = 0;
  const r = await fuzz<Case>(t, {
    name: 'command payloads',
    seed: SEED,
    cases: CASES,
    make: (m, i) => {
      const def = defs[i % defs.length];
      return { name: def.name, payload: Buffer.from(m.json(samples.get(def.name)!), 'utf8') };
    },
    decode: async (c) => {
      const reply = await router.handle(`diemcau/v1/vn-1/cmd/${c.name}`, c.payload, { properties: { messageExpiryInterval: 30 } });
      const body = JSON.parse(reply!.payload) as { ok: boolean; result?: unknown; error?: { code: string; message: string } };
      largestReply = Math.max(largestReply, reply!.payload.length);
      if (reply!.payload.length > MAX_REPLY_BYTES) throw new Error(`a ${reply!.payload.length}-byte reply to a ${c.payload.length}-byte command`);
      if (body.ok) return body.result;
      codes.set(body.error!.code, (codes.get(body.error!.code) ?? 0) + 1);
      if (body.error!.code !== 'bad_request') throw new Error(`answered ${body.error!.code}: ${body.error!.message}`);
      return undefined;
    },
    accepted: (result) => result === 'ran',
    refusal: () => false, // handle() itself never throws: every outcome is a reply
    show: (c) => `${c.name} ${JSON.stringify(c.payload.toString('utf8').slice(0, 300))}`,
  });
  t.ok(r.accepted > 0 && r.refused > 0, `both outcomes reached: ${r.accepted} ran, ${r.refused} refused (${[...codes].map(([k, v]) => `${k} ${v}`).join(', ')})`);
  t.ok(largestReply <= MAX_REPLY_BYTES, `largest reply ${largestReply} bytes`);
});

// Found by this fuzzer: every unknown key was listed, twice (message and details), so a 31 KB command of 3,300
// unknown keys drew a 146 KB reply (and as many log characters): the box amplified what it was sent.
t.test('a command of thousands of unknown keys is answered in a few lines, not one per key', async (t) => {
  let keys = 0;
  let payload = '{}';
  while (payload.length < MAX_COMMAND_BYTES - 1000) payload = `{${Array.from({ length: (keys += 100) }, (_, i) => `"k${i}":1`).join(',')}}`;
  const reply = await router.handle('diemcau/v1/vn-1/cmd/ping', Buffer.from(payload), { properties: { messageExpiryInterval: 30 } });
  const body = JSON.parse(reply!.payload) as { ok: boolean; error: { code: string; message: string; details: string[] } };
  t.equal(body.error.code, 'bad_request');
  t.ok(reply!.payload.length < 4096, `a ${payload.length}-byte command of ${keys} unknown keys: a ${reply!.payload.length}-byte reply`);
  t.match(body.error.message, new RegExp(`k0: unknown field.*${keys - 20} more error\\(s\\) not listed`), 'the first errors, and how many more');
});
