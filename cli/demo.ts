/**
 * `peerlay demo` (what `npm start` runs): a local network on UDP loopback doing real work — signed
 * values stored and found, versions updated, peers connected by mid, a bag and a namespace used —
 * printed as a summary table. With `web`, it also serves a view of the whole network drawing every lookup
 * as it runs, and keeps the network running (a lookup every second) until its signal fires.
 * @module
 */
import type { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { addressKey, toHex, utf8 } from '../framework/index.js';
import type { Address } from '../framework/index.js';
import { DHTCommunity } from '../communities/dht/index.js';
import { DHTDiscoveryCommunity } from '../communities/discovery/index.js';
import { BagCommunity } from '../communities/bag/index.js';
import { NamespaceCommunity } from '../communities/namespace/index.js';
import { LoopbackCluster } from './cluster.js';
import { NodeStartError } from './errors.js';
import { ApiServer } from './http/server.js';
import { eventRoutes } from './http/routes/events.js';
import { networkRoutes, webRoutes } from './http/routes/web.js';
import { Recorder } from './recorder.js';
import type { OperationSummary } from './recorder.js';

/** Options of {@link runDemo}. */
export interface DemoOptions {
  /** Nodes in the local network. @default 32 */
  nodes?: number;
  /** Print the summary as JSON instead of a table. @default false */
  json?: boolean;
  /** Where to write. @default process.stdout */
  out?: Writable;
  /** Serve the network view while the demo runs, then keep the network running until `web.signal` fires. */
  web?: DemoWebOptions;
}

/** After the demo's operations, the network view gets one lookup this often, in ms. */
export const DEMO_WEB_INTERVAL_MS = 1_000;

/** Options of the demo's network view (`peerlay demo --web`). */
export interface DemoWebOptions {
  /** Where the view listens: a loopback address (the view has no token); port 0 picks a free one. */
  readonly http: Address;
  /** Ends the demo (Ctrl-C). */
  readonly signal: AbortSignal;
  /** Time between the lookups that keep the view moving, in ms. @default DEMO_WEB_INTERVAL_MS */
  readonly intervalMs?: number;
  /** Called with the view's address (`http://host:port/`) once it listens. */
  readonly onListening?: (url: string) => void;
}

/** Runs the demo; resolves with the exit code: 0 only if every operation succeeded. */
export async function runDemo(options: DemoOptions = {}): Promise<number> {
  const out = options.out ?? process.stdout;
  const n = Math.max(4, options.nodes ?? 32);
  const say = (line: string): void => {
    if (options.json !== true) out.write(line + '\n');
  };
  say(`peerlay demo: ${n} nodes on 127.0.0.1 (UDP), one process`);
  const started = performance.now();
  const cluster = await LoopbackCluster.start({
    nodes: n,
    setup: (host) => {
      host.register(BagCommunity);
      host.register(NamespaceCommunity);
    },
    onProgress: (done, total) => progress(out, options.json === true, done, total),
  });
  say(`bootstrapped in ${((performance.now() - started) / 1000).toFixed(1)} s; routing tables hold ${median(cluster.hosts.map((h) => h.get(DHTCommunity).routingTable.size))} contacts (median)\n`);
  const rec = new Recorder();
  const dhts = cluster.hosts.map((h) => h.get(DHTCommunity));
  const pick = (i: number) => dhts[(i * 7 + 3) % dhts.length]!;
  let view: ApiServer | undefined;
  try {
    if (options.web !== undefined) view = await openView(cluster, options.web, say);
    // 1. Each of 8 publishers stores two signed values.
    const keys: Array<{ key: string; text: string }> = [];
    for (let p = 0; p < 8; p++) {
      for (let v = 0; v < 2; v++) {
        const key = `demo/key-${p}-${v}`;
        const text = `value ${v} from publisher ${p}`;
        keys.push({ key, text });
        await rec.time('store signed value', () => pick(p).storeValue(key, utf8(text), { sign: true }), (acks) => acks > 0);
      }
    }
    // 2. Ten other nodes find every value; the value must be the signed one, from its publisher.
    for (const [i, { key, text }] of keys.entries()) {
      const publisher = pick(Math.floor(i / 2)).nodeId;
      for (let f = 0; f < 10; f++) {
        const finder = dhts[(i * 13 + f * 5 + 1) % dhts.length]!;
        const before = finder.statistics.hopsTotal;
        await rec.time(
          'find value',
          () => finder.findValues(key),
          (found) => found.length === 1 && new TextDecoder().decode(found[0]!.data) === text && toHex(found[0]!.publicKey?.mid ?? new Uint8Array()) === toHex(publisher),
          () => finder.statistics.hopsTotal - before,
        );
      }
    }
    // 3. A publisher updates a value twice; everyone sees only the newest version.
    for (let u = 1; u <= 2; u++) await rec.time('update signed value', () => pick(0).storeValue(keys[0]!.key, utf8(`updated ${u}`), { sign: true }), (a) => a > 0);
    for (let f = 0; f < 10; f++) {
      await rec.time('find newest version', () => dhts[(f * 3 + 2) % dhts.length]!.findValues(keys[0]!.key), (found) => found.length === 1 && new TextDecoder().decode(found[0]!.data) === 'updated 2');
    }
    // 4. Connect peers by mid: the peer must prove its key.
    for (let c = 0; c < Math.min(16, n - 1); c++) {
      const from = cluster.hosts[(c * 5 + 1) % n]!;
      const to = cluster.hosts[(c * 11 + 4) % n]!;
      if (from === to) continue;
      await rec.time('connect peer by mid', () => from.get(DHTDiscoveryCommunity).connectPeer(to.key.publicKey.mid), (peers) => peers.some((p) => p.midHex === to.midHex));
    }
    // 5. A bag: several nodes add to one set; others read back exactly the union.
    const bagKey = 'demo/bag/attendees';
    const added = new Set<string>();
    for (let b = 0; b < 6; b++) {
      const name = `attendee-${b}`;
      const host = cluster.hosts[(b * 3 + 2) % n]!;
      const ok = await rec.time('bag add', () => host.get(BagCommunity).add(bagKey, utf8(name)), (o) => o.stored > 0);
      if (ok !== undefined) added.add(name);
    }
    for (let r = 0; r < 5; r++) {
      await rec.time('bag search', () => cluster.hosts[(r * 9 + 5) % n]!.get(BagCommunity).search(bagKey), (res) => {
        const got = new Set(res.entries.map((e) => new TextDecoder().decode(e.value)));
        return got.size === added.size && [...added].every((a) => got.has(a));
      });
    }
    // 6. A namespace: one node writes seq 1..3 under its own key; others read the latest, verified.
    const writer = cluster.hosts[1 % n]!;
    for (let seq = 1; seq <= 3; seq++) {
      await rec.time('namespace set', () => writer.get(NamespaceCommunity).set('profile', utf8(`status ${seq}`), { seq }), (o) => o.stored > 0);
    }
    for (let r = 0; r < 5; r++) {
      await rec.time('namespace get', () => cluster.hosts[(r * 7 + 6) % n]!.get(NamespaceCommunity).get(writer.key.publicKey, 'profile'), (v) => v !== undefined && v.seq === 3 && new TextDecoder().decode(v.value) === 'status 3');
    }
    const summary = rec.summary();
    if (options.json === true) out.write(JSON.stringify({ nodes: n, operations: summary }, null, 2) + '\n');
    else {
      out.write(renderTable(summary) + '\n');
      out.write(rec.allSucceeded() ? '\nevery operation succeeded\n' : '\nSOME OPERATIONS FAILED\n');
    }
    if (options.web !== undefined) await keepLooking(cluster, keys.map((k) => k.key), options.web, say);
  } finally {
    await view?.close();
    await cluster.stop();
  }
  return rec.allSucceeded() ? 0 : 1;
}

/** Serves the network view: the page, the nodes (`GET /network`) and every node's lookups (`GET /events`). */
async function openView(cluster: LoopbackCluster, web: DemoWebOptions, say: (line: string) => void): Promise<ApiServer> {
  const dhts = cluster.hosts.map((h) => ({ mid: h.midHex, dht: h.get(DHTCommunity), address: h.endpoint.address }));
  const routes = [
    ...webRoutes('network'),
    ...eventRoutes(dhts),
    ...networkRoutes(dhts.map((d) => ({ mid: d.mid, address: d.address, contacts: () => d.dht.routingTable.size }))),
  ];
  const view = new ApiServer(routes, { host: web.http.host, port: web.http.port });
  try {
    await view.listen();
  } catch (cause) {
    throw new NodeStartError(`cannot listen on HTTP ${addressKey(web.http)}: ${(cause as Error).message}`, { cause });
  }
  const url = `http://${addressKey(view.address)}/`;
  say(`view ${url}  (open it in a browser: every node by its id, every lookup as it runs)\n`);
  web.onListening?.(url);
  return view;
}

/**
 * Keeps the network busy for the view until `web.signal` fires: a find of one of the demo's values from
 * another node every interval, and every fourth time a connect by mid.
 */
async function keepLooking(cluster: LoopbackCluster, keys: readonly string[], web: DemoWebOptions, say: (line: string) => void): Promise<void> {
  const intervalMs = web.intervalMs ?? DEMO_WEB_INTERVAL_MS;
  say(`\nthe network keeps running for the view, a lookup every ${intervalMs} ms; Ctrl-C stops it`);
  const hosts = cluster.hosts;
  const signal = web.signal;
  for (let i = 0; !signal.aborted; i++) {
    try {
      await sleep(intervalMs, undefined, { signal });
      const from = hosts[(i * 5 + 1) % hosts.length]!;
      if (i % 4 === 3) {
        const to = hosts[(i * 11 + 4) % hosts.length]!;
        if (to !== from) await from.get(DHTDiscoveryCommunity).connectPeer(to.key.publicKey.mid, { signal });
      } else {
        await from.get(DHTCommunity).findValues(keys[i % keys.length]!, { signal });
      }
    } catch {
      // Stopped, or a lookup failed: the view shows failures as they happen, and the demo goes on.
    }
  }
}

/** Renders operation summaries as an aligned table. */
export function renderTable(rows: readonly OperationSummary[]): string {
  const header = ['operation', 'ok/total', 'success', 'median ms', 'p95 ms', 'max ms', 'hops'];
  const body = rows.map((r) => [
    r.operation,
    `${r.success}/${r.total}`,
    `${(r.success_rate * 100).toFixed(1)}%`,
    r.median_ms.toFixed(2),
    r.p95_ms.toFixed(2),
    r.max_ms.toFixed(2),
    r.hops_median === null ? '-' : String(r.hops_median),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}

function progress(out: Writable, quiet: boolean, done: number, total: number): void {
  if (quiet) return;
  const width = 30;
  const filled = Math.round((done / total) * width);
  const bar = `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${done}/${total} nodes joined`;
  const tty = (out as { isTTY?: boolean }).isTTY === true;
  if (tty) out.write(`\r${bar}${done === total ? '\n' : ''}`);
  else if (done === total || done % Math.max(1, Math.ceil(total / 4)) === 0) out.write(bar + '\n');
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? 0;
}
