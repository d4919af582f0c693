// The console's page in a real browser, as an operator uses it: Debian's Chromium (never a downloaded browser)
// driven by playwright-core, one browser context (its own cookies) per operator, logged in through the login form.
// Helpers read what a person would see: a hall's cell colour on the wall, the legend's colours, a screenshot's
// number of distinct colours (a blank or broken page has a handful).
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { collectPageErrors } from './page-errors.js';

/** The performance mark the page sets when its wall first has every hall drawn (central/web/wall.ts WALL_DRAWN). */
export const WALL_DRAWN = 'diemcau:wall-drawn';

export interface ConsolePage {
  context: BrowserContext;
  page: Page;
  /** Uncaught errors and console errors of the page: a correct page has none. */
  errors: string[];
  /** Requests that failed, with Chromium's reason. */
  failed: string[];
  close(): Promise<void>;
}

/**
 * Loads the page with `go` (a goto or a reload). Chromium drops the requests in flight when the machine's network
 * interfaces change (net::ERR_NETWORK_CHANGED), and the suite's other tests add and remove veth pairs all the time:
 * the page's modules then never loaded and no login form came (runs 27 and 42; run 72's reload showed the same, no
 * login form, with nothing else to say why). Such a load is made again, three times at most; no other failure is.
 */
async function load(failed: string[], go: () => Promise<unknown>): Promise<void> {
  const dropped = () => failed.some((f) => f.includes('ERR_NETWORK_CHANGED'));
  failed.length = 0;
  await go();
  for (let i = 0; i < 3 && dropped(); i++) {
    failed.length = 0;
    await go();
  }
}

/** What the page shows and why, for a failure's message. */
async function shown(c: { page: Page; errors: string[]; failed: string[] }): Promise<string> {
  const shows = await c.page.evaluate(() => document.body?.innerText ?? '').catch((e: Error) => `(unreadable: ${e.message})`);
  return `it shows ${JSON.stringify(shows.slice(0, 300))}; page errors: ${c.errors.join(' | ') || 'none'}; failed requests: ${c.failed.join(' | ') || 'none'}`;
}

/** Reloads a console page whose session has ended: resolves once the login form is there. */
export async function reloadToLogin(c: ConsolePage): Promise<void> {
  await load(c.failed, () => c.page.reload());
  try {
    await (await c.page.waitForSelector('form.login'))?.dispose();
  } catch (err) {
    throw new Error(`console page at ${c.page.url()}, reloaded: ${(err as Error).message.split('\n')[0]}; ${await shown(c)}`);
  }
}

/** Opens the console at `url` in a new context and logs in through the form; resolves once the live snapshot is in. */
export async function openConsole(browser: Browser, url: string, username: string, password: string, viewport = { width: 1600, height: 1000 }): Promise<ConsolePage> {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  const errors = collectPageErrors(page);
  const failed: string[] = [];
  page.on('requestfailed', (r) => failed.push(`${r.url()}: ${r.failure()?.errorText}`));
  await load(failed, () => page.goto(url));
  try {
    await logIn(page, username, password);
  } catch (err) {
    // Once (CI run 27) the login form was not there after 30 s: say what the page showed instead, and why.
    throw new Error(`console page at ${page.url()}: ${(err as Error).message.split('\n')[0]}; ${await shown({ page, errors, failed })}`);
  }
  return { context, page, errors, failed, close: () => context.close() };
}

/** Logs in through the page's login form (already shown); resolves once the live snapshot is in. */
export async function logIn(page: Page, username: string, password: string): Promise<void> {
  await page.fill('form.login input[name=username]', username);
  await page.fill('form.login input[name=password]', password);
  await page.click('form.login button[type=submit]');
  // Let go of the handle at once: a handle kept by DevTools keeps its element, and all the page hung on it, alive.
  await (await page.waitForSelector('.console'))?.dispose();
  await page.waitForFunction(() => (window as any).diemcau?.model?.seq > 0, undefined, { timeout: 20000 });
}

/**
 * How many objects of the class of `sample` (an expression naming one, e.g. `window.diemcau.model`) the page's heap
 * holds once garbage is collected: what a page that let go of something still keeps (DevTools protocol).
 */
