// The page's entry: the login form, then the console: a header (operator, role, carriers, the feed's state,
// logout), the counts, the meeting bar, the wall or the list with the filter, the side panels (floor, roll call,
// readiness, incidents, group actions) and the hall detail drawer. `window.diemcau` holds the model and the views
// for whoever drives the page from outside (the tests, a curious operator's console).
import { L } from './labels.js';
import { COUNTS_MS, fill, h, Pace } from './dom.js';
import { Api, ApiError } from './api.js';
import { Model } from './model.js';
import { Live } from './live.js';
import { Filter, filterBar } from './filter.js';
import { countsBar } from './counts.js';
import { Wall } from './wall.js';
import { HallList } from './list.js';
import { HallDetail } from './detail.js';
import { meetingBar } from './meeting.js';
import { floorPanel } from './floor.js';
import { rollcallPanel } from './rollcall.js';
import { readinessPanel } from './readiness.js';
import { incidentsPanel } from './incidents.js';
import { actionsPanel } from './actions.js';
import type { Ctx } from './ctx.js';
import type { Operator } from '../wire.js';

const app = document.getElementById('app')!;
const api = new Api();
document.title = L.title;

function loginForm(message = ''): void {
  const user = h('input', { name: 'username', autocomplete: 'username', required: true, 'aria-label': L.login.username, placeholder: L.login.username });
  const pass = h('input', { name: 'password', type: 'password', autocomplete: 'current-password', required: true, 'aria-label': L.login.password, placeholder: L.login.password });
  const msg = h('p', { class: 'error login-error', role: 'alert' }, message);
  const submit = h('button', { type: 'submit', class: 'primary' }, L.login.submit);
  const form = h('form', { class: 'login' }, h('h1', {}, L.login.heading), user, pass, submit, msg);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    submit.disabled = true;
    try {
      start(await api.login(user.value, pass.value));
    } catch (err) {
      msg.textContent = L.login.failed((err as Error).message);
      submit.disabled = false;
    }
  });
  fill(app, form);
  user.focus();
}

function start(operator: Operator): void {
  const model = new Model();
  const filter = new Filter();
  const live = new Live(model);
  const status = h('div', { class: 'status', role: 'status', 'aria-live': 'polite' });
  let statusTimer: number | null = null;
  const ctx: Ctx = {
    api,
    model,
    filter,
    operator,
    canAct: operator.role !== 'viewer',
    national: operator.role === 'national',
    open: (box) => detail.show(box),
    say(text, error = false) {
      status.textContent = text;
      status.classList.toggle('error', error);
      if (statusTimer !== null) clearTimeout(statusTimer);
      statusTimer = window.setTimeout(() => (status.textContent = ''), 10_000);
    },
  };
  const detail = new HallDetail(ctx);
  const pace = new Pace(COUNTS_MS);
  const wall = new Wall(model, filter, ctx.open, pace);
  const list = new HallList(model, filter, ctx.open);

  const feed = h('span', { class: 'feed' }, L.header.reconnecting);
  const carriers = h('span', { class: 'carriers' });
  const logout = h('button', { class: 'logout' }, L.header.logout);
  // Leaving the console lets go of all of it (its model, views and pace): nothing outside it may still hold them.
  const leave = () => {
    live.stop();
    detail.end();
    api.onLoggedOut = () => {};
    loginForm();
  };
  logout.addEventListener('click', async () => {
    live.stop();
    await api.logout();
    leave();
  });
  const header = h(
    'header',
    { class: 'top' },
    h('h1', {}, L.title),
    carriers,
    feed,
    h('span', { class: 'operator', 'data-role': operator.role }, L.header.operator(operator.username, L.roles[operator.role] ?? operator.role)),
    logout,
  );

  const wallTab = h('button', { class: 'tab on', 'data-view': 'wall' }, L.view.wall);
  const listTab = h('button', { class: 'tab', 'data-view': 'list' }, L.view.list);
  const views = h('div', { class: 'views' }, wall.el, list.el);
  list.el.hidden = true;
  const showView = (which: 'wall' | 'list') => {
    wall.el.hidden = which !== 'wall';
    list.el.hidden = which !== 'list';
    wallTab.classList.toggle('on', which === 'wall');
    listTab.classList.toggle('on', which === 'list');
  };
  wallTab.addEventListener('click', () => showView('wall'));
  listTab.addEventListener('click', () => showView('list'));

  const side = h('div', { class: 'side' }, floorPanel(ctx), rollcallPanel(ctx), readinessPanel(ctx), incidentsPanel(ctx), actionsPanel(ctx));
  fill(
    app,
    h(
      'div',
      { class: `console role-${operator.role}` },
      header,
      countsBar(model, filter, pace),
      meetingBar(ctx),
      h('div', { class: 'main' }, h('div', { class: 'center' }, h('div', { class: 'toolbar' }, wallTab, listTab, filterBar(model, filter)), views), side),
      status,
      detail.el,
    ),
  );

  model.carriersChanged.on((cs) => {
    fill(carriers, ...cs.map((c) => h('span', { class: `carrier ${c.connected ? 'up' : 'down'}`, title: c.connected ? c.name : L.header.carrierDown(c.name) }, c.name)));
  });
  live.onStatus = (up) => {
    feed.textContent = up ? L.header.live : L.header.reconnecting;
    feed.classList.toggle('down', !up);
  };
  // A feed that cannot even open may mean the session ended: ask the server, and go back to the login if so.
  live.onDropped = () => void api.me().then((op) => op === null && api.onLoggedOut()).catch(() => {});
  api.onLoggedOut = leave;
  live.start();
  (window as any).diemcau = { model, wall, list, detail, filter, operator };
}

api
  .me()
  .then((op) => (op ? start(op) : loginForm()))
  .catch((err) => loginForm(err instanceof ApiError ? err.message : L.errors.offlineServer));
