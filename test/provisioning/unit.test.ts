// The systemd unit and the code agree on how the agent runs: the unit's node flags are the agent's
// (agent/node-flags.ts, which `diemcau run` tests use through lab/agent-process.ts), and the script the
// unit starts is the launcher that the update tests start. The update tests read the unit (lab/unit.ts),
// so a change to it reaches them; this test catches a change to one side only.
import t from 'tap';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, writeFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { AGENT_NODE_FLAGS } from '../../agent/node-flags.js';
import { unitExec, launcherArgv, UNIT_FILE } from '../../lab/unit.js';

const REPO = resolve(import.meta.dirname, '../../..');
const PACKAGED_TREE = '/usr/lib/diemcau/agent';

t.test('the unit runs the launcher with the agent node flags', async (t) => {
  const u = unitExec();
  t.same(u.nodeFlags, AGENT_NODE_FLAGS, `${UNIT_FILE} ExecStart= node flags are AGENT_NODE_FLAGS`);
  // The package installs the agent tree at /usr/lib/diemcau/agent/ (docs/install.md): the script is a path in it.
  const inTree = u.script.startsWith(PACKAGED_TREE + '/') ? u.script.slice(PACKAGED_TREE.length + 1) : '';
  t.ok(inTree && existsSync(join(REPO, inTree)), `the unit's script ${u.script} is ${inTree} of this tree`);
  t.match(u.args, ['--root', String, '--', 'run', '--config', String], 'launcher --root DIR -- run --config FILE');
});

t.test("the CLI's shebang runs it with the agent node flags", async (t) => {
  // `dist/agent/cli.js` run by hand (development, or a technician who finds it) starts as the unit starts it.
  for (const file of ['agent/cli.ts', 'dist/agent/cli.js']) {
    const first = readFileSync(join(REPO, file), 'utf8').split('\n', 1)[0];
    t.equal(first, `#!/usr/bin/env -S node ${AGENT_NODE_FLAGS.join(' ')}`, `${file}: ${first}`);
  }
});

t.test('launcherArgv points the unit at a test directory and keeps the rest', async (t) => {
  const argv = launcherArgv({ launcher: '/x/launcher.js', root: '/tmp/box', config: '/tmp/box/etc/config.json' });
  const u = unitExec();
  t.same(argv, [...u.nodeFlags, '/x/launcher.js', '--root', '/tmp/box', '--', 'run', '--config', '/tmp/box/etc/config.json']);
});

t.test('a unit the reader cannot follow is refused naming the file', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'diemcau-unit-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'x.service');
  await writeFile(file, '[Service]\nExecStart=/usr/bin/node --max-old-space-size=64 -r ./pre.js /opt/l.js --root /opt -- run\n');
  t.same(unitExec(file), { node: '/usr/bin/node', nodeFlags: ['--max-old-space-size=64', '-r', './pre.js'], script: '/opt/l.js', args: ['--root', '/opt', '--', 'run'] });
  await writeFile(file, '[Service]\nExecStart=/usr/bin/node "/opt/my launcher.js"\n');
  t.throws(() => unitExec(file), { message: new RegExp(`${file}: ExecStart= uses quoting`) });
  await writeFile(file, '[Unit]\nExecStart=/usr/bin/node /opt/l.js\n');
  t.throws(() => unitExec(file), { message: new RegExp(`${file}: no ExecStart= in \\[Service\\]`) });
  t.throws(() => launcherArgv({ launcher: '/l.js', root: '/r' }, { node: '/usr/bin/node', nodeFlags: [], script: '/l.js', args: ['run'] }), {
    message: /has no --root VALUE/,
  });
});
