// A process a test starts runs with the node flags it has on a box: none of tap's (lab/plain-children.ts, loaded into
// every test process by .taprc). Before it, every child node process carried tap's process-info loader.
import t from 'tap';
import { spawnSync, spawn } from 'node:child_process';

const probe = 'console.log(JSON.stringify({ options: process.env.NODE_OPTIONS ?? null, execArgv: process.execArgv }))';

t.test('this test process was started by tap with its process-info import, and with lab/plain-children', async (t) => {
  t.ok(process.execArgv.some((a) => a.includes('@tapjs/processinfo')), `tap's import is in ${process.execArgv.join(' ')}`);
  t.ok(process.execArgv.some((a) => a.includes('plain-children')), 'lab/plain-children is loaded (.taprc node-arg)');
});

t.test('a child node process (spawn and spawnSync) has none of tap in its flags or NODE_OPTIONS', async (t) => {
  const sync = JSON.parse(spawnSync(process.execPath, ['-e', probe], { encoding: 'utf8' }).stdout);
  t.same(sync, { options: null, execArgv: ['-e', probe] }, 'spawnSync');
  const child = spawn(process.execPath, ['-e', probe], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d));
  await new Promise((r) => child.once('close', r));
  t.same(JSON.parse(out), { options: null, execArgv: ['-e', probe] }, 'spawn');
});

t.test('NODE_OPTIONS a test gives a child on purpose reaches it unchanged', async (t) => {
  const r = spawnSync(process.execPath, ['-e', probe], { encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '--no-addons' } });
  t.same(JSON.parse(r.stdout).options, '--no-addons');
});
