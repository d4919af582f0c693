// What the hall does when people and the meeting act: the talk button raises a floor request, the mute button
// mutes the hall's mic (a long press forces audio-only), the tally LED follows the hall's state, and joining a
// meeting switches the display on (leaving switches it off), as configured.
import type { Device, DisplayDevice, HallIndicator, PanelDevice } from './devices/device.js';
import type { MediaReport } from './media/types.js';
import type { Logger } from '../core/log.js';
import type { Pattern } from '../drivers/gpio/leds.js';

/** The LEDs of each hall state: tally says "the centre hears you"; status says what the box is doing. */
export const HALL_PATTERNS: Readonly<Record<HallIndicator, { tally: Pattern; status: Pattern }>> = {
  offline: { tally: 'off', status: 'pulse' },
  idle: { tally: 'off', status: 'on' },
  joining: { tally: 'off', status: 'blink' },
  'in-meeting': { tally: 'blink', status: 'on' },
  heard: { tally: 'on', status: 'on' },
  muted: { tally: 'pulse', status: 'on' },
  fault: { tally: 'off', status: 'flash' },
};

/** The panel's indicator for a link and media state. Pure. */
export function indicatorFor(connected: boolean, media: MediaReport | null): HallIndicator {
  if (!connected && (!media || media.status !== 'joined')) return 'offline';
  if (!media || media.status === 'idle') return 'idle';
  if (media.status === 'failed') return 'fault';
  if (media.status === 'joining' || media.status === 'recovering') return 'joining';
  if (media.muted) return 'muted';
  return media.heard ? 'heard' : 'in-meeting';
}

const inMeeting = (m: MediaReport | null) => !!m && (m.status === 'joined' || m.status === 'joining' || m.status === 'recovering');

export interface HallHooks {
  floorRequest(): void;
  toggleMute(): Promise<void>;
  toggleAudioOnly(): Promise<void>;
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
      const run = name === 'talk' ? async () => this.hooks.floorRequest() : name === 'mute' ? this.hooks.toggleMute : name === 'audio-only' ? this.hooks.toggleAudioOnly : null;
      if (!run) return;
      run().catch((err) => this.log.warn('panel input failed', { input: name, err }));
    });
  }

  /** Called whenever the link or media changed: drives the LEDs and the display. */
  update(connected: boolean, media: MediaReport | null, devices: Map<string, Device>): void {
    const ind = indicatorFor(connected, media);
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
