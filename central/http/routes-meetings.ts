// Meetings and what is done in them: create, list, end; join, leave, mute a scope; roll calls.
import { Forbidden } from '../auth/access.js';
import { readScope, resolveScope } from '../ops/scope.js';
import type { MeetingVerb } from '../ops/meetings.js';
import type { Central } from '../app.js';
import { idParam, intParam } from './context.js';
import type { Route } from './router.js';

export function meetingRoutes(app: Central): Route[] {
  const verb = (v: MeetingVerb): Route => ({
    method: 'POST',
    path: `/api/meetings/:id/${v}`,
    action: `meeting.${v}`,
    async handler(c) {
      const id = idParam(c);
      const b = await c.body();
      const scope = readScope(b.scope);
      c.audit.scope = scope;
      c.audit.detail = `meeting ${id}`;
      const resolved = resolveScope(scope, c.access, app.picture);
      return app.meetings.run(v, id, resolved, c.access.username);
    },
  });
  return [
    { method: 'GET', path: '/api/meetings', handler: (c) => app.meetings.list(intParam(c.url, 'limit', 100, 1, 1000)) },
    {
      method: 'POST',
      path: '/api/meetings',
      action: 'meeting.create',
      async handler(c) {
        const b = await c.body();
        c.audit.detail = typeof b.title === 'string' ? `title ${JSON.stringify(b.title)}` : undefined;
        const m = app.meetings.create(b, c.access.username);
        c.audit.detail = `meeting ${m.id} ${JSON.stringify(m.title)} room ${m.room}`;
        return m;
      },
    },
    { method: 'GET', path: '/api/meetings/:id', handler: (c) => app.meetings.get(idParam(c)) },
    verb('join'),
    verb('leave'),
    verb('mute'),
    {
      method: 'POST',
      path: '/api/meetings/:id/end',
      action: 'meeting.end',
      handler(c) {
        const id = idParam(c);
        c.audit.detail = `meeting ${id}`;
        const m = app.meetings.get(id);
        if (!c.access.national && m.createdBy !== c.access.username) throw new Forbidden(`meeting ${id} was created by ${m.createdBy}: only they or a national operator may end it`);
        return app.meetings.end(id);
      },
    },
    {
      method: 'POST',
      path: '/api/meetings/:id/rollcalls',
      action: 'rollcall.start',
      async handler(c) {
        const id = idParam(c);
        const b = await c.body();
        const scope = readScope(b.scope);
        c.audit.scope = scope;
        const confirmS = b.confirmS === undefined ? 0 : (b.confirmS as number);
        c.audit.detail = `meeting ${id}, confirmS ${JSON.stringify(b.confirmS ?? 0)}`;
        app.meetings.mustBeOpen(id);
        const resolved = resolveScope(scope, c.access, app.picture);
        const out = app.rollcalls.start(id, resolved, confirmS, c.access.username);
        c.audit.detail = `roll call ${out.id} in meeting ${id}, ${resolved.boxes.length} halls, confirmS ${confirmS}`;
        return out;
      },
    },
    {
      method: 'GET',
      path: '/api/rollcalls/:id',
      handler(c) {
        const id = idParam(c);
        c.audit.detail = `roll call ${id}`;
        if (c.access.limited) {
          const other = app.rollcalls.boxes(id).find((b) => !c.access.seesHall(app.picture.get(b)?.groups));
          if (other) throw new Forbidden(`roll call ${id} covers hall ${other}, which is not granted to ${c.access.username}`);
        }
        return app.rollcalls.get(id);
      },
    },
  ];
}
