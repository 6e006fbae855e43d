/**
 * `npm run bench -- libp2p`: the same put/get scenario on Peerlay (UDP) and on js-libp2p kad-dht (TCP),
 * both with N nodes on 127.0.0.1 in this process, one after the other in the same run; reports both and
 * the ratio of the get medians.
 * @module
 */
import { utf8 } from '../framework/index.js';
import { DHTCommunity } from '../communities/dht/index.js';
import { LoopbackCluster } from '../cli/cluster.js';
import { Recorder } from '../cli/recorder.js';
import type { OperationStats } from './report.js';
import { progress, statsOf } from './report.js';
import { runLibp2pScenario } from './libp2p.js';
import { KEEPALIVE_INTERVAL_MS } from './loopback.js';
import type { PutGetScenario } from './libp2p.js';

/** Options of {@link runLibp2pComparison}. */
export interface ComparisonOptions {
  /** Nodes per system. @default 20 */
  nodes?: number;
  /** Values put by node 0. @default 5 */
  keys?: number;
  /** Gets of random keys by other nodes. @default 100 */
  gets?: number;
  /** Wall-time budget of libp2p's gets, ms. @default 60_000 */
  budgetMs?: number;
  /** No progress lines on stderr. @default false */
  quiet?: boolean;
}

/** One system's put and get figures. */
export interface SystemFigures {
  /** `peerlay` or `libp2p`. */
  readonly system: 'peerlay' | 'libp2p';
  /** Wall seconds to start and connect the nodes. */
  readonly join_s: number;
  /** Puts (Peerlay: signed `storeValue`; libp2p: `contentRouting.put`). */
  readonly put: OperationStats;
  /** Gets (Peerlay: `findValues`; libp2p: `contentRouting.get`, first value). */
  readonly get: OperationStats;
}

/** JSON result of the comparison. */
export interface ComparisonResult {
  /** Nodes per system. */
  readonly nodes: number;
  /** Peerlay's figures. */
  readonly peerlay: SystemFigures;
  /** libp2p's figures, or `null` when it failed (see `libp2p_error`). */
  readonly libp2p: SystemFigures | null;
  /** Why libp2p could not run, or `null`. */
  readonly libp2p_error: string | null;
  /** libp2p get median / Peerlay get median; `null` unless both systems' gets succeeded at least 90 %. */
  readonly get_median_ratio: number | null;
}

/**
 * Runs the comparison: Peerlay first, then libp2p.
 * @example
 * ```ts
 * const r = await runLibp2pComparison({ nodes: 20 });
 * console.log(`${r.get_median_ratio}x`);
 * ```
 */
export async function runLibp2pComparison(options: ComparisonOptions = {}): Promise<ComparisonResult> {
  const nodes = Math.max(2, options.nodes ?? 20);
  const keys = Math.max(1, options.keys ?? 5);
  const gets = Math.max(1, options.gets ?? 100);
  const say = (line: string): void => progress(options.quiet, line);
  const peerlay = figures('peerlay', await runPeerlayScenario(nodes, keys, gets, say));
  let libp2p: SystemFigures | null = null;
  let error: string | null = null;
  try {
    libp2p = figures('libp2p', await runLibp2pScenario({ nodes, keys, gets, budgetMs: options.budgetMs, say }));
  } catch (e) {
    error = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  }
  // a ratio of timeouts would mean nothing: only when both systems got most of their values
  const theirs: SystemFigures | null = libp2p;
  const comparable = theirs !== null && theirs.get.success_rate >= 0.9 && peerlay.get.success_rate >= 0.9 && peerlay.get.median_ms > 0;
  const ratio = comparable ? Math.round((theirs.get.median_ms / peerlay.get.median_ms) * 10) / 10 : null;
  return { nodes, peerlay, libp2p, libp2p_error: error, get_median_ratio: ratio };
}

/** The put/get scenario on a Peerlay {@link LoopbackCluster}. */
async function runPeerlayScenario(nodes: number, keys: number, gets: number, say: (line: string) => void): Promise<PutGetScenario> {
  const started = performance.now();
  const cluster = await LoopbackCluster.start({ nodes, keepaliveIntervalMs: KEEPALIVE_INTERVAL_MS });
  const joinS = Math.round(performance.now() - started) / 1_000;
  say(`peerlay: ${nodes} nodes joined in ${joinS.toFixed(1)} s`);
  const rec = new Recorder();
  try {
    const dhts = cluster.hosts.map((h) => h.get(DHTCommunity));
    const items = Array.from({ length: keys }, (_, i) => ({ key: `/bench/key-${i}`, text: `value ${i}` }));
    for (const { key, text } of items) await rec.time('put', () => dhts[0]!.storeValue(key, utf8(text), { sign: true }), (acks) => acks > 0);
    for (let g = 0; g < gets; g++) {
      const dht = dhts[1 + (g % (nodes - 1))]!;
      const { key, text } = items[g % items.length]!;
      await rec.time('get', () => dht.findValues(key, { cache: false }), (found) => found.some((f) => new TextDecoder().decode(f.data) === text));
    }
  } finally {
    await cluster.stop();
  }
  return { nodes, keys, gets, join_s: joinS, recorder: rec };
}

function figures(system: 'peerlay' | 'libp2p', s: PutGetScenario): SystemFigures {
  return { system, join_s: s.join_s, put: statsOf(s.recorder, 'put'), get: statsOf(s.recorder, 'get') };
}
