// Operator accounts: a username, a role and, for a provincial operator (or a viewer limited to some halls), the
// groups granted. Passwords are stored as scrypt hashes (auth/passwords.ts) and never leave this module.
import type { Db } from './db.js';
import { BadRequestError } from '../../core/errors.js';
import { GROUP_PATTERN } from '../../core/config/schema.js';
import type { Operator, Role } from '../wire.js';

export type { Operator, Role };
export const ROLES: readonly Role[] = ['national', 'provincial', 'viewer'];
export const USERNAME_PATTERN = /^[a-z0-9][a-z0-9._-]{0,63}$/;

interface Row {
  username: string;
  role: Role;
  groups: string;
  hash: string;
  created_at: number;
}

export class Operators {
  constructor(private readonly db: Db) {}

  /** Checks an account's fields; throws BadRequestError naming the one at fault. */
  static check(o: Operator): void {
    if (!USERNAME_PATTERN.test(o.username)) {
      throw new BadRequestError(`username: "${o.username}" must be lower-case letters, digits, dots, dashes or underscores (1-64)`);
    }
    if (!ROLES.includes(o.role)) throw new BadRequestError(`role: must be one of ${ROLES.join(', ')} (got "${o.role}")`);
    const bad = o.groups.find((g) => !new RegExp(GROUP_PATTERN).test(g));
    if (bad !== undefined) throw new BadRequestError(`groups: "${bad}" is not a group name (${GROUP_PATTERN})`);
    if (o.role === 'provincial' && o.groups.length === 0) throw new BadRequestError('groups: a provincial operator needs at least one group (--groups p-01)');
    if (o.role === 'national' && o.groups.length > 0) throw new BadRequestError('groups: a national operator sees every hall; give no groups');
  }

  add(o: Operator, hash: string): void {
    Operators.check(o);
    if (this.get(o.username)) throw new BadRequestError(`username: "${o.username}" already exists (user passwd changes a password)`);
    const now = Date.now();
    this.db
      .prepare('INSERT INTO operators (username, role, groups, hash, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)')
      .run(o.username, o.role, JSON.stringify(o.groups), hash, now, now);
  }

  get(username: string): (Operator & { hash: string; createdAt: number }) | null {
    const r = this.db.prepare('SELECT * FROM operators WHERE username = ?').get(username) as Row | undefined;
    return r ? { username: r.username, role: r.role, groups: JSON.parse(r.groups), hash: r.hash, createdAt: r.created_at } : null;
  }

  list(): Array<Operator & { createdAt: number }> {
    const rows = this.db.prepare('SELECT * FROM operators ORDER BY username').all() as Row[];
    return rows.map((r) => ({ username: r.username, role: r.role, groups: JSON.parse(r.groups), createdAt: r.created_at }));
  }

  /** Replaces the password and ends every session of the account. */
  setHash(username: string, hash: string): void {
    const n = this.db.prepare('UPDATE operators SET hash = ?, updated_at = ? WHERE username = ?').run(hash, Date.now(), username).changes;
    if (n === 0) throw new BadRequestError(`username: no operator "${username}"`);
    this.db.prepare('DELETE FROM sessions WHERE username = ?').run(username);
  }
}
