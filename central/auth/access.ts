// What an operator may see and do, checked on the server for every hall and group a request names and for
// everything it is sent (the live feed included). national: everything. provincial: the halls carrying one of its
// granted groups, and those groups. viewer: reads only (everything, or its granted groups' halls if it has some).
import type { Operator } from '../store/operators.js';

/** A refusal: answered 403 and written to the audit log. */
export class Forbidden extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'Forbidden';
  }
}

export class Access {
  private readonly granted: ReadonlySet<string>;

  constructor(readonly operator: Operator) {
    this.granted = new Set(operator.groups);
  }

  get username(): string {
    return this.operator.username;
  }

  get national(): boolean {
    return this.operator.role === 'national';
  }

  /** Sees only some halls (a provincial operator, or a viewer given groups). */
  get limited(): boolean {
    return this.granted.size > 0;
  }

  seesGroup(group: string): boolean {
    return !this.limited || this.granted.has(group);
  }

  /** `groups` of a hall; an unknown hall (undefined) is seen by an unlimited operator only. */
  seesHall(groups: readonly string[] | undefined): boolean {
    if (!this.limited) return true;
    return groups !== undefined && groups.some((g) => this.granted.has(g));
  }

  /** Throws Forbidden unless the operator may act (not a viewer). */
  mustAct(what: string): void {
    if (this.operator.role === 'viewer') throw new Forbidden(`${this.username} is a viewer: ${what} is not allowed`);
  }

  mustBeNational(what: string): void {
    if (!this.national) throw new Forbidden(`${what} is for national operators (${this.username} is ${this.operator.role})`);
  }
}
