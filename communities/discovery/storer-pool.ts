/**
 * The nodes a search asks for a peer's record, as its lookups meet them: every node that answered a find
 * is a storer to ask, closest to the mid first and only among the k closest that answered, while the
 * lookup still runs (a node that never answers costs the lookup its hard timeout, not the find-peer
 * requests). Keeps what each round of asking found: answered, unanswered, and the nodes that hold no
 * record (not asked again).
 * @module
 */
import { toHex } from '../../framework/index.js';
import type { LookupPeer } from '../dht/index.js';
import { compareDistance } from '../dht/routing/node-id.js';

/** A node that answered a find, with its reply. */
export interface MetNode<R> {
  /** The node. */
  readonly peer: LookupPeer;
  /** Its reply (with the store token it issued us). */
  readonly reply: R;
}

/** Storers to ask, in rounds; see the module comment. */
export class StorerPool<R> {
  /** The current round, from 1 (0 before the first). */
  round = 0;
  /** Find-peer requests of this round answered. */
  answered = 0;
  /** Find-peer requests of this round that got no answer to any copy. */
  unanswered = 0;
  private readonly nodes = new Map<string, MetNode<R>>();
  private readonly noRecord = new Set<string>();
  private readonly asked = new Set<string>();
  private wakers: Array<() => void> = [];
  private lookupRunning = false;

  /** @param target the mid searched. @param k how many of the closest nodes that answered may be asked. */
  constructor(
    private readonly target: Uint8Array,
    private readonly k: number,
  ) {}

  /** Starts a round: every node may be asked again, except those that hold no record; the round's lookup runs. */
  startRound(): void {
    this.round++;
    this.answered = 0;
    this.unanswered = 0;
    this.asked.clear();
    this.lookupRunning = true;
  }

  /** The round's lookup ended: once no node is left, waiting workers end. */
  lookupEnded(): void {
    this.lookupRunning = false;
    this.wake();
  }

  /** A node answered a find (a storer to ask); wakes waiting workers. */
  offer(peer: LookupPeer, reply: R): void {
    const hex = toHex(peer.id);
    if (this.nodes.has(hex)) return;
    this.nodes.set(hex, { peer, reply });
    this.wake();
  }

  /**
   * The closest node not asked this round (nor known to hold no record) among the k closest that
   * answered, marked asked; undefined when there is none now.
   */
  take(): MetNode<R> | undefined {
    const all = [...this.nodes.values()].sort((a, b) => compareDistance(this.target, a.peer.id, b.peer.id));
    for (const node of all.slice(0, this.k)) {
      const hex = toHex(node.peer.id);
      if (this.asked.has(hex) || this.noRecord.has(hex)) continue;
      this.asked.add(hex);
      return node;
    }
    return undefined;
  }

  /** Records what a node asked this round said: `held` true or false, or undefined when it never answered. */
  outcome(node: MetNode<R>, held: boolean | undefined): void {
    if (held === undefined) {
      this.unanswered++;
      return;
    }
    this.answered++;
    if (!held) this.noRecord.add(toHex(node.peer.id));
  }

  /** Resolves when a node may have become available, or false at once when the round's lookup ended. */
  more(): Promise<boolean> {
    if (!this.lookupRunning) return Promise.resolve(false);
    return new Promise((resolve) => this.wakers.push(() => resolve(true)));
  }

  /** Resolves at the next {@link StorerPool.wake} (a node offered, a request settled, the search ended). */
  next(): Promise<void> {
    return new Promise((resolve) => this.wakers.push(resolve));
  }

  /** Wakes every waiting worker (also when the search ends). */
  wake(): void {
    for (const w of this.wakers.splice(0)) w();
  }
}
