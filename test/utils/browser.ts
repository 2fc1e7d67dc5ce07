// A real browser for the dashboard's tests: Debian's chromium, driven by playwright-core.
// If it cannot start, the tests fail saying so; they are never skipped.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { tempDir } from '../../packages/cli/src/test-support/run-baton.js';

/** Debian's chromium, or the one `CHROMIUM_PATH` names. */
export const CHROMIUM: string = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Where screenshots go (gitignored), so that a failure can be looked at. */
export const ARTIFACTS: string = fileURLToPath(new URL('../artifacts/dashboard/', import.meta.url));

/** Starts chromium headless with a fresh profile; throws naming the binary if it cannot. */
export async function launchBrowser(): Promise<BrowserContext> {
  try {
    return await chromium.launchPersistentContext(tempDir('baton-chromium-'), {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1400, height: 900 },
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  } catch (error) {
    throw new Error(`chromium could not start from ${CHROMIUM} (Debian's chromium package; .ci/run installs it, CHROMIUM_PATH names another): ${(error as Error).message}`);
  }
}

/** A page that fails the test on any script error or failed request of the dashboard. */
export async function dashboardPage(browser: BrowserContext): Promise<{ page: Page; problems: string[] }> {
  const page = await browser.newPage();
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console error: ${m.text()}`);
  });
  return { page, problems };
}

/** Saves what the page shows (all of it, or only the window with `fullPage: false`). */
export async function screenshot(page: Page, name: string, fullPage = true): Promise<string> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const path = join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path, fullPage });
  return path;
}

/** The colour of one pixel of a canvas, in CSS pixels. */
export function pixel(page: Page, selector: string, x: number, y: number): Promise<[number, number, number]> {
  return page.$eval(selector, (canvas, [px, py]) => {
    // The tests' types have no DOM: the canvas as much of it as this reads.
    const c = canvas as unknown as { width: number; clientWidth: number; getContext(kind: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: ArrayLike<number> } } };
    const scale = c.width / c.clientWidth;
    const d = c.getContext('2d')!.getImageData(Math.floor(px! * scale), Math.floor(py! * scale), 1, 1).data;
    return [d[0]!, d[1]!, d[2]!] as [number, number, number];
  }, [x, y]);
}
