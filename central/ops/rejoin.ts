// Rejoin: a box restarted during a meeting (killed, power-cycled, its unit's Restart=) comes back idle, since the
// agent keeps no record of the `join` it was sent. The console knows the meeting's membership (its join and leave
// commands, stored with their scopes), so when a hall of the current meeting comes back without its media, it sends
// that hall alone `join` again, audited as `meeting.rejoin` by `system`. "Comes back": seen offline and then online,
// or its media seen `joined` and then out of the meeting, in either case judged on a state the box published after
// its latest presence (the retained state the broker replays at reconnect is the dead agent's). A hall whose latest
// join or leave was a leave is not rejoined; a hall is rejoined at most once per REJOIN_EVERY_S, so one whose join
// keeps failing is not hammered (its failure is an incident, ops/incidents.ts).
import type { Store } from '../store/db.js';
import type { Audit } from '../store/audit.js';
import type { Fleet } from '../fleet/fleet.js';
import type { Picture } from '../fleet/picture.js';
import type { Hall } from '../fleet/hall.js';
import type { Meetings } from './meetings.js';
import type { Scope } from './scope.js';

export const REJOIN_EVERY_S = 30;

export class Rejoin {
  /** Halls that came back (or may): the reason, until they are judged on a fresh state. */
  private readonly back = new Map<string, string>();
  private readonly lastSent = new Map<string, number>();
  private readonly lastChoice;
  private readonly timer: NodeJS.Timeout;

  constructor(
    store: Store,
    fleet: Fleet,
    picture: Picture,
    private readonly meetings: Meetings,
    private readonly audit: Audit,
  ) {
    this.lastChoice = store.db.prepare("SELECT command, scope FROM commands WHERE meeting = ? AND command IN ('join', 'leave') ORDER BY id DESC");
    picture.onChange((h, before) => {
      if (h.presence === 'offline' && before.presence === 'online') this.back.set(h.box, 'came back online');
      else if (before.media?.status === 'joined' && !h.inMeeting) this.back.set(h.box, `media ${h.media?.status ?? 'gone'} after joined`);
    });
    // Every state, changed or not: a box without media reports the same row before and after its restart.
    fleet.on('state', (h: Hall) => this.judge(h));
    // A hall held back by the once-per-REJOIN_EVERY_S rule is judged again when its time comes.
    this.timer = setInterval(() => {
      for (const box of this.back.keys()) {
        const h = picture.get(box);
        if (h) this.judge(h);
        else this.back.delete(box); // gone from the picture
      }
    }, 1000);
  }

  private judge(h: Hall): void {
    const reason = this.back.get(h.box);
    if (reason === undefined || h.presence !== 'online' || h.stateAt < h.presenceAt) return;
    if (h.inMeeting) {
      this.back.delete(h.box); // it kept (or got back) its media: nothing to do
      return;
    }
    const now = Date.now();
    if (now - (this.lastSent.get(h.box) ?? 0) < REJOIN_EVERY_S * 1000) return; // kept: the timer tries again
    const meeting = this.meetings.current();
    if (!meeting || !this.joined(meeting.id, h)) {
      this.back.delete(h.box);
      return;
    }
    this.back.delete(h.box);
    this.lastSent.set(h.box, now);
    const scope: Scope = { boxes: [h.box] };
    this.audit.write({ operator: 'system', action: 'meeting.rejoin', scope, outcome: 'ok', detail: `meeting ${meeting.id}: hall ${h.box} ${reason}, not in the meeting` });
    this.meetings.run('join', meeting.id, { scope, boxes: [h.box], target: { groups: [], boxes: [h.box] } }, 'system');
  }

  /** Whether the meeting's latest join or leave whose scope covers the hall was a join. */
  private joined(meeting: number, h: Hall): boolean {
    for (const r of this.lastChoice.iterate(meeting) as Iterable<{ command: string; scope: string }>) {
      const s = JSON.parse(r.scope) as Scope;
      if (s.all || s.boxes?.includes(h.box) || s.groups?.some((g) => h.groups.includes(g))) return r.command === 'join';
    }
    return false;
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
