// The counts at the top: every hall of this page by state ("8,912 of 9,034 heard"), then one chip per province and
// per other group with its own "heard of total" and a bar of its states. Clicking a chip filters both views by it.
// Only the chips of groups that changed are rewritten.
import { L } from './labels.js';
import { fmt, h, STATE_COLOR, STATE_ORDER } from './dom.js';
import type { Model } from './model.js';
import type { Filter } from './filter.js';
import type { Counts, GroupRow, Visual } from './types.js';

const KEY: Record<Visual, keyof Counts> = { offline: 'offline', online: 'online', 'in-meeting': 'inMeeting', seen: 'seen', heard: 'heard', problem: 'problem' };

function stateBar(counts: Record<Visual, number>, total: number): HTMLElement {
  const bar = h('span', { class: 'sbar' });
  for (const s of STATE_ORDER) {
    const n = counts[s];
    if (!n) continue;
    const part = h('span', { title: `${L.states[s]}: ${fmt(n)}` });
    part.style.background = STATE_COLOR[s];
    part.style.width = `${(100 * n) / Math.max(1, total)}%`;
    bar.appendChild(part);
  }
  return bar;
}

export function countsBar(model: Model, filter: Filter): HTMLElement {
  const total = h('div', { class: 'total' });
  const chips = h('div', { class: 'chips' });
  const chipOf = new Map<string, HTMLElement>();

  const renderTotal = () => {
    const all = model.halls.size;
    total.replaceChildren(
      h('strong', {}, L.counts.all),
      ' ',
      h('span', { class: 'heard-of', 'data-group': '' }, L.counts.heardOf(fmt(model.totals.heard), fmt(all))),
      stateBar(model.totals, all),
      ...STATE_ORDER.map((s) => {
        const sw = h('span', { class: 'swatch', 'data-state': s });
        sw.style.background = STATE_COLOR[s];
        return h('span', { class: 'legend', 'data-state': s }, sw, `${L.states[s]} ${fmt(model.totals[s])}`);
      }),
    );
  };

  const chip = (g: GroupRow): HTMLElement => {
    const c = g.counts;
    const byState = Object.fromEntries(STATE_ORDER.map((s) => [s, c[KEY[s]]])) as Record<Visual, number>;
    const el = h(
      'button',
      { class: `chip${filter.group === g.group ? ' on' : ''}`, 'data-group': g.group, title: g.group },
      h('span', { class: 'chip-name' }, g.name),
      h('span', { class: 'heard-of' }, L.counts.heardOf(fmt(c.heard), fmt(c.total))),
      stateBar(byState, c.total),
    );
    el.addEventListener('click', () => {
      filter.group = filter.group === g.group ? '' : g.group;
      filter.changed();
    });
    return el;
  };

  const shown = (g: GroupRow) => g.kind !== 'commune';
  const renderAll = () => {
    chipOf.clear();
    const list = [...model.groupsOf('province'), ...model.groupsOf('other')];
    chips.replaceChildren(
      ...list.map((g) => {
        const el = chip(g);
        chipOf.set(g.group, el);
        return el;
      }),
    );
  };

  let totalsDue = false;
  model.hallsChanged.on(() => {
    if (totalsDue) return;
    totalsDue = true;
    requestAnimationFrame(() => {
      totalsDue = false;
      renderTotal();
    });
  });
  model.groupsChanged.on((changed) => {
    const rows = [...changed].map((g) => model.groups.get(g)).filter((g): g is GroupRow => !!g && shown(g));
    if (changed.size === 0 || rows.some((g) => !chipOf.has(g.group)) || [...chipOf.keys()].some((g) => !model.groups.has(g))) return renderAll();
    for (const g of rows) {
      const el = chip(g);
      chipOf.get(g.group)!.replaceWith(el);
      chipOf.set(g.group, el);
    }
  });
  filter.onChange(() => {
    for (const [g, el] of chipOf) el.classList.toggle('on', g === filter.group);
  });
  renderTotal();
  return h('div', { class: 'counts' }, total, chips);
}
