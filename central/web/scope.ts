// The scope an action goes to, as an operator picks it: all halls (national operators), one province or other
// group, or exactly the halls the filter shows now. It says how many halls that is, for the confirmation.
import { L } from './labels.js';
import { fmt, h } from './dom.js';
import type { Ctx } from './ctx.js';
import type { Scope } from '../wire.js';

const FILTERED = '@filtered';
const ALL = '@all';

export class ScopePicker {
  readonly el: HTMLSelectElement;
  private key = '';

  constructor(private readonly ctx: Ctx) {
    this.el = h('select', { class: 'scope', 'aria-label': L.scope.label });
    this.fill();
    ctx.model.groupsChanged.on(() => this.fill());
    ctx.filter.onChange(() => this.fill());
  }

  /** Rebuilt only when the groups or the filter change (not their counts: an open select would close). */
  private fill(): void {
    const { model } = this.ctx;
    // Counts moved, nothing else (every diff): the list is as it was.
    if (!this.ctx.filter.active && this.key.startsWith(`-1|${model.groupsVersion}|`)) return;
    const groups = [...model.groupsOf('province'), ...model.groupsOf('other')];
    const filtered = this.ctx.filter.active ? this.filtered().length : -1;
    const key = `${filtered}|${model.groupsVersion}|${groups.map((g) => g.group + '=' + g.name).join('|')}`;
    if (key === this.key) return;
    this.key = key;
    const was = this.el.value;
    const opts: HTMLOptionElement[] = [];
    if (this.ctx.national) opts.push(h('option', { value: ALL }, L.scope.all));
    for (const g of groups) opts.push(h('option', { value: g.group }, g.name));
    if (filtered >= 0) opts.push(h('option', { value: FILTERED }, L.scope.filtered(fmt(filtered))));
    this.el.replaceChildren(...opts);
    if (opts.some((o) => o.value === was)) this.el.value = was;
  }

  private filtered(): string[] {
    const { model, filter } = this.ctx;
    const out: string[] = [];
    for (const r of model.halls.values()) if (filter.matches(r, model.keys.get(r.box))) out.push(r.box);
    return out.sort();
  }

  /** The scope chosen, as the API takes it, and how many halls it holds now. */
  value(): { scope: Scope; halls: number } {
    const v = this.el.value;
    if (v === ALL) return { scope: { all: true }, halls: this.ctx.model.halls.size };
    if (v === FILTERED) {
      const boxes = this.filtered();
      return { scope: { boxes }, halls: boxes.length };
    }
    return { scope: { groups: [v] }, halls: this.ctx.model.groups.get(v)?.counts.total ?? 0 };
  }
}
