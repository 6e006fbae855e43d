/**
 * Turns what a lookup does (its observer calls) into lookup events for a listener: the per-call `onEvent`
 * and the node's `lookup` event. Built only when someone listens, so a lookup nobody watches pays nothing.
 * @module
 */
import { addressKey, toHex } from '../../framework/index.js';
import type { LookupObserver, LookupPeer, LookupResult } from './lookup.js';
import type { EventPeer, LookupKind, LookupListener } from './lookup-events.js';

/** What a traced reply may say: the nodes it listed, records it carried, whether it came from a storer. */
export interface TracedReply {
  /** Closer nodes. */
  readonly nodes: readonly LookupPeer[];
  /** Records found, when any. */
  readonly found?: { readonly length: number } | undefined;
  /** True when the responder holds the records as a storer. */
  readonly authoritative?: boolean;
}

/** One lookup's events. */
export class LookupTracer<R extends TracedReply> implements LookupObserver<R> {
  private readonly started: number;
  private readonly sentAt = new Map<string, number>();
  private readonly targetHex: string;

  /**
   * @param sink where events go. @param now the node's clock. @param lookupId this lookup's number.
   * @param target the id looked up. @param kind what for.
   * @param full every event (`true`), or only `finished` (a summary for metrics: the lookup's steps are
   *   not observed at all).
   */
  constructor(
    private readonly sink: LookupListener,
    private readonly now: () => number,
    readonly lookupId: number,
    private readonly target: Uint8Array,
    private readonly kind: LookupKind,
    readonly full = true,
  ) {
    this.started = now();
    this.targetHex = toHex(target);
  }

  /** Reports the start. */
  start(paths: number, seeds: number): void {
    if (this.full) this.sink({ type: 'started', ...this.base(), kind: this.kind, paths, seeds });
  }

  /** @inheritDoc */
  query(peer: LookupPeer, path: number, hop: number): void {
    const p = eventPeer(peer);
    this.sentAt.set(p.id, this.now());
    this.sink({ type: 'query', ...this.base(), peer: p, distance: toHex(xor(peer.id, this.target)), path, hop });
  }

  /** @inheritDoc */
  answer(peer: LookupPeer, path: number, hop: number, reply: R): void {
    const p = eventPeer(peer);
    const rttMs = this.now() - (this.sentAt.get(p.id) ?? this.now());
    const closer = reply.nodes.map(eventPeer);
    this.sink({ type: 'response', ...this.base(), peer: p, path, hop, closer, records: reply.found?.length ?? 0, storer: reply.authoritative === true, rttMs });
  }

  /** @inheritDoc */
  failure(peer: LookupPeer, path: number, error: unknown): void {
    const name = error instanceof Error ? error.name : '';
    const reason = name === 'TimeoutError' ? 'timeout' : name === 'ImpostorError' ? 'impostor' : 'error';
    this.sink({ type: 'failure', ...this.base(), peer: eventPeer(peer), path, reason });
  }

  /** @inheritDoc */
  pathEnded(path: number): void {
    this.sink({ type: 'path-ended', ...this.base(), path });
  }

  /** Reports the end, with the result or the error it ended with. */
  finish(result: LookupResult<R> | undefined, error?: unknown): void {
    this.sink({
      type: 'finished',
      ...this.base(),
      kind: this.kind,
      hops: result?.hops ?? 0,
      queries: result?.queried ?? 0,
      failures: result?.failed ?? 0,
      found: result?.found.length ?? 0,
      closest: result?.closest.map((a) => toHex(a.peer.id)) ?? [],
      durationMs: this.now() - this.started,
      ...(error === undefined ? {} : { error: (error as { reason?: string }).reason ?? (error instanceof Error ? error.message : String(error)) }),
    });
  }

  private base(): { lookupId: number; target: string; at: number } {
    return { lookupId: this.lookupId, target: this.targetHex, at: this.now() };
  }
}

function eventPeer(peer: LookupPeer): EventPeer {
  return { id: toHex(peer.id), address: addressKey(peer.address) };
}

function xor(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i]! ^ (b[i] ?? 0);
  return out;
}
