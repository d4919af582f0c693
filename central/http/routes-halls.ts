// Reading the picture: halls (filtered by group, visual state, text in code or name), one hall's detail, the groups
// with their counts, the carriers' links, and the audit log. A limited operator naming a hall or group it may not
// see is refused (403, audited).
import { BadRequestError } from '../../core/errors.js';
import { Forbidden, type Access } from '../auth/access.js';
import { NotFound } from '../errors.js';
import { VISUALS, type Hall, type Visual } from '../fleet/hall.js';
import { HISTORY_MS } from '../fleet/history.js';
import type { Central } from '../app.js';
import { intParam, Reply } from './context.js';
import type { Route } from './router.js';

/** Lower case without diacritics: "hoa binh" finds "Hòa Bình". */
export function searchKey(s: string): string {
  return s.normalize('NFD').replace(/[\u0300-\u036f]/g, '').replace(/[đĐ]/g, 'd').toLowerCase();
}

/** The hall `box`, if the operator may see it (Forbidden otherwise, NotFound if unknown). */
export function seenHall(app: Central, access: Access, box: string): Hall {
  const h = app.picture.get(box);
  if (!access.seesHall(h?.groups)) throw new Forbidden(`hall ${box} is not in a group granted to ${access.username}`);
  if (!h) throw new NotFound(`hall ${box}: not known`);
  return h;
}

export function hallRoutes(app: Central): Route[] {
  const keys = new Map<string, { name: string; key: string }>();
  const keyOf = (h: Hall) => {
    let k = keys.get(h.box);
    if (!k || k.name !== h.name) keys.set(h.box, (k = { name: h.name, key: searchKey(`${h.box} ${h.name}`) }));
    return k.key;
  };
  return [
    {
      method: 'GET',
      path: '/api/halls',
      handler(c) {
        const group = c.url.searchParams.get('group') || null;
        const state = c.url.searchParams.get('state') || null;
        const q = searchKey(c.url.searchParams.get('q') ?? '').trim();
        const offset = intParam(c.url, 'offset', 0, 0, 1_000_000);
        const limit = intParam(c.url, 'limit', 100, 1, 20_000);
        if (state !== null && !VISUALS.includes(state as Visual)) throw new BadRequestError(`state: must be one of ${VISUALS.join(', ')} (got "${state}")`);
        if (group !== null && !c.access.seesGroup(group)) throw new Forbidden(`group ${group} is not granted to ${c.access.username}`);
        c.audit.scope = group ? { groups: [group] } : undefined;
        const halls = app.picture
          .list()
          .filter((h) => c.access.seesHall(h.groups) && (group === null || h.groups.includes(group)) && (state === null || h.visual === state) && (!q || keyOf(h).includes(q)));
        const page = halls.slice(offset, offset + limit).map((h) => h.rowJson);
        return new Reply(200, `{"total":${halls.length},"halls":[${page.join(',')}]}`, { 'content-type': 'application/json; charset=utf-8' });
      },
    },
    {
      method: 'GET',
      path: '/api/halls/:box',
      handler(c) {
        c.audit.scope = { boxes: [c.params.box] };
        const h = seenHall(app, c.access, c.params.box);
        const now = Date.now();
        return {
          row: JSON.parse(h.rowJson),
          state: h.stateRaw ? JSON.parse(h.stateRaw.toString('utf8')) : null,
          ...h.history.view(now),
          incidents: app.incidents.forHall(h.box, HISTORY_MS),
        };
      },
    },
    {
      method: 'GET',
      path: '/api/groups',
      handler: (c) =>
        app.picture
          .groups()
          .filter((g) => c.access.seesGroup(g))
          .map((g) => app.picture.groupRow(g)),
    },
    { method: 'GET', path: '/api/carriers', handler: () => app.fleet.status() },
    {
      method: 'GET',
      path: '/api/audit',
      handler(c) {
        const limit = intParam(c.url, 'limit', 200, 1, 10_000);
        return app.audit.list(limit, c.access.national ? undefined : c.access.username);
      },
    },
  ];
}
