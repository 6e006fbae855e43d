/**
 * The web views in a real browser (headless Chromium, see ./browser.ts): the node view against real nodes
 * on UDP loopback, the demo's network view against `runDemo` with `web`. When Chromium is not installed,
 * a single test says so (the project never skips tests).
 */
import 'reflect-metadata';
import { existsSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { addressKey, toHex } from '../../framework/index.js';
import { hashKey } from '../../communities/dht/index.js';
import type { LookupEvent, LookupFinishedEvent } from '../../communities/dht/lookup-events.js';
import { runDemo } from '../../cli/demo.js';
import { PeerlayNode } from '../../cli/node/peerlay-node.js';
import { call, waitFor, collectingStream } from '../cli/helpers.js';
import type { Browser, PageFigures } from './browser.js';
import { CHROMIUM, CHROMIUM_MISSING, hasChromium, launchBrowser, outputPath, pageFigures, watchPage } from './browser.js';

/** Nodes of the node view's network. */
const NODES = 24;
/** The demo's network for the network view. */
const DEMO_NODES = 32;
const TOKEN = 'web-view-token-1234';

if (!hasChromium()) {
  describe('web views in a browser', () => {
    it(CHROMIUM_MISSING, () => {
      console.log(CHROMIUM_MISSING);
      expect(existsSync(CHROMIUM), CHROMIUM_MISSING).toBe(false);
    });
  });
} else {
  let browser: Browser | undefined;
  const nodes: PeerlayNode[] = [];
  const figures: Record<string, PageFigures> = {};

  beforeAll(async () => {
    browser = await launchBrowser();
    for (let i = 0; i < NODES; i++) {
      const bootstrap = i === 0 ? [] : [nodes[0]!.address];
      nodes.push(await PeerlayNode.start({ port: 0, http: { host: '127.0.0.1', port: 0 }, bootstrap, ...(i === NODES - 1 ? { token: TOKEN } : {}) }));
    }
    await Promise.all(nodes.map((n) => n.dht.bootstrap([])));
    await waitFor(() => nodes.every((n) => n.dht.routingTable.size >= 6), 10_000, 'the nodes to know each other');
  });

  afterAll(async () => {
    await browser?.close();
    await Promise.all(nodes.map((n) => n.stop()));
    if (Object.keys(figures).length > 0) writeFileSync(outputPath('figures.json'), JSON.stringify(figures, null, 2) + '\n');
  });

  const url = (node: PeerlayNode, path = '/'): string => `http://${addressKey(node.apiAddress!)}${path}`;

  /** Ids drawn as contacts, sorted. */
  const drawnContacts = (page: Page): Promise<string[]> => page.$$eval('#ring .contact', (els) => els.map((e) => e.getAttribute('data-id') ?? '').sort());

  /** Contact ids in `GET /dht/buckets`, sorted. */
  async function bucketContacts(node: PeerlayNode): Promise<string[]> {
    const { body } = await call(node, 'GET', '/dht/buckets', undefined, node === nodes[NODES - 1] ? { authorization: `Bearer ${TOKEN}` } : {});
    return (body.buckets as Array<{ contacts: Array<{ id: string }> }>).flatMap((b) => b.contacts.map((c) => c.id)).sort();
  }

  describe('the node view (GET / of peerlay node)', () => {
    it('loads with no console error and no failed request, and draws the routing table GET /dht/buckets reports', async () => {
      const page = await browser!.context.newPage();
      const watch = watchPage(page);
      await page.goto(url(nodes[0]!), { waitUntil: 'load' });
      await page.waitForSelector('#stream[data-state="live"]');
      const expected = await bucketContacts(nodes[0]!);
      expect(expected.length).toBeGreaterThanOrEqual(6);
      await expect.poll(() => drawnContacts(page), { timeout: 10_000 }).toEqual(expected);
      expect(await drawnContacts(page)).toEqual(expected);
      expect(await page.textContent('#mid')).toBe(nodes[0]!.host.midHex);
      const { body } = await call(nodes[0]!, 'GET', '/dht/buckets');
      expect(await page.$$eval('#buckets tbody tr', (rows) => rows.length)).toBe((body.buckets as unknown[]).length);
      expect(await page.$$eval('#ring .bucket', (bands) => bands.length)).toBe((body.buckets as unknown[]).length);
      figures['node view'] = await pageFigures(page);
      expect(watch.problems).toEqual([]);
      await page.close();
    });

    it('a find run from the form is drawn hop by hop as its lookup events say, and the node counts it', async () => {
      await call(nodes[5]!, 'PUT', '/dht/values/web-view', { value: 'drawn' });
      const events: LookupEvent[] = [];
      nodes[0]!.dht.on('lookup', (e) => events.push(e));
      const before = (await call(nodes[0]!, 'GET', '/dht/statistics')).body.dht as { lookups: number };
      const page = await browser!.context.newPage();
      const watch = watchPage(page);
      await page.goto(url(nodes[0]!));
      await page.waitForSelector('#stream[data-state="live"]');
      await page.waitForSelector('#ring .contact');
      figures['node view, loaded again'] = await pageFigures(page);
      await page.fill('#key', 'web-view');
      await page.click('#find');
      await page.waitForSelector('#result[data-state="done"]');
      expect(await page.textContent('#result')).toContain('found 1 value');
      const target = toHex(hashKey('web-view'));
      const finished = events.find((e): e is LookupFinishedEvent => e.type === 'finished' && e.kind === 'find-values' && e.target === target);
      expect(finished, 'the find lookup ended').toBeDefined();
      const id = finished!.lookupId;
      const queries = events.filter((e) => e.type === 'query' && e.lookupId === id);
      expect(queries.length).toBe(finished!.queries);
      await expect.poll(() => page.locator('#plot .query').count(), { timeout: 5_000 }).toBe(finished!.queries);
      const marks = await page.$$eval('#plot .query', (els) =>
        els.map((e) => ({ lookup: Number(e.getAttribute('data-lookup')), peer: e.getAttribute('data-peer') ?? '', hop: Number(e.getAttribute('data-hop')), cls: e.getAttribute('class') ?? '' })),
      );
      expect(marks.every((m) => m.lookup === id)).toBe(true);
      const key = (p: { peer: string; hop: number }): string => `${p.hop}:${p.peer}`;
      expect(marks.map(key).sort()).toEqual(queries.map((q) => (q.type === 'query' ? key({ peer: q.peer.id, hop: q.hop }) : '')).sort());
      expect(marks.filter((m) => m.cls.includes('failed')).length).toBe(finished!.failures);
      expect(marks.filter((m) => m.cls.includes('found')).length).toBe(finished!.found);
      expect(await page.$$eval('#ring .hop', (els) => els.length)).toBe(finished!.queries);
      expect(await page.getAttribute('#lookup-title', 'data-lookup')).toBe(String(id));
      const after = (await call(nodes[0]!, 'GET', '/dht/statistics')).body.dht as { lookups: number };
      expect(after.lookups).toBeGreaterThanOrEqual(before.lookups + 1);
      await page.waitForTimeout(1_000); // the marks fade in hop by hop
      await page.screenshot({ path: outputPath('node-view.png') });
      expect(watch.problems).toEqual([]);
      await page.close();
    });

    it('with a token: the page and its events take ?token=, its API calls send it, and without it the page is refused', async () => {
      const guarded = nodes[NODES - 1]!;
      expect((await fetch(url(guarded))).status).toBe(401);
      expect((await fetch(url(guarded, '/events'))).status).toBe(401);
      const page = await browser!.context.newPage();
      const watch = watchPage(page);
      await page.goto(url(guarded, `/?token=${TOKEN}`));
      await page.waitForSelector('#stream[data-state="live"]');
      const expected = await bucketContacts(guarded);
      await expect.poll(() => drawnContacts(page), { timeout: 10_000 }).toEqual(expected);
      expect(await drawnContacts(page)).toEqual(expected);
      expect(watch.problems).toEqual([]);
      await page.close();
    });
  });

  describe('the network view (peerlay demo --web)', () => {
    it('draws every demo node by its id and animates the lookups the demo runs, with no console error', async () => {
      const { stream: out, text: written } = collectingStream();
      const stop = new AbortController();
      let viewUrl = '';
      const demo = runDemo({ nodes: DEMO_NODES, json: true, out, web: { http: { host: '127.0.0.1', port: 0 }, signal: stop.signal, intervalMs: 200, onListening: (u) => (viewUrl = u) } });
      try {
        await waitFor(() => viewUrl !== '' && written().includes('"operations"'), 30_000, 'the demo to run its operations');
        const page = await browser!.context.newPage();
        const watch = watchPage(page);
        await page.goto(viewUrl);
        await page.waitForSelector('#stream[data-state="live"]');
        const network = (await (await fetch(`${viewUrl}network`)).json()) as { nodes: Array<{ mid: string }> };
        expect(network.nodes.length).toBe(DEMO_NODES);
        await expect.poll(() => page.locator('#ring .node').count(), { timeout: 10_000 }).toBe(DEMO_NODES);
        const drawn = await page.$$eval('#ring .node', (els) => els.map((e) => e.getAttribute('data-id') ?? '').sort());
        expect(drawn).toEqual(network.nodes.map((n) => n.mid).sort());
        await expect.poll(async () => Number(await page.textContent('#count-finished')), { timeout: 10_000 }).toBeGreaterThanOrEqual(4);
        const drawnQueries = Number(await page.textContent('#count-drawn'));
        const queries = Number(await page.textContent('#count-queries'));
        expect(drawnQueries).toBeGreaterThan(0);
        expect(drawnQueries).toBeLessThanOrEqual(queries);
        expect(await page.$$eval('#lookups tbody tr', (rows) => rows.length)).toBeGreaterThan(0);
        figures['network view'] = await pageFigures(page);
        await page.waitForSelector('#ring .hop');
        await page.screenshot({ path: outputPath('network-view.png') });
        expect(watch.problems).toEqual([]);
        await page.close();
      } finally {
        stop.abort();
        expect(await demo).toBe(0);
      }
    });
  });
}
