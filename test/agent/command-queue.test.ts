// The dispatcher's queue on its own: commands past the running limit wait in arrival order, the excess over the
// bound is refused `busy` at once, and a command that waited past its message expiry is refused instead of run.
// The command here is one the test holds and lets go, as a slow device would.
import t from 'tap';
import { Type } from '../../core/schema/type.js';
import { CommandRouter, type Reply } from '../../agent/command-router.js';
import { command } from '../../core/commands/define.js';
import { COMMAND_SLOTS } from '../../agent/command-slots.js';
import { silentLogger } from '../../core/log.js';

function holdingRouter() {
  const router = new CommandRouter('vn-1', (n) => `diemcau/v1/vn-1/reply/${n}`, silentLogger, () => 16384);
  const started: number[] = [];
  const held: Array<() => void> = [];
  const hold = { name: 'hold', summary: 'Runs until the test lets it go.', schema: Type.Object({ i: Type.Integer() }, { additionalProperties: false }) };
  router.register(
    command(hold, 60_000, (a) =>
      new Promise((resolve) => {
        started.push(a.i);
        held.push(() => resolve(a.i));
      }),
    ),
  );
  const send = (i: number, expiryS = 60) =>
    router.handle('diemcau/v1/vn-1/cmd/hold', Buffer.from(JSON.stringify({ i })), { properties: { messageExpiryInterval: expiryS } });
  const letGo = async () => {
    while (held.length > 0) {
      held.shift()!();
      await new Promise((r) => setImmediate(r));
    }
  };
  return { send, started, letGo };
}

const body = (r: Reply | null) => JSON.parse(r!.payload);

t.test('past the running limit commands wait in order; past the bound the excess is busy at once', async (t) => {
  const { send, started, letGo } = holdingRouter();
  const total = COMMAND_SLOTS.running + COMMAND_SLOTS.waiting + 3;
  const replies = Array.from({ length: total }, (_, i) => send(i));
  const early = await Promise.all(replies.slice(-3));
  t.same(early.map((r) => body(r).error?.code), ['busy', 'busy', 'busy'], 'the three over the bound, answered before anything ends');
  t.match(body(early[0]).error.message, `${COMMAND_SLOTS.running} commands running and ${COMMAND_SLOTS.waiting} waiting`);
  t.equal(started.length, COMMAND_SLOTS.running, 'only the running limit has started');
  await letGo();
  const all = (await Promise.all(replies.slice(0, -3))).map(body);
  t.equal(all.filter((b) => b.ok).length, COMMAND_SLOTS.running + COMMAND_SLOTS.waiting, 'every queued command ran and answered');
  t.same(started, [...started].sort((a, b) => a - b), 'in arrival order');
});

t.test('a command that waited past its message expiry is refused, not run', async (t) => {
  const { send, started, letGo } = holdingRouter();
  const running = Array.from({ length: COMMAND_SLOTS.running }, (_, i) => send(i));
  const stale = send(9999, 1);
  await new Promise((r) => setTimeout(r, 1200));
  await letGo();
  await Promise.all(running);
  const r = body(await stale);
  t.match(r, { ok: false, error: { code: 'busy', message: /waited \d+\.\d s for a slot, past its message expiry of 1 s; not run/ } });
  t.notOk(started.includes(9999), 'it never ran');
});
