// The counts at the top: every hall of this page by state ("8,912 of 9,034 heard"), then one chip per province and
// per other group with its own "heard of total" and a bar of its states. Clicking a chip filters both views by it.
// Only the chips of groups that changed are touched, and in place (their text and bar), as is the total: at 1,000
// changes a second nearly every province moves in every diff, and new elements would cost a layout each time. Both
// are written at the counts' pace (dom.ts Pace).
import { L } from './labels.js';
import { fmt, h, STATE_COLOR, STATE_ORDER, type Pace } from './dom.js';
import type { Model } from './model.js';
import type { Filter } from './filter.js';
import type { Counts, GroupRow, Visual } from '../wire.js';

const KEY: Record<Visual, keyof Counts> = { offline: 'offline', online: 'online', 'in-meeting': 'inMeeting', seen: 'seen', heard: 'heard', problem: 'problem' };

/** Sets a bar of states (a part per state, its width its share): the parts are made once and only resized. */
function fillBar(bar: HTMLElement, counts: Record<Visual, number>, total: number): void {
  if (bar.children.length !== STATE_ORDER.length) {
    bar.replaceChildren(
      ...STATE_ORDER.map((s) => {
        const part = h('span', { 'data-state': s });
        part.style.background = STATE_COLOR[s];
        part.style.width = '0%';
        return part;
      }),
    );
  }
  STATE_ORDER.forEach((s, i) => {
    const part = bar.children[i] as HTMLElement;
    const n = counts[s];
    const width = `${Math.round((10000 * n) / Math.max(1, total)) / 100}%`;
    if (part.style.width !== width) part.style.width = width;
    const title = n ? `${L.states[s]}: ${fmt(n)}` : '';
    if (part.title !== title) part.title = title;
  });
}

/** Sets a text node's text unless it is that already (an equal write still costs a layout). */
function setText(node: Node, text: string): void {
  if (node.textContent !== text) node.textContent = text;
}

export function countsBar(model: Model, filter: Filter, countsPace: Pace): HTMLElement {
  const total = h('div', { class: 'total' });
  const chips = h('div', { class: 'chips' });
  const chipOf = new Map<string, HTMLElement>();

  const totalHeard = h('span', { class: 'heard-of', 'data-group': '' });
  const totalBar = h('span', { class: 'sbar' });
  const legendText = new Map<Visual, Text>();
  total.append(
    h('strong', {}, L.counts.all),
    ' ',
    totalHeard,
    totalBar,
    ...STATE_ORDER.map((s) => {
      const sw = h('span', { class: 'swatch', 'data-state': s });
      sw.style.background = STATE_COLOR[s];
      const text = document.createTextNode('');
      legendText.set(s, text);
      return h('span', { class: 'legend', 'data-state': s }, sw, text);
    }),
  );
  const renderTotal = () => {
    const all = model.halls.size;
    setText(totalHeard, L.counts.heardOf(fmt(model.totals.heard), fmt(all)));
    fillBar(totalBar, model.totals, all);
    for (const s of STATE_ORDER) setText(legendText.get(s)!, `${L.states[s]} ${fmt(model.totals[s])}`);
  };

  /** A chip's counts, written into it. */
  const update = (el: HTMLElement, g: GroupRow) => {
    const c = g.counts;
    setText(el.querySelector('.chip-name')!, g.name);
    setText(el.querySelector('.heard-of')!, L.counts.heardOf(fmt(c.heard), fmt(c.total)));
    fillBar(el.querySelector<HTMLElement>('.sbar')!, Object.fromEntries(STATE_ORDER.map((s) => [s, c[KEY[s]]])) as Record<Visual, number>, c.total);
  };

  const chip = (g: GroupRow): HTMLElement => {
    const el = h(
      'button',
      { class: `chip${filter.group === g.group ? ' on' : ''}`, 'data-group': g.group, title: g.group },
      h('span', { class: 'chip-name' }),
      h('span', { class: 'heard-of' }),
      h('span', { class: 'sbar' }),
    );
    update(el, g);
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

  let totalDue = false;
  const chipsDue = new Set<string>();
  countsPace.on(() => {
    if (totalDue) renderTotal();
    totalDue = false;
    for (const g of chipsDue) {
      const row = model.groups.get(g);
      const el = chipOf.get(g);
      if (row && el) update(el, row);
    }
    chipsDue.clear();
  });
  model.hallsChanged.on(() => {
    totalDue = true;
    countsPace.kick();
  });
  model.groupsChanged.on((changed) => {
    const rows = [...changed].map((g) => model.groups.get(g)).filter((g): g is GroupRow => !!g && shown(g));
    if (changed.size === 0 || rows.some((g) => !chipOf.has(g.group)) || [...chipOf.keys()].some((g) => !model.groups.has(g))) {
      chipsDue.clear();
      return renderAll();
    }
    for (const g of rows) chipsDue.add(g.group);
    countsPace.kick();
  });
  filter.onChange(() => {
    for (const [g, el] of chipOf) el.classList.toggle('on', g === filter.group);
  });
  renderTotal();
  return h('div', { class: 'counts' }, total, chips);
}
