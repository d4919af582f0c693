#!/usr/bin/env node
// `diemcau-central`: the central console's server and its operator accounts.
//   serve --config FILE                       runs the server until SIGTERM/SIGINT
//   user add NAME --role R [--groups a,b]     adds an operator (password on stdin or --password-file)
//   user list                                 lists operators
//   user passwd NAME                          sets a new password (ends the operator's sessions)
// Exit codes: 0 done, 1 failed, 2 bad input (the message names the thing at fault).
import { readFile } from 'node:fs/promises';
import { parseCli } from '../core/cli-args.js';
import { BadRequestError, DiemcauError } from '../core/errors.js';
import { createLogger } from '../core/log.js';
import { loadCentralConfig } from './config.js';
import { Store } from './store/db.js';
import { Operators, type Role } from './store/operators.js';
import { Audit } from './store/audit.js';
import { hashPassword, passwordProblem } from './auth/passwords.js';
import { Central } from './app.js';

const HELP = `usage: diemcau-central serve --config FILE
       diemcau-central user add USERNAME --role national|provincial|viewer [--groups p-01,p-02] [--password-file F]
       diemcau-central user list [--json]
       diemcau-central user passwd USERNAME [--password-file F]

serve          runs the console server (HTTP API, live feed, the page) with the config FILE (docs/console.md)
user add       adds an operator; the password is read from stdin (its first line) or from --password-file.
               A provincial operator needs --groups: it sees and commands only the halls of those groups.
user list      lists operators (username, role, groups)
user passwd    sets a new password and ends that operator's sessions
Options for user verbs:
  --config FILE   the console config (its db is used; default ./central.json)
  --db FILE       the database file instead
`;

async function readPassword(file: string | undefined): Promise<string> {
  let text: string;
  if (file) text = await readFile(file, 'utf8').catch((err) => {
    throw new BadRequestError(`--password-file ${file}: cannot read: ${(err as NodeJS.ErrnoException).code ?? err.message}`);
  });
  else {
    if (process.stdin.isTTY) throw new BadRequestError('password: give it on stdin (printf %s "$PW" | diemcau-central ...) or with --password-file');
    const chunks: Buffer[] = [];
    for await (const c of process.stdin) chunks.push(c as Buffer);
    text = Buffer.concat(chunks).toString('utf8');
  }
  const pw = text.split(/\r?\n/)[0];
  const problem = passwordProblem(pw);
  if (problem) throw new BadRequestError(problem);
  return pw;
}

async function openStore(values: Record<string, unknown>): Promise<Store> {
  const db = typeof values.db === 'string' ? values.db : (await loadCentralConfig(typeof values.config === 'string' ? values.config : 'central.json')).db;
  return new Store(db);
}

async function user(argv: string[]): Promise<number> {
  const { positionals, values } = parseCli(argv, { values: ['config', 'db', 'role', 'groups', 'password-file'], flags: ['json', 'help'] });
  const [verb, name] = positionals;
  if (values.help || !verb) {
    process.stdout.write(HELP);
    return values.help ? 0 : 2;
  }
  if (verb === 'list') {
    const store = await openStore(values);
    try {
      const ops = new Operators(store.db).list();
      if (values.json) process.stdout.write(JSON.stringify(ops, null, 2) + '\n');
      else for (const o of ops) process.stdout.write(`${o.username.padEnd(20)} ${o.role.padEnd(11)} ${o.groups.join(',') || '-'}\n`);
    } finally {
      store.close();
    }
    return 0;
  }
  if (verb !== 'add' && verb !== 'passwd') throw new BadRequestError(`user ${verb}: unknown verb (add, list, passwd)`);
  if (!name) throw new BadRequestError(`user ${verb}: give the USERNAME`);
  const groups = typeof values.groups === 'string' ? values.groups.split(',').map((g) => g.trim()).filter(Boolean) : [];
  const role = (values.role ?? (verb === 'add' ? undefined : 'national')) as Role | undefined;
  if (verb === 'add' && !role) throw new BadRequestError('user add: --role is required (national, provincial or viewer)');
  if (verb === 'add') Operators.check({ username: name, role: role!, groups }); // before asking for a password
  const pw = await readPassword(values['password-file'] as string | undefined);
  const hash = await hashPassword(pw);
  const store = await openStore(values);
  try {
    const ops = new Operators(store.db);
    const audit = new Audit(store.db);
    if (verb === 'add') {
      ops.add({ username: name, role: role!, groups }, hash);
      audit.write({ operator: null, action: 'user.add', outcome: 'ok', detail: `${name} ${role} ${groups.join(',')} (diemcau-central user add)` });
      process.stdout.write(`added ${name} (${role}${groups.length ? `: ${groups.join(', ')}` : ''})\n`);
    } else {
      ops.setHash(name, hash);
      audit.write({ operator: null, action: 'user.passwd', outcome: 'ok', detail: `${name} (diemcau-central user passwd)` });
      process.stdout.write(`password of ${name} changed; its sessions ended\n`);
    }
  } finally {
    store.close();
  }
  return 0;
}

async function serve(argv: string[]): Promise<number> {
  const { values } = parseCli(argv, { values: ['config'], flags: ['help'] });
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  if (typeof values.config !== 'string') throw new BadRequestError('serve: --config FILE is required');
  const config = await loadCentralConfig(values.config);
  const log = createLogger({ svc: 'diemcau-central' });
  const central = await Central.start(config, log);
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
  log.info('stopping');
  await central.stop();
  return 0;
}

async function main(argv: string[]): Promise<number> {
  const [verb, ...rest] = argv;
  if (verb === 'serve') return serve(rest);
  if (verb === 'user') return user(rest);
  if (verb === undefined || verb === '--help' || verb === '-h' || verb === 'help') {
    process.stdout.write(HELP);
    return verb === undefined ? 2 : 0;
  }
  throw new BadRequestError(`unknown verb "${verb}" (serve, user)`);
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    const bad = err instanceof DiemcauError && (err.code === 'bad_request' || err.code === 'config_invalid');
    process.stderr.write(`diemcau-central: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(bad ? 2 : 1);
  },
);
