// Group actions (camera preset, display on/off, selftest, leave, restart the agent) over a scope, each sent only
// after a confirmation that says what goes to how many halls; the answers are counted live.
import { L } from './labels.js';
import { fill, fmt, h } from './dom.js';
import { act, confirmDialog, panel, type Ctx } from './ctx.js';
import { ScopePicker } from './scope.js';
import type { CommandProgress } from '../wire.js';

interface Action {
  key: string;
  label: string;
  command: string;
  args: (n: number) => Record<string, unknown>;
  /** Takes a number (the preset, the seconds). */
  number?: { min: number; max: number; value: number };
}

const ACTIONS: Action[] = [
  { key: 'preset', label: L.actions.preset, command: 'camera.preset.recall', args: (n) => ({ n }), number: { min: 0, max: 254, value: 1 } },
  { key: 'display-on', label: L.actions.displayOn, command: 'display.power', args: () => ({ on: true }) },
  { key: 'display-off', label: L.actions.displayOff, command: 'display.power', args: () => ({ on: false }) },
  { key: 'selftest', label: L.actions.selftest, command: 'selftest', args: (n) => ({ seconds: n }), number: { min: 1, max: 30, value: 3 } },
  { key: 'leave', label: L.actions.leave, command: 'leave', args: () => ({}) },
  { key: 'restart', label: L.actions.restart, command: 'agent.restart', args: () => ({}) },
];

export function actionsPanel(ctx: Ctx): HTMLElement | null {
  if (!ctx.canAct) return null;
  const scope = new ScopePicker(ctx);
  const which = h('select', { class: 'action-which', 'aria-label': L.actions.action }, ...ACTIONS.map((a) => h('option', { value: a.key }, a.label)));
  const num = h('input', { type: 'number', class: 'action-number' });
  const send = h('button', { class: 'primary action-send' }, L.actions.send);
  const progress = h('div', { class: 'action-progress', 'aria-live': 'polite' });
  const mine = new Map<number, string>();

  const current = () => ACTIONS.find((a) => a.key === which.value)!;
  const sync = () => {
    const a = current();
    num.hidden = !a.number;
    if (a.number) {
      num.min = String(a.number.min);
      num.max = String(a.number.max);
      num.value = String(a.number.value);
    }
  };
  which.addEventListener('change', sync);
  sync();

  send.addEventListener('click', async () => {
    const a = current();
    const { scope: s, halls } = scope.value();
    const what = a.number ? `${a.label} ${num.value}` : a.label;
    if (!(await confirmDialog(L.actions.confirm(what, fmt(halls)), L.actions.yes, L.actions.no))) return;
    const r = await act(ctx, () => ctx.api.post<{ id: number; asked: number }>('/api/commands', { scope: s, command: a.command, args: a.args(Number(num.value)), confirm: true }));
    if (!r) return;
    mine.set(r.id, what);
    show(ctx.model.report('command', { id: r.id, command: a.command, asked: r.asked, answered: 0, ok: 0, failed: 0, done: false }));
  });

  const show = (p: CommandProgress) => {
    const what = mine.get(p.id);
    if (!what) return;
    fill(progress, L.actions.progress(what, fmt(p.answered), fmt(p.asked), fmt(p.failed)));
  };
  ctx.model.progressChanged.on((p) => p.command && show(p.command));
  return panel('actions', L.actions.heading, h('div', { class: 'row wrap' }, which, num, scope.el, send), progress);
}
