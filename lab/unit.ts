// The box's systemd unit (systemd/diemcau.service), read by the tests that start the launcher, so that they run the
// agent with the unit's node flags and arguments: when the unit changes, the tests follow. Issue 10: the unit's
// --lite-mode turned WebAssembly off, which broke every field download, and the tests, which started the launcher
// without the flag, never saw it.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const UNIT_FILE = fileURLToPath(new URL('../../systemd/diemcau.service', import.meta.url));

/** Node options that take their value as the next word. */
const FLAGS_WITH_VALUE = new Set(['-r', '--require', '--import', '--loader', '--experimental-loader', '-C', '--conditions', '--title']);

export interface UnitExec {
  /** The node binary, e.g. /usr/bin/node. */
  node: string;
  /** Node's own flags, before the script, e.g. ['--lite-mode']. */
  nodeFlags: string[];
  /** The launcher script as installed on a box. */
  script: string;
  /** Everything after the script: the launcher's arguments, `--`, the agent's. */
  args: string[];
}

/** Parses ExecStart= of the unit's [Service] section; throws naming the file when it is not one plain command. */
export function unitExec(file = UNIT_FILE): UnitExec {
  let section = '';
  let exec: string | null = null;
  for (const raw of readFileSync(file, 'utf8').split('\n')) {
    const line = raw.trim();
    if (line.startsWith('[')) section = line;
    else if (section === '[Service]' && line.startsWith('ExecStart=')) {
      if (exec !== null) throw new Error(`${file}: more than one ExecStart=`);
      exec = line.slice('ExecStart='.length);
    }
  }
  if (exec === null) throw new Error(`${file}: no ExecStart= in [Service]`);
  if (/["'\\$%]/.test(exec)) throw new Error(`${file}: ExecStart= uses quoting or specifiers, which this reader does not expand: ${exec}`);
  const words = exec.replace(/^[-@:+!]+/, '').split(/\s+/).filter(Boolean);
  const [node, ...rest] = words;
  const nodeFlags: string[] = [];
  let i = 0;
  while (i < rest.length && rest[i].startsWith('-')) {
    nodeFlags.push(rest[i]);
    if (FLAGS_WITH_VALUE.has(rest[i])) nodeFlags.push(rest[++i]);
    i++;
  }
  if (!node?.endsWith('/node') || i >= rest.length) throw new Error(`${file}: ExecStart= is not "node [flags] script [args]": ${exec}`);
  return { node, nodeFlags, script: rest[i], args: rest.slice(i + 1) };
}

/**
 * The argv (after process.execPath) that starts `launcher` as the unit does, with the unit's `--root` and
 * `--config` pointed at a test's directories. Every other flag and argument is the unit's own.
 */
export function launcherArgv(o: { launcher: string; root: string; config?: string }, exec = unitExec()): string[] {
  const args = [...exec.args];
  const put = (flag: string, value: string | undefined) => {
    const at = args.indexOf(flag);
    if (at < 0 || at + 1 >= args.length) throw new Error(`${UNIT_FILE}: ExecStart= has no ${flag} VALUE to point at the test's directory`);
    if (value !== undefined) args[at + 1] = value;
  };
  put('--root', o.root);
  if (o.config !== undefined) put('--config', o.config);
  return [...exec.nodeFlags, o.launcher, ...args];
}
