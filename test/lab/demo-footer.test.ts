// The demo's footer offers a camera command to try (issue 13, item 11): run as printed, on the demo's own broker,
// its effect shows in the next tables (the old line recalled a preset nobody had stored, and nothing moved). The
// real demo runs as a person runs it (`npm run demo` without a terminal), its tables every 0.5 s (--every) instead of
// every 5 s, so that the next table comes soon; the line is taken from its output.
import t from 'tap';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { stopChild } from '../../core/stop-child.js';
import { waitFor } from '../../lab/wait.js';

const DEMO = fileURLToPath(new URL('../../lab/demo/cli.js', import.meta.url));
/** The first hall's camera cell of the table: `cam:ok p0/t0`. */
const CAM = /cam:\S+ p(-?\d+)\/t(-?\d+)/g;

t.test("the footer's camera line moves the camera, and the table shows it", async (t) => {
  const demo = spawn(process.execPath, [DEMO, '--halls', '1', '--no-media', '--every', '0.5'], { stdio: ['ignore', 'pipe', 'pipe'] });
  t.teardown(() => stopChild(demo, 'SIGTERM', 10_000));
  let out = '';
  demo.stdout.on('data', (d) => (out += d));
  demo.stderr.on('data', (d) => (out += d));
  const lastCam = (text: string) => [...text.matchAll(CAM)].at(-1)?.[0];

  await waitFor('a table with the hall online and its camera position', () => lastCam(out), { timeoutMs: 30_000 });
  const line = out
    .split('\n')
    .find((l) => l.includes('/cmd/camera.'))!
    .replace(/^\s*Try:\s*/, '')
    .replace(/ {3}\(.*$/, '');
  t.ok(line, `the footer offers a camera line: ${line}`);
  const before = lastCam(out)!;
  const seenFrom = out.length;

  const ran = await new Promise<{ code: number | null; out: string }>((resolve) => {
    const p = spawn('sh', ['-c', `exec ${line}`], { stdio: ['ignore', 'pipe', 'pipe'] });
    let o = '';
    p.stdout.on('data', (d) => (o += d));
    p.stderr.on('data', (d) => (o += d));
    p.on('exit', (code) => resolve({ code, out: o }));
  });
  t.equal(ran.code, 0, `the line runs: ${ran.out}`);
  const after = await waitFor(`the cam column to change from "${before}"`, () => lastCam(out.slice(seenFrom)), {
    until: (cam) => cam !== undefined && cam !== before,
    timeoutMs: 20_000,
  }).catch(() => lastCam(out.slice(seenFrom))); // not changed in time: what the tables showed meanwhile
  t.ok(after !== undefined && after !== before, `the table shows the move: "${before}" before, "${after}" after`);
  const asked = /"pan":(-?\d+),"tilt":(-?\d+)/.exec(line);
  if (asked) {
    await waitFor('the camera to reach the position the line asked for', () => lastCam(out), { until: (cam) => cam?.endsWith(` p${asked[1]}/t${asked[2]}`) === true, timeoutMs: 20_000 });
    t.pass(`the cam column shows p${asked[1]}/t${asked[2]}`);
  }
});
