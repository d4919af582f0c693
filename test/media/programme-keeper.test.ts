// When the worker subscribes to the programme: at once, again after a failure once the retry time has passed
// (not before), not while a subscription is on its way, again when the programme went silent past the stale time,
// and never on behalf of a session that has been replaced.
import t from 'tap';
import { ProgrammeKeeper } from '../../agent/media/worker/programme-keeper.js';
import { sleep, waitFor } from '../../lab/wait.js';

// The keeper reads the wall clock. "Not before" checks happen within a few ms of the event they follow; the
// times are set so that even a machine stalled for most of a second cannot carry them past: a retry time of 1 s,
// a stale time of 1.5 s, and the sleeps that pass them go over by 100 ms or more.
const RETRY_MS = 1000;
const STALE_MS = 1500;

t.test('subscribe, retry after failure, resubscribe when silent', async (t) => {
  const warnings: string[] = [];
  const k = new ProgrammeKeeper((m, f) => warnings.push(`${m}${f?.err ? `: ${f.err}` : ''}`), { stale: STALE_MS, retry: RETRY_MS });
  let calls = 0;
  let outcome: 'ok' | 'fail' | 'hang' = 'fail';
  const subscribe = () => {
    calls++;
    if (outcome === 'hang') return new Promise<void>(() => {});
    return outcome === 'ok' ? Promise.resolve() : Promise.reject(new Error('HTTP 404'));
  };
  const current = () => true;

  k.keep(subscribe, undefined, current);
  t.equal(calls, 1, 'subscribes at once');
  await waitFor('the failure named', () => warnings, { until: (w) => w.length > 0 });
  t.same(warnings, ['media: programme not received: HTTP 404'], 'the failure is named');
  k.keep(subscribe, undefined, current);
  t.equal(calls, 1, 'no retry before the retry time');
  await sleep(RETRY_MS + 100);
  outcome = 'ok';
  k.keep(subscribe, undefined, current);
  t.equal(calls, 2, 'retried after it');
  await sleep(10);
  k.keep(subscribe, Date.now(), current);
  t.equal(calls, 2, 'on and the programme flowing: nothing to do');
  const lastInput = Date.now();
  await sleep(STALE_MS + 100);
  outcome = 'hang';
  k.keep(subscribe, lastInput, current);
  t.equal(calls, 3, 'silent past the stale time: subscribes again');
  t.match(warnings.at(-1), /programme stopped; subscribing again/);
  k.keep(subscribe, lastInput, current);
  t.equal(calls, 3, 'not while a subscription is on its way');
});

t.test('a replaced session does not set the state', async (t) => {
  // A retry time no test run reaches: a second subscription can only come from the reset.
  const k = new ProgrammeKeeper(() => {}, { stale: 60_000, retry: 60_000 });
  let calls = 0;
  let replaced = false;
  k.keep(() => (calls++, Promise.reject(new Error('x'))), undefined, () => !replaced);
  replaced = true;
  k.reset();
  await sleep(10);
  k.keep(() => (calls++, Promise.resolve()), undefined, () => true);
  t.equal(calls, 2, 'the new session subscribes at once: the old failure did not start a retry wait');
});
