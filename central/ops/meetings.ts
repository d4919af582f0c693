// Meeting records (title, bridge, room, token) and the meeting commands over a scope: join (group commands where
// the scope is groups; a hall addressed alone gets its box id as its display name, which is how a preview finds
// its feed), leave, mute. Progress is counted by ops/commands.ts.
import { Type, type Static } from '../../core/schema/type.js';
import { schemaErrors } from '../../core/schema/parse.js';
import { BadRequestError } from '../../core/errors.js';
import { BridgeUrl, JoinArgs } from '../../core/commands/media.js';
import type { Store } from '../store/db.js';
import { Conflict, NotFound } from '../errors.js';
import type { Commands, CommandProgress } from './commands.js';
import type { Resolved } from './scope.js';
import type { LiveSink } from './live-sink.js';
import type { Meeting } from '../wire.js';

export const MeetingBody = Type.Object(
  {
    title: Type.String({ minLength: 1, maxLength: 200 }),
    bridge: BridgeUrl,
    room: JoinArgs.properties.room,
    token: JoinArgs.properties.token,
  },
  { additionalProperties: false },
);
export type MeetingBody = Static<typeof MeetingBody>;

export type { Meeting };

interface Row {
  id: number;
  title: string;
  bridge: string;
  room: string;
  token: string | null;
  created_by: string;
  created_at: number;
  ended_at: number | null;
}

const view = (r: Row): Meeting => ({
  id: r.id,
  title: r.title,
  bridge: r.bridge,
  room: JSON.parse(r.room),
  hasToken: r.token !== null,
  createdBy: r.created_by,
  createdAt: new Date(r.created_at).toISOString(),
  endedAt: r.ended_at === null ? null : new Date(r.ended_at).toISOString(),
});

export type MeetingVerb = 'join' | 'leave' | 'mute';

export class Meetings {
  constructor(
    private readonly store: Store,
    private readonly commands: Commands,
    private readonly live: LiveSink,
    /** Halls join their region's bridge (`media.bridge`), not the meeting's: the meeting is cascaded (central/cascade/). */
    private readonly opts: { regionBridges?: boolean } = {},
  ) {}

  create(body: unknown, operator: string): Meeting {
    const errs = schemaErrors(MeetingBody, body);
    if (errs.length) throw new BadRequestError(errs.join('; '), errs);
    const b = body as MeetingBody;
    const id = Number(
      this.store.db
        .prepare('INSERT INTO meetings (title, bridge, room, token, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?)')
        .run(b.title, b.bridge, JSON.stringify(b.room), b.token ?? null, operator, Date.now()).lastInsertRowid,
    );
    this.live.meetingChanged();
    return this.get(id);
  }

  private row(id: number): Row {
    const r = this.store.db.prepare('SELECT * FROM meetings WHERE id = ?').get(id) as Row | undefined;
    if (!r) throw new NotFound(`meeting ${id}: no such meeting`);
    return r;
  }

  get(id: number): Meeting {
    return view(this.row(id));
  }

  list(limit = 100): Meeting[] {
    return (this.store.db.prepare('SELECT * FROM meetings ORDER BY id DESC LIMIT ?').all(limit) as Row[]).map(view);
  }

  /** The newest meeting that has not ended. */
  current(): Meeting | null {
    const r = this.store.db.prepare('SELECT * FROM meetings WHERE ended_at IS NULL ORDER BY id DESC LIMIT 1').get() as Row | undefined;
    return r ? view(r) : null;
  }

  /** Throws Conflict when the meeting has ended. */
  mustBeOpen(id: number): Meeting {
    const m = this.get(id);
    if (m.endedAt) throw new Conflict(`meeting ${id} ended at ${m.endedAt}`);
    return m;
  }

  end(id: number): Meeting {
    this.mustBeOpen(id);
    this.store.db.prepare('UPDATE meetings SET ended_at = ? WHERE id = ?').run(Date.now(), id);
    this.live.meetingChanged();
    return this.get(id);
  }

  /** Sends join, leave or mute over a resolved scope, recorded with the meeting. */
  run(verb: MeetingVerb, id: number, resolved: Resolved, operator: string): CommandProgress {
    const r = this.row(id);
    if (r.ended_at !== null) throw new Conflict(`meeting ${id} has ended`);
    if (verb === 'join') {
      const args: Record<string, unknown> = {
        ...(this.opts.regionBridges ? {} : { bridge: r.bridge }),
        room: JSON.parse(r.room),
        ...(r.token ? { token: r.token } : {}),
      };
      return this.commands.start({
        operator,
        meeting: id,
        command: 'join',
        args,
        resolved,
        reachedWhen: (h) => h.media?.status === 'joined',
        boxArgs: (box) => ({ ...args, display: box }),
      });
    }
    return this.commands.start({
      operator,
      meeting: id,
      command: verb,
      args: {},
      resolved,
      reachedWhen: verb === 'leave' ? (h) => !h.inMeeting : (h) => h.media?.muted === true,
    });
  }
}
