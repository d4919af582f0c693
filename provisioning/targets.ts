// Which halls a verb acts on: one box id, a group (`group:p-01`, any group a hall carries), or `all`.
import { BadRequestError } from '../core/errors.js';
import type { Hall } from './halls.js';

export function resolveTargets(halls: Record<string, Hall>, spec: string): string[] {
  if (spec === 'all') return Object.keys(halls).sort();
  if (spec.startsWith('group:')) {
    const g = spec.slice('group:'.length);
    const out = Object.values(halls).filter((h) => h.groups.includes(g)).map((h) => h.boxId).sort();
    if (out.length === 0) throw new BadRequestError(`target ${spec}: no hall is in group ${g}`);
    return out;
  }
  if (!halls[spec]) throw new BadRequestError(`target ${spec}: no such hall (give a box id, group:<name> or all)`);
  return [spec];
}
