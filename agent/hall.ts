// What the hall does when people and the meeting act: the talk button raises a floor request (or confirms a roll
// call), the mute button mutes the hall's mic (or declines the centre's call; a long press forces audio-only), the
// tally LED follows the hall's state (agent/meeting.ts adds the floor and the roll call to it), and joining a
// meeting switches the display on (leaving switches it off), as configured.
import type { Device, DisplayDevice, HallIndicator, PanelDevice } from './devices/device.js';
import type { MediaReport } from './media/types.js';
import type { Logger } from '../core/log.js';
import type { Pattern } from '../drivers/gpio/leds.js';

/**
 * The LEDs of each hall state: tally says "the centre hears you"; status says what the box is doing. The staff
 * read the tally at a glance, so each state the staff act on has a rhythm of its own: steady (heard), double flash
 * (on air: you have the floor), fast flash (roll call: press talk now), slow blink (joined, not heard), heartbeat
 * (muted), dark.
 */
export const HALL_PATTERNS: Readonly<Record<HallIndicator, { tally: Pattern; status: Pattern }>> = {
  offline: { tally: 'off', status: 'pulse' },
  idle: { tally: 'off', status: 'on' },
  joining: { tally: 'off', status: 'blink' },
  'in-meeting': { tally: 'blink', status: 'on' },
  heard: { tally: 'on', status: 'on' },
  muted: { tally: 'pulse', status: 'on' },
  fault: { tally: 'off', status: 'flash' },
  'on-air': { tally: 'double', status: 'on' },
  rollcall: { tally: 'flash', status: 'on' },
};

/** What the meeting adds to the hall state (agent/meeting.ts): a roll call waiting for a press, or the floor. */
export type MeetingOverlay = 'rollcall' | 'on-air' | null;

/**
 * The panel's indicator for a link, media and meeting state. Pure. A roll call's question wins over everything
 * but a lost link (it lasts seconds and asks for a press); the floor shows only while the centre really hears the
 * hall (mic open and heard), so "on air" never lies.
 */
export function indicatorFor(connected: boolean, media: MediaReport | null, overlay: MeetingOverlay = null): HallIndicator {
  if (!connected && (!media || media.status !== 'joined')) return 'offline';
  if (overlay === 'rollcall') return 'rollcall';
  if (!media || media.status === 'idle') return 'idle';
  if (media.status === 'failed') return 'fault';
  if (media.status === 'joining' || media.status === 'recovering') return 'joining';
  if (media.muted) return 'muted';
  if (!media.heard) return 'in-meeting';
  return overlay === 'on-air' ? 'on-air' : 'heard';
}

const inMeeting = (m: MediaReport | null) => !!m && (m.status === 'joined' || m.status === 'joining' || m.status === 'recovering');

export interface HallHooks {
  /** The talk button: a floor request, or a roll call's confirmation. */
  talk(): void;
  /** The mute button's short press: the mic on or off, or declining the centre's call. */
  mute(): Promise<void>;
  toggleAudioOnly(): Promise<void>;
  /** Talk and mute held together for 5 s: the technician page opens. */
  technician(): void;
}

export class Hall {
  private wasInMeeting = false;
  private shown: HallIndicator | null = null;

  constructor(
    private readonly log: Logger,
    private readonly hooks: HallHooks,
  ) {}

  /** Wires a device's person-facing inputs (the panel's buttons). */
  attach(device: Device): void {
    if (device.kind !== 'panel') return;
    device.on('input', (name: string) => {
      this.log.info('panel input', { input: name });
      const h = this.hooks;
      const run =
        name === 'talk' ? async () => h.talk()
        : name === 'mute' ? () => h.mute()
        : name === 'audio-only' ? () => h.toggleAudioOnly()
        : name === 'technician' ? async () => h.technician()
        : null;
      if (!run) return;
      run().catch((err) => this.log.warn('panel input failed', { input: name, err }));
    });
  }

  /** Called whenever the link, media or meeting changed: drives the LEDs and the display. */
  update(connected: boolean, media: MediaReport | null, devices: Map<string, Device>, overlay: MeetingOverlay = null): void {
    const ind = indicatorFor(connected, media, overlay);
    const panel = devices.get('panel') as PanelDevice | undefined;
    if (panel && ind !== this.shown) {
      panel.showHallState(ind);
      this.shown = ind;
    }
    const now = inMeeting(media);
    if (now === this.wasInMeeting) return;
    this.wasInMeeting = now;
    const display = devices.get('display') as DisplayDevice | undefined;
    if (!display) return;
    const act = now ? display.meetingStarted() : display.meetingEnded();
    act.catch((err) => this.log.warn('display did not follow the meeting', { joined: now, err }));
  }

  /** Forget what was shown (a panel was replaced). */
  resetPanel(): void {
    this.shown = null;
  }
}
