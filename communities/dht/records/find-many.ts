/**
 * The requester's side of the multi-target find: the finds of one bulk operation go through a
 * {@link FindBatcher}, which sends the queries that wait for the same node at the end of a turn as one
 * multi-target request (`find-many-messages.ts`) instead of one request each. Each lookup still chooses
 * whom to ask and gets, per target, exactly the reply a single find brings (the same nodes, the same
 * checked records, the same `more`, `total` and `authoritative`), so a bulk find returns what the same
 * finds one by one return; only the datagrams are shared. A query alone for its node goes as a single
 * find, unchanged on the wire; a node that ignores the multi-target find (one that does not know it) is
 * asked one target at a time from then on.
 * @module
 */
import type { Incoming, PublicKey, TimerHandle } from '../../../framework/index.js';
import { encodeBody, macEnvelopeBytes, signedEnvelopeBytes, toHex } from '../../../framework/index.js';
import { DHTError } from '../errors.js';
import type { FindReply, QueryOptions, RecordPeer, RequestFn, TokenBook } from './engine-types.js';
import type { FindManyMessages, FindManyRequestBody, FindManyResponseBody } from './find-many-messages.js';
import { WIRE_MAX_TARGETS } from './find-many-messages.js';
import type { FindResponseBody } from './record-messages.js';
import { MAX_FIND_PADDING_BYTES } from './record-messages.js';
import { AMPLIFICATION_FACTOR } from './record-server.js';

/** How long a node that ignored a multi-target find is asked one target at a time. */
export const FIND_MANY_IGNORED_MS = 3_600_000;
/** Most nodes remembered as ignoring the multi-target find. */
export const MAX_FIND_MANY_IGNORERS = 1_024;
/** Bytes of a multi-target find response that are not answers (envelope excepted), an upper bound. */
const FIND_MANY_FIXED_BYTES = 48;

/** The nodes that ignored a multi-target find lately (each asked one target at a time for a while). */
export class FindManyIgnorers {
  private readonly until = new Map<string, number>();

  /** @param clock the node's clock. */
  constructor(private readonly clock: { now(): number }) {}

  /** True when node `hex` ignored a multi-target find within {@link FIND_MANY_IGNORED_MS}. */
  has(hex: string): boolean {
    const until = this.until.get(hex);
    if (until === undefined) return false;
    if (until > this.clock.now()) return true;
    this.until.delete(hex);
    return false;
  }

  /** Remembers that node `hex` ignored one (at most {@link MAX_FIND_MANY_IGNORERS}, the oldest forgotten). */
  add(hex: string): void {
    this.until.delete(hex);
    this.until.set(hex, this.clock.now() + FIND_MANY_IGNORED_MS);
    if (this.until.size > MAX_FIND_MANY_IGNORERS) this.until.delete(this.until.keys().next().value!);
  }
}

/** What a batcher works with. */
export interface FindBatcherParts<R, W> {
  /** The type's multi-target find. */
  readonly messages: FindManyMessages<W>;
  /** Sends a request. */
  readonly request: RequestFn;
  /** The last token each node issued us. */
  readonly tokens: TokenBook;
  /** Our key's size and the datagram limit. */
  readonly node: { readonly publicKeyBytes: number; readonly maxPacketBytes: number };
  /** Nodes that ignore the multi-target find. */
  readonly ignorers: FindManyIgnorers;
  /** One single find (`RecordClient.query`). */
  query(peer: RecordPeer, target: Uint8Array, records: boolean, options: QueryOptions): Promise<FindReply<R>>;
  /** One target's answer checked as a single find's (`RecordClient.reply`). */
  reply(target: Uint8Array, records: boolean, body: Omit<FindResponseBody<W>, 'id'>, sender: PublicKey): FindReply<R>;
  /** Runs `fn` once the current turn's queries are in (a 0 ms timer of the node's clock). */
  schedule(fn: () => void): TimerHandle;
}

/** One query waiting for its node. */
interface Waiting<R> {
  readonly target: Uint8Array;
  readonly hex: string;
  readonly resolve: (reply: FindReply<R>) => void;
  readonly reject: (error: unknown) => void;
  readonly promise: Promise<FindReply<R>>;
}

