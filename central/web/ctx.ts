// What every panel of the page is given: the API, the model, the filter, who is logged in and what they may do,
// and the page's ways to open a hall, say something in the status line, and ask for a confirmation.
import { L } from './labels.js';
import { h } from './dom.js';
import { ApiError, type Api } from './api.js';
import type { Model } from './model.js';
import type { Filter } from './filter.js';
import type { Operator } from '../wire.js';

export interface Ctx {
  api: Api;
  model: Model;
  filter: Filter;
  operator: Operator;
  /** Not a viewer: action buttons are shown (the server refuses a viewer's actions anyway). */
  canAct: boolean;
  /** May use the scope "all halls". */
  national: boolean;
  open(box: string): void;
  say(text: string, error?: boolean): void;
}

/** Runs an action; a refusal or failure is said in the status line (the server's message names the cause). */
export async function act<T>(ctx: Ctx, fn: () => Promise<T>): Promise<T | undefined> {
  try {
    return await fn();
  } catch (err) {
    const msg = (err as Error).message;
    ctx.say(err instanceof ApiError && err.status === 403 ? L.errors.refused(msg) : L.errors.failed(msg), true);
    return undefined;
  }
}

/** A modal question; resolves true on the confirming button. */
export function confirmDialog(text: string, yes: string = L.confirm.yes, no: string = L.confirm.no): Promise<boolean> {
  return new Promise((resolve) => {
    const ok = h('button', { class: 'primary', value: 'yes' }, yes);
    const cancel = h('button', { value: 'no' }, no);
    const form = h('form', { method: 'dialog' }, h('p', { class: 'confirm-text' }, text), h('div', { class: 'row' }, cancel, ok));
    const dlg = h('dialog', { class: 'confirm' }, form);
    dlg.addEventListener('close', () => {
      resolve(dlg.returnValue === 'yes');
      dlg.remove();
    });
    document.body.appendChild(dlg);
    dlg.showModal();
    ok.focus();
  });
}

/** A titled panel of the side column. */
export function panel(cls: string, title: string, ...children: Array<Node | null>): HTMLElement {
  const body = h('div', { class: 'panel-body' });
  for (const c of children) if (c) body.appendChild(c);
  return h('section', { class: `panel ${cls}` }, h('h2', {}, title), body);
}
