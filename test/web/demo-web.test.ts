/**
 * `peerlay demo --web` without a browser: the view's routes while the demo runs, the lookups it keeps
 * running until its signal, a clean stop, and the command's options.
 */
import 'reflect-metadata';
import { describe, expect, it } from 'vitest';
import { runDemo } from '../../cli/demo.js';
import { demoCommand } from '../../cli/commands/demo-command.js';
import { UsageError } from '../../cli/errors.js';
import { captureIo, waitFor, collectingStream } from '../cli/helpers.js';

describe('peerlay demo --web', () => {
  it("serves the network view and every node's lookups while it runs, keeps looking up until stopped, then closes", async () => {
    const { stream: out, text: written } = collectingStream();
    const stop = new AbortController();
    let url = '';
    const demo = runDemo({ nodes: 6, out, web: { http: { host: '127.0.0.1', port: 0 }, signal: stop.signal, intervalMs: 50, onListening: (u) => (url = u) } });
    try {
      await waitFor(() => written().includes('every operation succeeded'), 30_000, 'the operations');
      expect(written()).toContain(`view ${url}`);
      expect(written()).toContain('Ctrl-C stops it');
      const page = await fetch(url);
      expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(await page.text()).toContain('network-view.js');
      const network = (await (await fetch(`${url}network`)).json()) as { nodes: Array<{ mid: string; address: string; contacts: number }> };
      expect(network.nodes).toHaveLength(6);
      for (const n of network.nodes) {
        expect(n.mid).toMatch(/^[0-9a-f]{40}$/);
        expect(n.address).toMatch(/^127\.0\.0\.1:\d+$/);
        expect(n.contacts).toBeGreaterThan(0);
      }
      // The lookups the demo keeps running arrive as events, from more than one node.
      const events = await fetch(`${url}events`);
      expect(events.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
      const reader = events.body!.getReader();
      let text = '';
      const nodes = new Set<string>();
      while (nodes.size < 2 || !text.includes('"type":"finished"')) {
        const { value, done } = await reader.read();
        if (done) break;
        text += new TextDecoder().decode(value);
        for (const m of text.matchAll(/"node":"([0-9a-f]{40})"/g)) nodes.add(m[1]!);
      }
      expect(nodes.size).toBeGreaterThanOrEqual(2);
      for (const n of nodes) expect(network.nodes.map((x) => x.mid)).toContain(n);
      await reader.cancel();
    } finally {
      stop.abort();
    }
    expect(await demo).toBe(0);
    await expect(fetch(url)).rejects.toThrow();
  });

  it('--http goes with --web and must be loopback', async () => {
    await expect(demoCommand.run({ http: '127.0.0.1:0' }, [], captureIo())).rejects.toThrow(UsageError);
    await expect(demoCommand.run({ web: true, http: '0.0.0.0:8088' }, [], captureIo())).rejects.toThrow(/loopback/);
    await expect(demoCommand.run({ web: true, http: 'nonsense' }, [], captureIo())).rejects.toThrow(UsageError);
  });
});