/**
 * The finds of one bulk operation (one `records` flag and publisher for all), batched by node: queries for
 * one node made in the same turn go in multi-target requests, as many targets a request as its answers
 * are expected to fill one datagram (learned from the answers so far).
 */
export class FindBatcher<R, W> {
  /** Multi-target requests sent. */
  multiRequests = 0;
  /** Single finds sent for queries that went through the batcher. */
  singleRequests = 0;
  private readonly waiting = new Map<string, { peer: RecordPeer; queries: Map<string, Waiting<R>> }>();
  private timer: TimerHandle | undefined;
  /** Bytes one answer takes in a response, a running estimate. */
  private answerBytes: number;
  private closed = false;

  /**
   * @param parts what it works with.
   * @param options `records` (ask for records), `publisher` (only its records), `signal` (cancels every request).
   */
  constructor(
    private readonly parts: FindBatcherParts<R, W>,
    private readonly options: { readonly records: boolean; readonly publisher: Uint8Array | undefined; readonly signal: AbortSignal | undefined },
  ) {
    this.answerBytes = this.budget() / 3;
  }

  /** Asks `peer` about `target` (a lookup's query): batched with the turn's other queries for `peer`. */
  query(peer: RecordPeer, target: Uint8Array): Promise<FindReply<R>> {
    const hex = toHex(peer.id);
    if (this.closed || this.parts.ignorers.has(hex)) return this.single(peer, target);
    const entry = this.waiting.get(hex) ?? { peer, queries: new Map<string, Waiting<R>>() };
    this.waiting.set(hex, entry);
    const targetHex = toHex(target);
    const known = entry.queries.get(targetHex);
    if (known !== undefined) return known.promise; // the same key twice in one operation: one question
    const waiting = this.wait(target, targetHex);
    entry.queries.set(targetHex, waiting);
    this.timer ??= this.parts.schedule(() => this.flush());
    return waiting.promise;
  }

  /** Ends the batcher: queries still waiting (their turn never came: the node stopped) fail with `stopped`. */
  close(): void {
    this.closed = true;
    for (const { queries } of this.waiting.values()) for (const q of queries.values()) q.reject(new DHTError('the bulk find ended', 'stopped'));
    this.waiting.clear();
  }

  /** Sends what waits: per node, one single find or multi-target requests. */
  private flush(): void {
    this.timer = undefined;
    const ready = [...this.waiting.values()];
    this.waiting.clear();
    for (const { peer, queries } of ready) {
      const list = [...queries.values()];
      if (list.length === 1) {
        this.settle(list[0]!, this.single(peer, list[0]!.target));
        continue;
      }
      const per = Math.max(2, Math.min(WIRE_MAX_TARGETS, Math.floor(this.budget() / this.answerBytes)));
      const requests = Math.ceil(list.length / per);
      const size = Math.ceil(list.length / requests);
      for (let i = 0; i < list.length; i += size) {
        const part = list.slice(i, i + size);
        this.multi(peer, part).catch((error: unknown) => part.forEach((q) => q.reject(error)));
      }
    }
  }

