// Small DOM helpers: an element builder (text only through textContent: nothing a hall reports is parsed as HTML),
// number and time formatting, and the colours of the visual states.
import type { Visual } from '../wire.js';

type Child = Node | string | number | null | undefined | false;
type Attrs = Record<string, string | number | boolean | null | undefined | ((ev: any) => void)>;

/** `h('button', {class: 'x', onclick: fn}, 'Text')`. Attributes false/null/undefined are left out. */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === false || v === null || v === undefined) continue;
    if (typeof v === 'function') el.addEventListener(k.replace(/^on/, ''), v);
    else if (k === 'class') el.className = String(v);
    else if (k === 'value' && 'value' in el) (el as HTMLInputElement).value = String(v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, ...children);
  return el;
}

export function append(el: Node, ...children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    el.appendChild(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
  }
}

/** Replaces the children of `el`. */
export function fill(el: Element, ...children: Child[]): void {
  el.replaceChildren();
  append(el, ...children);
}

const NUM = new Intl.NumberFormat('en-US');
/** 8912 → "8,912". */
export function fmt(n: number): string {
  return NUM.format(n);
}

/** An ISO time as the operator's local clock time (hh:mm:ss). */
export function clock(iso: string | null | undefined): string {
  if (!iso) return '';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleTimeString('en-GB');
}

/** Names in the operator's order, numbers as numbers ("Tỉnh 2" before "Tỉnh 10"). */
export const byName = new Intl.Collator(undefined, { numeric: true }).compare;

/** The visual states, worst first: the order of "sort by state". */
export const STATE_ORDER: readonly Visual[] = ['problem', 'offline', 'online', 'in-meeting', 'seen', 'heard'];

/** Offline grey, online blue, in meeting amber, seen light green, heard green, problem red (the spec's colours). */
export const STATE_COLOR: Readonly<Record<Visual, string>> = {
  offline: '#8c8c8c',
  online: '#2f6fd6',
  'in-meeting': '#f0a020',
  seen: '#9be07a',
  heard: '#1f9d3a',
  problem: '#d62f2f',
};

/** The colour of a hall left out by the filter: the state's colour faded into the background. */
export const FADED_COLOR: Readonly<Record<Visual, string>> = Object.fromEntries(
  Object.entries(STATE_COLOR).map(([k, c]) => [k, mix(c, '#ffffff', 0.8)]),
) as Record<Visual, string>;

function mix(a: string, b: string, t: number): string {
  const pa = [1, 3, 5].map((i) => parseInt(a.slice(i, i + 2), 16));
  const pb = [1, 3, 5].map((i) => parseInt(b.slice(i, i + 2), 16));
  return '#' + pa.map((v, i) => Math.round(v + (pb[i] - v) * t).toString(16).padStart(2, '0')).join('');
}

/** A coloured dot and the state's name. */
export function stateBadge(state: Visual, label: string): HTMLElement {
  const dot = h('span', { class: 'dot' });
  dot.style.background = STATE_COLOR[state];
  return h('span', { class: `state state-${state}` }, dot, label);
}

/** Lower case without diacritics, as the server searches: "hoa binh" finds "Hòa Bình". */
export function searchKey(s: string): string {
  return s.normalize('NFD').replace(/[\u0300-\u036f]/g, '').replace(/[đĐ]/g, 'd').toLowerCase();
}

/**
 * `fn` run at most once every `ms`, never two at once, and once more after the last call (the newest state is
 * always fetched): for reading the server again while a live count moves.
 */
export function throttled(fn: () => Promise<unknown>, ms: number): () => void {
  let running = false;
  let pending = false;
  let timer: number | null = null;
  let last = -Infinity;
  const run = async () => {
    timer = null;
    pending = false;
    running = true;
    last = performance.now();
    try {
      await fn();
    } catch {
      // the next call tries again
    } finally {
      running = false;
      if (pending) kick();
    }
  };
  const kick = () => {
    pending = true;
    if (running || timer !== null) return;
    timer = window.setTimeout(() => void run(), Math.max(0, last + ms - performance.now()));
  };
  return kick;
}

/**
 * The counts' pace: numbers that move with nearly every diff of the live feed (the totals, each province's chip and
 * wall heading) are written in one animation frame at most every COUNTS_MS, the next frame after a quiet spell.
 * A person reads them at that pace anyway, and each writing costs a layout and a paint of the text; the wall's
 * cells, the floor queue and the progress counts are not paced. One Pace per console (main.ts start): it holds
 * its views' writers, which go with it at logout.
 */
export const COUNTS_MS = 500;

export class Pace {
  private readonly fns: Array<() => void> = [];
  private due = false;
  private last = -Infinity;

  constructor(private readonly ms: number) {}

  /** `fn` runs in each paced frame; it writes what changed since the last one. */
  on(fn: () => void): void {
    this.fns.push(fn);
  }

  /** Something changed: a paced frame is due. */
  kick(): void {
    if (this.due) return;
    this.due = true;
    const frame = () =>
      requestAnimationFrame(() => {
        this.due = false;
        this.last = performance.now();
        for (const fn of this.fns) fn();
      });
    const wait = this.last + this.ms - performance.now();
    if (wait > 0) window.setTimeout(frame, wait);
    else frame();
  }
}
