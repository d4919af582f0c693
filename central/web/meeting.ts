// The meeting bar: create a meeting (title, bridge, room, token) when none is in progress; then join a scope to it
// with live progress ("9,012 of 10,400 joined"), mute all, leave, end. The progress shown is the newest join, mute
// or leave any operator started (every page sees the same), counted by the server from the halls' reported state.
import { L } from './labels.js';
import { fill, fmt, h } from './dom.js';
import { act, confirmDialog, type Ctx } from './ctx.js';
import { ScopePicker } from './scope.js';
import type { CommandProgress, Meeting } from '../wire.js';

const MEETING_COMMANDS = new Set(['join', 'mute', 'leave']);

export function meetingBar(ctx: Ctx): HTMLElement {
  const { model, api } = ctx;
  const info = h('div', { class: 'meeting-info' });
  const controls = h('div', { class: 'meeting-controls' });
  const progress = h('div', { class: 'meeting-progress', 'aria-live': 'polite' });
  const scope = new ScopePicker(ctx);
  let latest: CommandProgress | null = null;

  const createForm = (): HTMLElement => {
    const title = h('input', { name: 'title', placeholder: L.meeting.title, 'aria-label': L.meeting.title, required: true });
    const bridge = h('input', { name: 'bridge', placeholder: L.meeting.bridge, 'aria-label': L.meeting.bridge, required: true, type: 'url' });
    const room = h('input', { name: 'room', placeholder: L.meeting.room, 'aria-label': L.meeting.room, required: true, type: 'number', min: 1 });
    const token = h('input', { name: 'token', placeholder: L.meeting.token, 'aria-label': L.meeting.token, type: 'password' });
    const form = h('form', { class: 'meeting-create' }, title, bridge, room, token, h('button', { class: 'primary', type: 'submit' }, L.meeting.create));
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const body: Record<string, unknown> = { title: title.value, bridge: bridge.value, room: Number(room.value) };
      if (token.value) body.token = token.value;
      void act(ctx, () => api.post<Meeting>('/api/meetings', body)).then((m) => {
        if (m) model.meetingChanged.emit((model.meeting = m));
      });
    });
    return form;
  };

  const verb = (name: 'join' | 'mute' | 'leave', label: string) => {
    const b = h('button', { class: `meeting-${name}${name === 'join' ? ' primary' : ''}` }, label);
    b.addEventListener('click', () => {
      const m = model.meeting;
      if (!m) return;
      const { scope: s } = scope.value();
      void act(ctx, () => api.post<CommandProgress>(`/api/meetings/${m.id}/${name}`, { scope: s })).then((p) => p && model.report('command', p));
    });
    return b;
  };

  const end = h('button', { class: 'meeting-end' }, L.meeting.end);
  end.addEventListener('click', async () => {
    const m = model.meeting;
    if (!m || !(await confirmDialog(L.meeting.confirmEnd))) return;
    await act(ctx, () => api.post(`/api/meetings/${m.id}/end`));
  });

  const show = (p: CommandProgress) => {
    if (latest && p.id < latest.id) return;
    latest = p;
    const f = L.meeting.progress[p.command];
    const reached = p.reached ?? p.ok;
    fill(
      progress,
      h('strong', { class: 'progress-main', 'data-command': p.command }, f ? f(fmt(reached), fmt(p.asked)) : `${p.command}: ${fmt(reached)} / ${fmt(p.asked)}`),
      ' ',
      h('span', { class: 'progress-sub' }, L.meeting.answered(fmt(p.answered), fmt(p.failed))),
    );
    const bar = h('span', { class: 'pbar' }, h('span', {}));
    (bar.firstChild as HTMLElement).style.width = `${(100 * reached) / Math.max(1, p.asked)}%`;
    progress.appendChild(bar);
  };

  const render = () => {
    const m = model.meeting;
    if (!m) {
      fill(info, L.meeting.none);
      fill(controls, ctx.canAct ? createForm() : null);
      progress.replaceChildren();
      latest = null;
      return;
    }
    fill(info, h('strong', {}, L.meeting.current(m.title, String(m.room))), h('span', { class: 'muted' }, ` ${m.bridge}`));
    fill(controls, ...(ctx.canAct ? [scope.el, verb('join', L.meeting.join), verb('mute', L.meeting.mute), verb('leave', L.meeting.leave), end] : []));
  };

  model.meetingChanged.on((m) => {
    // A new meeting (or none) forgets the last one's progress.
    if (!m || (latest && m.id !== lastMeeting)) progress.replaceChildren();
    lastMeeting = m?.id ?? null;
    render();
  });
  let lastMeeting: number | null = model.meeting?.id ?? null;
  model.progressChanged.on((p) => {
    if (p.command && MEETING_COMMANDS.has(p.command.command)) show(p.command);
  });
  render();
  return h('div', { class: 'meeting-bar' }, info, controls, progress);
}