  /**
   * One multi-target request: the answers settle their queries, the queries left unanswered wait again
   * (the first alone as a single find when none was answered: its answer needs the datagram to itself).
   * When the request fails, one query is asked alone: an answer means the node ignores the multi-target
   * find (it is then asked one target at a time), a failure fails them all (the node is silent).
   */
  private async multi(peer: RecordPeer, list: ReadonlyArray<Waiting<R>>): Promise<void> {
    const { parts, options } = this;
    const hex = toHex(peer.id);
    const token = parts.tokens.get(hex);
    const body: Omit<FindManyRequestBody, 'id'> = { targets: list.map((q) => q.target), records: options.records, publisher: options.publisher, token, padding: undefined };
    let m: Incoming<FindManyResponseBody<W>>;
    this.multiRequests++;
    try {
      m = await parts.request(peer, parts.messages.FindMany, token === undefined ? { ...body, padding: this.padding(body) } : body, options.signal);
    } catch (error) {
      if (options.signal?.aborted === true) return list.forEach((q) => q.reject(error));
      const [first, ...rest] = list;
      try {
        first!.resolve(await this.single(peer, first!.target));
      } catch (alone) {
        return list.forEach((q) => q.reject(alone));
      }
      parts.ignorers.add(hex);
      return rest.forEach((q) => this.settle(q, this.single(peer, q.target)));
    }
    const v = m.value;
    parts.tokens.remember(hex, v.token);
    if (v.answers.length > list.length || v.answers.some((a) => a.nodes.some((i) => i >= v.nodes.length))) {
      const error = new DHTError(`node ${hex} sent a malformed multi-target find response`, 'rejected');
      return list.forEach((q) => q.reject(error));
    }
    v.answers.forEach((a, i) => {
      const q = list[i]!;
      const nodes = a.nodes.map((n) => v.nodes[n]!);
      q.resolve(parts.reply(q.target, options.records, { token: v.token, nodes, records: a.records, total: a.total, more: a.more, authoritative: a.authoritative }, m.sender!));
    });
    if (v.answers.length > 0 && v.answers.length === list.length) this.answerBytes = (this.answerBytes + (m.size - FIND_MANY_FIXED_BYTES) / v.answers.length) / 2;
    const left = list.slice(v.answers.length);
    if (left.length === 0) return;
    if (v.answers.length === 0) {
      const [first, ...rest] = left;
      this.settle(first!, this.single(peer, first!.target));
      return this.requeue(peer, rest);
    }
    this.requeue(peer, left);
  }

  /** Queries left unanswered wait for the next turn again. */
  private requeue(peer: RecordPeer, list: ReadonlyArray<Waiting<R>>): void {
    if (list.length === 0) return;
    // The operation ended (its finds no longer wait for these): nothing more is sent for them.
    if (this.closed) return list.forEach((q) => q.reject(new DHTError('the bulk find ended', 'stopped')));
    const hex = toHex(peer.id);
    const entry = this.waiting.get(hex) ?? { peer, queries: new Map<string, Waiting<R>>() };
    for (const q of list) if (!entry.queries.has(q.hex)) entry.queries.set(q.hex, q);
    this.waiting.set(hex, entry);
    this.timer ??= this.parts.schedule(() => this.flush());
  }

  private single(peer: RecordPeer, target: Uint8Array): Promise<FindReply<R>> {
    this.singleRequests++;
    return this.parts.query(peer, target, this.options.records, { publisher: this.options.publisher, signal: this.options.signal });
  }

  private settle(q: Waiting<R>, reply: Promise<FindReply<R>>): void {
    reply.then(q.resolve, q.reject);
  }

  private wait(target: Uint8Array, hex: string): Waiting<R> {
    let resolve!: (reply: FindReply<R>) => void;
    let reject!: (error: unknown) => void;
    const promise = new Promise<FindReply<R>>((yes, no) => {
      resolve = yes;
      reject = no;
    });
    return { target, hex, resolve, reject, promise };
  }

  /** Bytes of a response left for answers. */
  private budget(): number {
    return this.parts.node.maxPacketBytes - signedEnvelopeBytes(this.parts.node.publicKeyBytes) - FIND_MANY_FIXED_BYTES;
  }

  /**
   * Padding that makes a tokenless request at least a third of a datagram (its answers may then fill one),
   * counted for the smaller envelope of a tagged request, as for a single find.
   */
  private padding(body: Omit<FindManyRequestBody, 'id'>): Uint8Array | undefined {
    const bytes = macEnvelopeBytes(this.parts.node.publicKeyBytes) + encodeBody(this.parts.messages.FindManyRequest.schema, { ...body, id: 0n }).length + 3;
    const want = Math.ceil(this.parts.node.maxPacketBytes / AMPLIFICATION_FACTOR) - bytes;
    return want <= 0 ? undefined : new Uint8Array(Math.min(MAX_FIND_PADDING_BYTES, want));
  }
}
