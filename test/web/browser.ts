/**
 * Helpers of the browser tests: headless Chromium from Debian's `chromium` package driven by playwright-core
 * (never a downloaded browser), a watch on what a page logs and fails to load, and the page's figures.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import type { BrowserContext, Page } from 'playwright-core';
import { ROOT } from '../cli/helpers.js';

/** Where Debian's `chromium` package puts the browser. */
export const CHROMIUM = '/usr/bin/chromium';
/** What the browser tests say when there is no browser to run them in. */
export const CHROMIUM_MISSING = `chromium not found at ${CHROMIUM}: browser tests not run (apt-get install chromium)`;
/** Screenshots and figures of the browser tests. */
export const OUTPUT_DIR = join(ROOT, 'test-output', 'web');

/** True when the browser tests can run. */
export function hasChromium(): boolean {
  return existsSync(CHROMIUM);
}

/** A performance entry as {@link pageFigures} reads it. */
interface PageTiming {
  /** Its URL, or a mark's name. */
  readonly name: string;
  /** When it started, in ms from the start of navigation. */
  readonly startTime: number;
  /** Body bytes as sent (resources and the navigation). */
  readonly encodedBodySize: number;
  /** End of the load event (the navigation). */
  readonly loadEventEnd: number;
}

/** What {@link pageFigures} reads of the browser's globals (the project compiles without the DOM library). */
interface PageGlobals {
  /** The page's timings. */
  readonly performance: { getEntriesByType(type: string): PageTiming[]; getEntriesByName(name: string): PageTiming[] };
}

/** A headless Chromium with a fresh profile. */
export interface Browser {
  /** Its one context. */
  readonly context: BrowserContext;
  /** Closes the browser and removes its profile. */
  close(): Promise<void>;
}

/** Launches headless Chromium with a fresh `--user-data-dir` (a temporary folder removed by `close`). */
export async function launchBrowser(): Promise<Browser> {
  const profile = mkdtempSync(join(tmpdir(), 'peerlay-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1200, height: 860 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    timeout: 30_000,
  });
  return {
    context,
    async close() {
      await context.close().catch(() => undefined);
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** What went wrong on a page: console errors, uncaught exceptions, failed requests and HTTP errors. */
export interface PageProblems {
  /** One line per problem, in the order they happened. */
  readonly problems: string[];
}

/** Records every console error, page error, failed request and response >= 400 of `page`. */
export function watchPage(page: Page): PageProblems {
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()} ${r.failure()?.errorText ?? ''}`));
  page.on('response', (r) => {
    if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`);
  });
  return { problems };
}

/** How long a page took to load and what it loaded. */
export interface PageFigures {
  /** From the start of navigation to the end of the load event, in ms. */
  readonly loadMs: number;
  /** From the start of navigation until the page first drew its data (its `peerlay:drawn` mark), in ms. */
  readonly drawnMs: number | null;
  /** Bytes of the page's own files (HTML, scripts, style) as sent, bodies only. */
  readonly bundleBytes: number;
  /** Bytes of the API answers the page read while loading (JSON bodies). */
  readonly dataBytes: number;
  /** Every request by URL path, with its body bytes. */
  readonly requests: ReadonlyArray<{ readonly path: string; readonly bytes: number }>;
}

/** Reads the page's navigation and resource timings. */
export async function pageFigures(page: Page): Promise<PageFigures> {
  const timings = await page.evaluate(() => {
    const { performance } = globalThis as unknown as PageGlobals;
    const nav = performance.getEntriesByType('navigation')[0]!;
    const resources = performance.getEntriesByType('resource');
    return {
      loadMs: nav.loadEventEnd - nav.startTime,
      drawnMs: performance.getEntriesByName('peerlay:drawn')[0]?.startTime ?? null,
      entries: [nav, ...resources].map((r) => ({ url: r.name, bytes: r.encodedBodySize })),
    };
  });
  const requests = timings.entries.map((e) => ({ path: new URL(e.url).pathname, bytes: e.bytes }));
  const own = (p: string): boolean => p === '/' || p.startsWith('/web/');
  const sum = (list: typeof requests): number => list.reduce((a, r) => a + r.bytes, 0);
  return { loadMs: timings.loadMs, drawnMs: timings.drawnMs, bundleBytes: sum(requests.filter((r) => own(r.path))), dataBytes: sum(requests.filter((r) => !own(r.path))), requests };
}

/** Makes {@link OUTPUT_DIR} and returns a path in it. */
export function outputPath(name: string): string {
  mkdirSync(OUTPUT_DIR, { recursive: true });
  return join(OUTPUT_DIR, name);
}
