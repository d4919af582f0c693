// A scope, as every action body names it: `{"all": true}` (national operators only) or
// `{"groups": [...], "boxes": [...]}`. Checked against the operator's access (a group or hall it may not touch is a
// refusal, 403 + audit), resolved to the halls it means, and planned as messages: one group command per group
// where the scope names groups that do not overlap (a hall in two named groups would get the command twice),
// one command per hall otherwise.
import { Type, type Static } from '../../core/schema/type.js';
import { schemaErrors } from '../../core/schema/parse.js';
import { BadRequestError } from '../../core/errors.js';
import { BOX_ID_PATTERN, GROUP_PATTERN } from '../../core/config/schema.js';
import { Forbidden, type Access } from '../auth/access.js';
import type { Picture } from '../fleet/picture.js';
import type { Target } from '../fleet/fleet.js';
import type { Scope as WireScope } from '../wire.js';

export const ScopeSchema = Type.Object(
  {
    all: Type.Optional(Type.Literal(true)),
    groups: Type.Optional(Type.Array(Type.String({ pattern: GROUP_PATTERN }), { maxItems: 1000, uniqueItems: true })),
    boxes: Type.Optional(Type.Array(Type.String({ pattern: BOX_ID_PATTERN }), { maxItems: 20000, uniqueItems: true })),
  },
  { additionalProperties: false },
);
export type Scope = Static<typeof ScopeSchema>;
// The schema's type and the page's (wire.ts Scope) are one shape: a change to either that the other lacks fails the build.
const sameScope: [Scope, WireScope] extends [WireScope, Scope] ? true : never = true;
void sameScope;

export interface Resolved {
  scope: Scope;
  /** Every hall meant, by box id, sorted. */
  boxes: string[];
  target: Target;
}

/** Checks the shape (400 naming the field) before anything else. */
export function readScope(v: unknown, path = 'scope'): Scope {
  if (v === undefined) throw new BadRequestError(`${path}: is required`);
  const errs = schemaErrors(ScopeSchema, v).map((e) => (e.startsWith('(root)') ? path + e.slice(6) : `${path}.${e}`));
  if (errs.length) throw new BadRequestError(errs.join('; '), errs);
  const s = v as Scope;
  if (!s.all && !s.groups?.length && !s.boxes?.length) throw new BadRequestError(`${path}: names no hall (all, groups or boxes)`);
  if (s.all && (s.groups?.length || s.boxes?.length)) throw new BadRequestError(`${path}: "all" goes alone`);
  return s;
}

/** Checks access to everything `scope` names (Forbidden) and that it names known halls (400). */
export function resolveScope(scope: Scope, access: Access, picture: Picture, path = 'scope'): Resolved {
  if (scope.all) {
    access.mustBeNational('scope "all"');
    const boxes = picture.list().map((h) => h.box);
    if (!boxes.length) throw new BadRequestError(`${path}: no hall is known yet`);
    return { scope, boxes, target: coverAll(picture) };
  }
  const groups = scope.groups ?? [];
  for (const [i, g] of groups.entries()) {
    if (!access.seesGroup(g)) throw new Forbidden(`${path}.groups[${i}]: group ${g} is not granted to ${access.username}`);
  }
  for (const [i, b] of (scope.boxes ?? []).entries()) {
    const h = picture.get(b);
    if (!access.seesHall(h?.groups)) throw new Forbidden(`${path}.boxes[${i}]: hall ${b} is not in a group granted to ${access.username}`);
    if (!h) throw new BadRequestError(`${path}.boxes[${i}]: no hall ${b} is known`);
  }
  const all = new Set<string>();
  let overlap = false;
  for (const [i, g] of groups.entries()) {
    const members = picture.membersOf(g);
    if (members.size === 0) throw new BadRequestError(`${path}.groups[${i}]: no hall is known in group ${g}`);
    for (const b of members) {
      if (all.has(b)) overlap = true;
      all.add(b);
    }
  }
  const extra = (scope.boxes ?? []).filter((b) => !all.has(b));
  const target: Target = overlap ? { groups: [], boxes: [...all, ...extra] } : { groups: [...groups], boxes: extra };
  for (const b of extra) all.add(b);
  return { scope, boxes: [...all].sort(), target };
}

/** Every hall in as few messages as the groups allow: the largest groups first, each only if it overlaps none taken. */
function coverAll(picture: Picture): Target {
  const covered = new Set<string>();
  const groups: string[] = [];
  const bySize = picture.groups().sort((a, b) => picture.membersOf(b).size - picture.membersOf(a).size);
  for (const g of bySize) {
    const m = picture.membersOf(g);
    if (m.size < 2) continue; // a group of one hall is a box command anyway
    let clash = false;
    for (const b of m) if (covered.has(b)) { clash = true; break; }
    if (clash) continue;
    groups.push(g);
    for (const b of m) covered.add(b);
  }
  const boxes = picture.list().map((h) => h.box).filter((b) => !covered.has(b));
  return { groups, boxes };
}
