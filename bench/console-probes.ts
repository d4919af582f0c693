// What the console bench reads inside the operator's page (Chromium through playwright-core), measured by the
// browser itself:
// - first render: the page's own performance mark (central/web/wall.ts WALL_DRAWN), whose startTime is the time
//   from navigation start to the wall having every hall drawn;
// - frame times: a requestAnimationFrame loop. A frame's time runs from its begin (the timestamp rAF is given: the
//   frame's start, however late the main thread got to it) to the end of its main-thread work (a message posted
//   from the rAF callback runs once the frame's style, layout and paint are done): within 16 ms, the frame made its
//   vsync. Intervals between frames are kept too (16.7 ms at 60 Hz when no frame is missed);
// - a floor request visible: a MutationObserver on the floor queue notes each hall's entry as it appears, and the
//   time of the next animation frame (the one that paints it), as wall-clock ms (Date.now, the clock the bench and
//   the halls share on this machine);
// - the live feed's bytes: the WebSocket frames Chromium received (DevTools protocol, Network domain).
import type { Page } from 'playwright-core';
import { WALL_DRAWN } from '../lab/console-page.js';

/** Waits for the wall-drawn mark of this page load; ms from navigation start, and the halls drawn. */
export async function wallDrawn(page: Page, timeoutMs: number): Promise<{ ms: number; halls: number }> {
  const h = await page.waitForFunction(
    (name) => {
      const m = performance.getEntriesByName(name)[0] as PerformanceMark | undefined;
      return m ? { ms: m.startTime, halls: (m.detail as { halls: number }).halls } : null;
    },
    WALL_DRAWN,
    { timeout: timeoutMs, polling: 100 },
  );
  return (await h.jsonValue())!;
}

/** Starts recording frames under `label` (one recording at a time). */
export function startFrames(page: Page, label: string): Promise<void> {
  return page.evaluate((label) => {
    const w = window as any;
    const rec = { label, times: [] as number[], intervals: [] as number[], on: true };
    w.__benchFrames = rec;
    let last: number | null = null;
    // One channel for the whole recording: each frame posts its begin time, which comes back after the frame.
    const ch = new MessageChannel();
    ch.port1.onmessage = (ev: MessageEvent<number>) => {
      rec.times.push(performance.now() - ev.data);
      if (!rec.on) ch.port1.close();
    };
    const loop = (ts: number) => {
      if (!rec.on) return;
      ch.port2.postMessage(ts);
      if (last !== null) rec.intervals.push(ts - last);
      last = ts;
      requestAnimationFrame(loop);
    };
    requestAnimationFrame(loop);
  }, label);
}

export function stopFrames(page: Page): Promise<{ times: number[]; intervals: number[] }> {
  return page.evaluate(async () => {
    const rec = (window as any).__benchFrames;
    rec.on = false;
    await new Promise((r) => setTimeout(r, 50)); // the last frame's message
    return { times: rec.times, intervals: rec.intervals };
  });
}

/** Notes, per hall, when its entry first appears in the floor queue (painted in the next frame). */
export function watchFloor(page: Page): Promise<void> {
  return page.evaluate(() => {
    const seen: Record<string, number | null> = {};
    (window as any).__benchFloorSeen = seen;
    const queue = document.querySelector('.floor-queue')!;
    new MutationObserver(() => {
      for (const li of queue.querySelectorAll<HTMLElement>('li[data-box]')) {
        const box = li.dataset.box!;
        if (box in seen) continue;
        seen[box] = null;
        requestAnimationFrame(() => (seen[box] = Date.now()));
      }
    }).observe(queue, { childList: true, subtree: true });
  });
}

/** When the hall's request was painted in the queue (wall-clock ms), waiting up to `timeoutMs`. */
export async function floorSeen(page: Page, box: string, timeoutMs: number): Promise<number> {
  const h = await page.waitForFunction((b) => (window as any).__benchFloorSeen[b] ?? null, box, { timeout: timeoutMs, polling: 50 });
  return (await h.jsonValue()) as number;
}

/** Counts the bytes of the WebSocket messages the page receives. */
export async function countFeedBytes(page: Page): Promise<{ bytes(): number }> {
  const cdp = await page.context().newCDPSession(page);
  let bytes = 0;
  cdp.on('Network.webSocketFrameReceived', (e) => (bytes += Buffer.byteLength(e.response.payloadData)));
  await cdp.send('Network.enable');
  return { bytes: () => bytes };
}
