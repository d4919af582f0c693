// The hall's part in a meeting the centre runs from its console (issue 12): the floor and the roll call.
//
//   talk button ─► floor request (event/floor, state.hall.floor requested)      ┐
//   floor.grant ─► mic open, tally on air, the TV says so (granted | called)     │ state.hall.floor
//   mute button while called ─► declined (event/floor, mic closed)               │
//   floor.revoke ─► mic closed, tally back; the floor (or the request) is gone   ┘
//   rollcall ─► answers the heard-at-centre proof; with confirmS the tally flashes and the TV asks, and a talk
//               press within the window confirms (event/rollcall, state.hall.rollcall) instead of asking the floor
//
// The agent wires it: the hall's buttons come here (Hall hooks), `changed` republishes state.hall and the LEDs, and
// the banner goes to the media path, which draws it onto the programme the hall's TV shows.
import { command, type CommandSpec } from '../core/commands/define.js';
import { meetingCommands } from '../core/commands/meeting.js';
import type { FloorAnswer, FloorEvent, HallFloor, HallRollcall, RollcallAnswer, RollcallEvent } from '../core/payloads.js';
import { BadRequestError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import { realClock, type Clock } from '../core/clock.js';
import type { MediaPath, MediaReport } from './media/types.js';
import type { MeetingOverlay } from './hall.js';

/** What the hall's TV says. ASCII: the programme's built-in font (agent/media/programme/banner.ts). */
export const BANNERS = {
  granted: 'YOU HAVE THE FLOOR',
  called: 'THE CENTRE CALLS ON THIS HALL - PRESS MUTE TO DECLINE',
  rollcall: (secondsLeft: number) => `ROLL CALL - PRESS TALK TO CONFIRM (${secondsLeft} s)`,
} as const;

const IN_MEETING = new Set<MediaReport['status']>(['joining', 'joined', 'recovering']);

export interface MeetingHooks {
  box: string;
  hallName(): string;
  /** The media path now (null: media not enabled, or being restarted). */
  media(): MediaPath | null;
  /** Publishes `event/<name>` (QoS 1, with an expiry). */
  event(name: 'floor', payload: FloorEvent): void;
  event(name: 'rollcall', payload: RollcallEvent): void;
  /** The floor, the roll call or the overlay changed: republish state.hall and the LEDs. */
  changed(): void;
}

interface ConfirmWindow {
  id: string | number;
  until: number;
  timer: unknown;
}

export class Meeting {
  floor: HallFloor = null;
  rollcall: HallRollcall = null;
  private window: ConfirmWindow | null = null;
  /** The banner last given to which media path: a new path (a restart by desired config) gets it again. */
  private banner: { media: MediaPath; text: string | null } | null = null;

  constructor(
    private readonly log: Logger,
    private readonly hooks: MeetingHooks,
    private readonly clock: Clock = realClock,
  ) {}

  commands(): CommandSpec[] {
    const c = meetingCommands;
    return [
      command(c.floorGrant, 3000, async (a) => this.grant(a.called === true)),
      command(c.floorRevoke, 3000, async () => this.revoke()),
      command(c.rollcall, 1000, async (a) => this.rollcallAsked(a.id, a.confirmS ?? 0)),
    ];
  }

  /** What the LEDs add to the hall state. */
  overlay(): MeetingOverlay {
    if (this.window) return 'rollcall';
    return this.floor?.status === 'granted' || this.floor?.status === 'called' ? 'on-air' : null;
  }

  /** The talk button: confirms a roll call within its window, else asks for the floor. */
  talk(): void {
    if (this.window) return this.confirm(this.window);
    const f = this.floor;
    if (f?.status === 'granted' || f?.status === 'called') {
      this.log.info('talk pressed while the hall has the floor: no new request', { floor: f.status });
      return;
    }
    const ts = this.now();
    this.hooks.event('floor', { box: this.hooks.box, hall: this.hooks.hallName(), ts, action: 'requested' });
    // The first press of a request dates it; pressing again repeats the event (the console keeps one entry).
    this.setFloor({ status: 'requested', since: f?.status === 'requested' ? f.since : ts });
  }

  /** The mute button (short press): declines the centre's call, else turns the mic on or off. */
  async mute(): Promise<void> {
    const media = this.hooks.media();
    if (this.floor?.status !== 'called') {
      await media?.toggleMuted();
      return;
    }
    await media?.setMuted(true);
    const ts = this.now();
    this.hooks.event('floor', { box: this.hooks.box, hall: this.hooks.hallName(), ts, action: 'declined' });
    this.log.info('the hall declined the centre’s call');
    this.setFloor({ status: 'declined', since: ts });
  }

  /**
   * The media report changed: a hall that left the meeting holds no floor and asks for none. Left means no room
   * any more: a worker restarted after a crash reports `idle` for a moment while its room is still the meeting's.
   */
  mediaChanged(report: MediaReport | null): void {
    const left = !report || (report.status === 'idle' && report.room === undefined);
    if (left && this.floor) this.setFloor(null);
    else this.syncBanner();
  }

  stop(): void {
    if (this.window) this.clock.clearTimeout(this.window.timer);
    this.window = null;
  }

  private async grant(called: boolean): Promise<FloorAnswer> {
    const media = this.hooks.media();
    const status = media?.report().status;
    if (!media || !status || !IN_MEETING.has(status)) {
      throw new BadRequestError(
        `floor.grant: the hall is not in a meeting (${media ? `media status ${status}` : 'media is not enabled on this box'}); send join first`,
      );
    }
    await media.setMuted(false);
    this.setFloor({ status: called ? 'called' : 'granted', since: this.now() });
    return { floor: this.floor, muted: false };
  }

  private async revoke(): Promise<FloorAnswer> {
    const media = this.hooks.media();
    await media?.setMuted(true);
    this.setFloor(null);
    return { floor: null, muted: media?.report().muted ?? true };
  }

  private rollcallAsked(id: string | number, confirmS: number): RollcallAnswer {
    const r = this.hooks.media()?.report();
    const at = this.now();
    if (confirmS > 0) {
      if (this.window) this.clock.clearTimeout(this.window.timer);
      this.window = { id, until: this.clock.now() + confirmS * 1000, timer: null };
      this.rollcall = { id };
      this.tick(this.window);
      this.hooks.changed();
    }
    return { id, heard: r?.heard ?? false, seen: r?.seen ?? false, media: { status: r?.status ?? 'idle', stats: r?.stats }, at };
  }

  /** Once a second while the window is open: the TV's countdown; at the end the hall goes back to normal. */
  private tick(w: ConfirmWindow): void {
    if (this.window !== w) return;
    const left = Math.ceil((w.until - this.clock.now()) / 1000);
    if (left <= 0) {
      this.window = null;
      this.log.info('roll call: no confirmation within the window', { id: w.id });
      this.syncBanner();
      this.hooks.changed();
      return;
    }
    this.syncBanner();
    w.timer = this.clock.setTimeout(() => this.tick(w), Math.min(1000, w.until - this.clock.now() - (left - 1) * 1000));
  }

  private confirm(w: ConfirmWindow): void {
    this.clock.clearTimeout(w.timer);
    this.window = null;
    const ts = this.now();
    this.hooks.event('rollcall', { box: this.hooks.box, id: w.id, ts });
    this.rollcall = { id: w.id, confirmedAt: ts };
    this.log.info('roll call confirmed', { id: w.id });
    this.syncBanner();
    this.hooks.changed();
  }

  private setFloor(f: HallFloor): void {
    this.floor = f;
    this.syncBanner();
    this.hooks.changed();
  }

  /** Gives the media path the banner the hall should see now, if it does not show it already. */
  private syncBanner(): void {
    const media = this.hooks.media();
    if (!media) return;
    const f = this.floor?.status;
    const w = this.window;
    const text = w
      ? BANNERS.rollcall(Math.max(1, Math.ceil((w.until - this.clock.now()) / 1000)))
      : f === 'granted'
        ? BANNERS.granted
        : f === 'called'
          ? BANNERS.called
          : null;
    if (this.banner?.media === media && this.banner.text === text) return;
    this.banner = { media, text };
    media.setBanner(text);
  }

  private now(): string {
    return new Date(this.clock.now()).toISOString();
  }
}
