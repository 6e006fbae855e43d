/**
 * Fetching a value's chunks from its storers: the closest storer's first page tells how many chunks there
 * are; the chunks still missing are then read from up to {@link READ_PARALLELISM} storers at once, each for
 * its own range (the engine's cursor paging, from the chunk before the range); whatever is still missing
 * after that is read from the storers one at a time, closest first, never asking one again for a chunk it
 * lacked or failed to give.
 * @module
 */
import type { RecordPeer } from '../dht/index.js';
import type { ChunkCollector } from './collector.js';
import type { ImmutableChunk } from './policy.js';

/** Most storers read at once. */
export const READ_PARALLELISM = 4;

/** What one read of a storer gave. */
export interface ChunkPage {
  /** The chunks that passed the record type's check against the location. */
  readonly chunks: readonly ImmutableChunk[];
  /** The index of the last chunk the storer sent, checked or not (`undefined` when it sent none). */
  readonly lastIndex: number | undefined;
  /** True when the storer has nothing beyond `lastIndex`. */
  readonly exhausted: boolean;
}

/** Reads up to `limit` chunks from one storer, after `cursor`. Rejects when the storer does not answer. */
export type ReadChunks = (peer: RecordPeer, limit: number, cursor: Uint8Array | undefined) => Promise<ChunkPage>;

/**
 * Collects the chunks of a value from `storers` (closest first) into `collector`, until it is complete.
 * A storer is not asked again for a chunk a read of it already covered (it lacks the chunk, or sent one
 * that failed a check), nor at all once it did not answer or sent a chunk of another key.
 * @returns how many storers answered at least once.
 */
export async function fetchChunks(storers: readonly RecordPeer[], collector: ChunkCollector, read: ReadChunks, maxChunks: number, signal?: AbortSignal): Promise<number> {
  const answered = new Set<RecordPeer>();
  const untrusted = new Set<RecordPeer>();
  const silent = new Set<RecordPeer>();
  const covered = new Map<RecordPeer, Array<{ from: number; to: number }>>(); // indices each storer was asked for and did not give
  const ask = async (peer: RecordPeer, limit: number, cursor: Uint8Array | undefined): Promise<void> => {
    const page = await read(peer, limit, cursor).catch(() => undefined);
    signal?.throwIfAborted();
    if (page === undefined) {
      silent.add(peer);
      return;
    }
    answered.add(peer);
    const from = cursor === undefined ? 0 : cursor[0]! + 1;
    const to = page.exhausted ? Number.POSITIVE_INFINITY : (page.lastIndex ?? from - 1);
    covered.set(peer, [...(covered.get(peer) ?? []), { from, to }]);
    for (const c of page.chunks) if (!collector.offer(c)) untrusted.add(peer);
  };
  const hasNothingFor = (peer: RecordPeer, index: number): boolean => untrusted.has(peer) || silent.has(peer) || (covered.get(peer) ?? []).some((r) => r.from <= index && index <= r.to);
  let next = 0;
  // The first storer that answers says how many chunks there are (and gives the first of them).
  for (; next < storers.length && answered.size === 0; next++) await ask(storers[next]!, 1, collector.cursor);
  if (!collector.complete && collector.known) {
    const helpers = [...answered, ...storers.slice(next)].filter((p) => !untrusted.has(p)).slice(0, READ_PARALLELISM);
    const ranges = splitRuns(collector.missingIndices(), helpers.length);
    await Promise.all(ranges.map((r, i) => ask(helpers[i]!, r.count, r.first === 0 ? undefined : Uint8Array.of(r.first - 1))));
  }
  for (const peer of storers) {
    if (collector.complete) break;
    const first = collector.missingIndices()[0] ?? 0;
    if (hasNothingFor(peer, first)) continue;
    await ask(peer, collector.missing(maxChunks), collector.cursor);
  }
  return answered.size;
}

/** A range of chunk indices: `count` from `first` (chunks inside it may be held already). */
export interface ChunkRange {
  /** The first index. */
  readonly first: number;
  /** How many indices. */
  readonly count: number;
}

/**
 * Splits ascending indices into at most `parts` ranges of about equal numbers of indices, in order.
 * @returns the ranges (fewer when there are fewer indices).
 */
export function splitRuns(indices: readonly number[], parts: number): ChunkRange[] {
  const ranges: ChunkRange[] = [];
  const n = Math.min(parts, indices.length);
  let start = 0;
  for (let i = 0; i < n; i++) {
    const end = Math.round(((i + 1) * indices.length) / n);
    const first = indices[start]!;
    ranges.push({ first, count: indices[end - 1]! - first + 1 });
    start = end;
  }
  return ranges;
}