export async function liveInstances(page: Page, sample: string): Promise<number> {
  const cdp = await page.context().newCDPSession(page);
  try {
    await cdp.send('HeapProfiler.collectGarbage');
    const proto = await cdp.send('Runtime.evaluate', { expression: `Object.getPrototypeOf(${sample})` });
    if (!proto.result.objectId) throw new Error(`liveInstances: ${sample} is not an object`);
    const found = await cdp.send('Runtime.queryObjects', { prototypeObjectId: proto.result.objectId });
    const n = await cdp.send('Runtime.callFunctionOn', { objectId: found.objects.objectId!, functionDeclaration: 'function () { return this.length; }', returnByValue: true });
    return n.result.value as number;
  } finally {
    await cdp.detach();
  }
}

export type Rgb = [number, number, number];

/** The colour each state's swatch in the legend shows. */
export async function legendColors(page: Page): Promise<Record<string, Rgb>> {
  return page.evaluate(() => {
    const out: Record<string, number[]> = {};
    for (const el of document.querySelectorAll<HTMLElement>('.legend .swatch[data-state]')) {
      const m = /rgba?\((\d+), (\d+), (\d+)/.exec(getComputedStyle(el).backgroundColor);
      if (m) out[el.dataset.state!] = [Number(m[1]), Number(m[2]), Number(m[3])];
    }
    return out;
  }) as Promise<Record<string, Rgb>>;
}

/** The colour of each hall's cell on the wall (the pixel at its centre), null for a hall not drawn. */
export async function cellColors(page: Page, boxes: string[]): Promise<Record<string, Rgb | null>> {
  return page.evaluate((list) => {
    const wall = (window as any).diemcau.wall;
    const images = new Map<string, ImageData>();
    const out: Record<string, number[] | null> = {};
    for (const box of list) {
      const at = wall.locate(box);
      const canvas = at && document.querySelector<HTMLCanvasElement>(`canvas.grid[data-group="${at.group}"]`);
      if (!at || !canvas) {
        out[box] = null;
        continue;
      }
      const img = images.get(at.group) ?? canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height);
      images.set(at.group, img);
      const i = (at.y * img.width + at.x) * 4;
      out[box] = img.data[i + 3] === 0 ? null : [img.data[i], img.data[i + 1], img.data[i + 2]];
    }
    return out;
  }, boxes) as Promise<Record<string, Rgb | null>>;
}

/** Where a hall's cell is on the screen (page coordinates), to hover or click it as a person would. */
export async function cellOnScreen(page: Page, box: string): Promise<{ x: number; y: number }> {
  const at = await page.evaluate((b) => {
    const a = (window as any).diemcau.wall.locate(b);
    if (!a) return null;
    const canvas = document.querySelector<HTMLCanvasElement>(`canvas.grid[data-group="${a.group}"]`)!;
    canvas.scrollIntoView({ block: 'nearest' });
    const r = canvas.getBoundingClientRect();
    return { x: r.left + a.x + 0.5, y: r.top + a.y + 0.5 };
  }, box);
  if (!at) throw new Error(`wall: hall ${box} is not drawn`);
  return at;
}

/** How many distinct colours a PNG holds (decoded by the browser itself). */
export async function distinctColors(page: Page, png: Buffer): Promise<number> {
  return page.evaluate(async (b64) => {
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const bmp = await createImageBitmap(new Blob([bytes], { type: 'image/png' }));
    const c = new OffscreenCanvas(bmp.width, bmp.height);
    const g = c.getContext('2d')!;
    g.drawImage(bmp, 0, 0);
    const d = g.getImageData(0, 0, bmp.width, bmp.height).data;
    const seen = new Set<number>();
    for (let i = 0; i < d.length; i += 4) seen.add((d[i] << 16) | (d[i + 1] << 8) | d[i + 2]);
    return seen.size;
  }, png.toString('base64'));
}

/** Two colours within `tol` on each channel. */
export function near(a: Rgb | null | undefined, b: Rgb | null | undefined, tol = 3): boolean {
  return !!a && !!b && a.every((v, i) => Math.abs(v - b[i]) <= tol);
}
