// Headless Chromium for the tests, the bench and the demo: Debian's (never a downloaded browser), driven by
// playwright-core, which gives every launch a fresh profile (its own temporary --user-data-dir, removed on close).
import { chromium, type Browser } from 'playwright-core';
import { NO_SOUND_SERVER_ENV } from './no-sound-server.js';

const CHROMIUM = '/usr/bin/chromium';

const CHROMIUM_FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  // Host candidates as IP addresses: Janus cannot resolve Chromium's mDNS .local names (the preview, the subscriber).
  '--disable-features=WebRtcHideLocalIpsWithMdns',
  '--autoplay-policy=no-user-gesture-required',
];

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_FLAGS,
    // Chromium plays into a null sink without a sound server.
    env: NO_SOUND_SERVER_ENV,
  });
}
