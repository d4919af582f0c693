// What a page tells of its own faults: uncaught errors and console errors. A correct page has none. A refused API
// call also shows in the console, as a failed resource; tests look at those through the page instead.
import type { Page } from 'playwright-core';

/** Collects the page's errors from now on into the returned array. */
export function collectPageErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(`pageerror: ${err.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && !/Failed to load resource/.test(m.text())) errors.push(`console: ${m.text()}`);
  });
  return errors;
}
