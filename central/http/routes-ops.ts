// Readiness sweeps, group actions, incidents and previews.
import { BadRequestError } from '../../core/errors.js';
import { schemaErrors } from '../../core/schema/parse.js';
import { Type, type TSchema } from '../../core/schema/type.js';
import { cameraCommands } from '../../core/commands/camera.js';
import { displayCommands } from '../../core/commands/display.js';
import { mediaCommands } from '../../core/commands/media.js';
import { Forbidden } from '../auth/access.js';
import { readScope, resolveScope } from '../ops/scope.js';
import { agentCommands } from '../../core/commands/agent.js';
import type { Central } from '../app.js';
import { idParam, Reply, type Ctx } from './context.js';
import type { Route } from './router.js';
import { seenHall } from './routes-halls.js';

/** The group actions an operator may send to a scope, with their argument schemas. */
export const GROUP_ACTIONS: Readonly<Record<string, TSchema>> = {
  [cameraCommands.presetRecall.name]: cameraCommands.presetRecall.schema,
  [displayCommands.power.name]: displayCommands.power.schema,
  [mediaCommands.selftest.name]: mediaCommands.selftest.schema,
  [mediaCommands.leave.name]: mediaCommands.leave.schema,
  [agentCommands.restart.name]: agentCommands.restart.schema,
};

const Seconds = Type.Integer({ minimum: 1, maximum: 30 });

export function opsRoutes(app: Central): Route[] {
  const visible = (c: Ctx) => (box: string) => c.access.seesHall(app.picture.get(box)?.groups);
  const mustSeeAll = (c: Ctx, what: string, boxes: string[]) => {
    if (!c.access.limited) return;
    const other = boxes.find((b) => !c.access.seesHall(app.picture.get(b)?.groups));
    if (other) throw new Forbidden(`${what} covers hall ${other}, which is not granted to ${c.access.username}`);
  };
  return [
    {
      method: 'POST',
      path: '/api/readiness',
      action: 'readiness.start',
      async handler(c) {
        const b = await c.body();
        const scope = readScope(b.scope);
        c.audit.scope = scope;
        const seconds = b.seconds ?? 3;
        const errs = schemaErrors(Seconds, seconds);
        if (errs.length) throw new BadRequestError(`seconds: must be a whole number from 1 to 30 (got ${JSON.stringify(seconds)})`);
        const resolved = resolveScope(scope, c.access, app.picture);
        const out = app.readiness.start(resolved, seconds as number, c.access.username);
        c.audit.detail = `readiness ${out.id}, ${resolved.boxes.length} halls, ${seconds} s`;
        return out;
      },
    },
    {
      method: 'GET',
      path: '/api/readiness/:id.csv',
      handler(c) {
        const id = idParam(c);
        mustSeeAll(c, `readiness ${id}`, app.readiness.boxes(id));
        return new Reply(200, app.readiness.csv(id), {
          'content-type': 'text/csv; charset=utf-8',
          'content-disposition': `attachment; filename="readiness-${id}.csv"`,
        });
      },
    },
    {
      method: 'GET',
      path: '/api/readiness/:id',
      handler(c) {
        const id = idParam(c);
        mustSeeAll(c, `readiness ${id}`, app.readiness.boxes(id));
        return app.readiness.get(id);
      },
    },
    {
      method: 'POST',
      path: '/api/commands',
      action: 'command',
      async handler(c) {
        const b = await c.body();
        const scope = readScope(b.scope);
        c.audit.scope = scope;
        const name = b.command;
        c.audit.detail = `${JSON.stringify(name)} ${JSON.stringify(b.args ?? {})}`;
        if (typeof name !== 'string' || !Object.hasOwn(GROUP_ACTIONS, name)) {
          throw new BadRequestError(`command: must be one of ${Object.keys(GROUP_ACTIONS).join(', ')} (got ${JSON.stringify(name)})`);
        }
        const args = b.args ?? {};
        const errs = schemaErrors(GROUP_ACTIONS[name], args).map((e) => (e.startsWith('(root)') ? `args${e.slice(6)}` : `args.${e}`));
        if (errs.length) throw new BadRequestError(errs.join('; '), errs);
        if (b.confirm !== true) throw new BadRequestError('confirm: must be true (a group action is sent only when confirmed)');
        const resolved = resolveScope(scope, c.access, app.picture);
        const p = app.commands.start({
          operator: c.access.username,
          meeting: app.meetings.current()?.id ?? null,
          command: name,
          args: args as Record<string, unknown>,
          resolved,
        });
        c.audit.detail = `command ${p.id}: ${name} ${JSON.stringify(args)} to ${p.asked} halls`;
        return { id: p.id, asked: p.asked };
      },
    },
    { method: 'GET', path: '/api/incidents', handler: (c) => app.incidents.list(visible(c)) },
    {
      method: 'POST',
      path: '/api/incidents/:box/suppress',
      action: 'incident.suppress',
      async handler(c) {
        const box = c.params.box;
        c.audit.scope = { boxes: [box] };
        const b = await c.body();
        c.audit.detail = `${JSON.stringify(b.minutes)} minutes`;
        seenHall(app, c.access, box);
        return app.incidents.suppress(box, b.minutes, c.access.username);
      },
    },
    {
      method: 'POST',
      path: '/api/preview/:box',
      action: 'preview.open',
      async handler(c) {
        const box = c.params.box;
        c.audit.scope = { boxes: [box] };
        seenHall(app, c.access, box);
        const out = await app.previews.start(box, c.access.username);
        c.audit.detail = `preview ${out.id}`;
        return out;
      },
    },
    {
      method: 'POST',
      path: '/api/preview/:pid/answer',
      action: 'preview.answer',
      async handler(c) {
        const b = await c.body();
        const out = await app.previews.answer(c.params.pid, b.sdp, c.access.username);
        c.audit.scope = { boxes: [out.box] };
        return out;
      },
    },
    {
      method: 'DELETE',
      path: '/api/preview/:pid',
      action: 'preview.close',
      async handler(c) {
        const out = await app.previews.close(c.params.pid, c.access.username);
        c.audit.scope = { boxes: [out.box] };
        return out;
      },
    },
  ];
}
