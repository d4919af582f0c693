// The floor queue (one order, the server's), grant / revoke / call on, and the stored floor log.
import type { Central } from '../app.js';
import { intParam, type Ctx } from './context.js';
import type { Route } from './router.js';
import { seenHall } from './routes-halls.js';

export function floorRoutes(app: Central): Route[] {
  const visible = (c: Ctx) => (box: string) => c.access.seesHall(app.picture.get(box)?.groups);
  const act = (name: 'grant' | 'revoke' | 'call'): Route => ({
    method: 'POST',
    path: `/api/floor/:box/${name}`,
    action: `floor.${name}`,
    handler(c) {
      const box = c.params.box;
      c.audit.scope = { boxes: [box] };
      seenHall(app, c.access, box);
      return app.floor[name](box, c.access.username);
    },
  });
  return [
    { method: 'GET', path: '/api/floor', handler: (c) => ({ queue: app.floor.list(visible(c)) }) },
    {
      method: 'GET',
      path: '/api/floor/log',
      handler(c) {
        const meeting = c.url.searchParams.has('meeting') ? intParam(c.url, 'meeting', 0, 1, Number.MAX_SAFE_INTEGER) : null;
        return app.floor.history(meeting, visible(c));
      },
    },
    act('grant'),
    act('revoke'),
    act('call'),
  ];
}
