/**
 * The reader's fetch plan on fake storers: the first page, ranges from up to 4 storers at once, the rest
 * one storer at a time; a storer is not asked again for a chunk it lacked or failed to give.
 */
import { describe, expect, it } from 'vitest';
import type { RecordPeer } from '../../../communities/dht/index.js';
import { checkChunk, ChunkCollector, chunkValue, locationOf, MAX_CHUNKS } from '../../../communities/immutable/index.js';
import type { ImmutableChunk } from '../../../communities/immutable/index.js';
import { fetchChunks, READ_PARALLELISM, splitRuns } from '../../../communities/immutable/fetch.js';
import type { ChunkPage, ReadChunks } from '../../../communities/immutable/fetch.js';

const value = Uint8Array.from({ length: 8_000 }, (_, i) => (i * 13) % 256); // 16 chunks
const c = chunkValue(value);
const location = locationOf(c.key);
const all: ImmutableChunk[] = c.chunks.map((chunk, index) => ({ location, index, length: c.length, hashes: c.hashes, chunk }));

/** A fake storer: holds some chunks (some corrupted), or never answers. */
interface FakeStorer {
  readonly peer: RecordPeer;
  readonly held: ImmutableChunk[];
  readonly silent?: boolean;
  readonly asked: Array<{ limit: number; after: number }>;
}

function storer(id: number, held: ImmutableChunk[], silent = false): FakeStorer {
  return { peer: { id: Uint8Array.of(id), address: { host: '127.0.0.1', port: 1_000 + id } }, held, silent, asked: [] };
}

const corrupt = (r: ImmutableChunk): ImmutableChunk => ({ ...r, chunk: r.chunk.map((b, i) => (i === 0 ? b ^ 1 : b)) });

/** Pages as the engine's client returns them: one chunk per page, only checked chunks, the last id sent. */
function reader(storers: FakeStorer[]): ReadChunks {
  return async (peer, limit, cursor) => {
    const s = storers.find((x) => x.peer === peer)!;
    const after = cursor === undefined ? -1 : cursor[0]!;
    s.asked.push({ limit, after });
    if (s.silent === true) throw new Error('timeout');
    const sent = s.held.filter((r) => r.index > after).slice(0, limit);
    const page: ChunkPage = { chunks: sent.filter((r) => checkChunk(r, location) === 'valid'), lastIndex: sent.at(-1)?.index ?? (after < 0 ? undefined : after), exhausted: s.held.filter((r) => r.index > after).length <= limit };
    return page;
  };
}

describe('splitRuns', () => {
  it('splits ascending indices into about equal ranges, in order', () => {
    expect(splitRuns([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15], 4)).toEqual([
      { first: 1, count: 4 },
      { first: 5, count: 4 },
      { first: 9, count: 3 },
      { first: 12, count: 4 },
    ]);
    expect(splitRuns([3, 9], 4)).toEqual([{ first: 3, count: 1 }, { first: 9, count: 1 }]);
    expect(splitRuns([2, 3, 10], 1)).toEqual([{ first: 2, count: 9 }]);
    expect(splitRuns([], 4)).toEqual([]);
  });
});

describe('fetchChunks', () => {
  it('healthy storers: one first page, then 15 chunks from 4 storers at once', async () => {
    const storers = [0, 1, 2, 3, 4, 5].map((i) => storer(i, all));
    const collector = new ChunkCollector(c.key);
    const answered = await fetchChunks(storers.map((s) => s.peer), collector, reader(storers), MAX_CHUNKS);
    expect(collector.value()).toEqual(value);
    expect(answered).toBe(READ_PARALLELISM);
    expect(storers.map((s) => s.asked)).toEqual([
      [{ limit: 1, after: -1 }, { limit: 4, after: 0 }],
      [{ limit: 4, after: 4 }],
      [{ limit: 3, after: 8 }],
      [{ limit: 4, after: 11 }],
      [],
      [],
    ]);
  });

  it('skips a silent storer, never re-asks one for a chunk it lacked or failed to give', async () => {
    const storers = [
      storer(0, [], true), // never answers
      storer(1, all.map((r) => (r.index === 2 ? corrupt(r) : r))), // rotten chunk 2, in its range 1-4
      storer(2, all.filter((r) => r.index !== 6)), // lacks chunk 6, in its range 5-8
      storer(3, all),
      storer(4, all),
      storer(5, all),
    ];
    const collector = new ChunkCollector(c.key);
    const answered = await fetchChunks(storers.map((s) => s.peer), collector, reader(storers), MAX_CHUNKS);
    expect(collector.value()).toEqual(value);
    expect(answered).toBe(4);
    expect(collector.rejected).toBe(0); // the rotten chunk failed the engine's check, before the collector
    expect(storers.map((s) => s.asked)).toEqual([
      [{ limit: 1, after: -1 }], // silent: not asked again
      [{ limit: 1, after: -1 }, { limit: 4, after: 0 }], // its chunk 2 failed: not asked for it again
      [{ limit: 4, after: 4 }, { limit: 2, after: 1 }], // chunks 2 and 3 (2 was missing); it lacks 6
      [{ limit: 3, after: 8 }, { limit: 1, after: 5 }], // chunk 6
      [{ limit: 4, after: 11 }],
      [],
    ]);
  });

  it('a storer that sends a chunk of another key is not asked again', async () => {
    const wrongKey = c.key.slice();
    wrongKey[31]! ^= 1; // the same location, another key: the chunks pass the location check and fail the key
    const first = storer(0, all);
    const second = storer(1, all);
    const collector = new ChunkCollector(wrongKey);
    const answered = await fetchChunks([first.peer, second.peer], collector, reader([first, second]), MAX_CHUNKS);
    expect(answered).toBe(2);
    expect(collector.value()).toBeUndefined();
    expect(collector.rejected).toBe(1 + 16);
    expect(first.asked).toEqual([{ limit: 1, after: -1 }]);
    expect(second.asked).toEqual([{ limit: 16, after: -1 }]);
  });
});
