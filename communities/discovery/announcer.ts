/**
 * Keeps our own address record alive: announce to the k nodes closest to our mid (with the store token
 * each issued us), keep alive those that accepted, re-announce when too few hold it, periodically, and
 * whenever our address changed.
 * @module
 */
import type { Address, TimerHandle } from '../../framework/index.js';
import { addressKey, toHex } from '../../framework/index.js';
import type { LookupPeer } from '../dht/index.js';
import type { DHTDiscoveryCommunity } from './discovery-community.js';
import { AnnounceRequest } from './messages.js';

interface Storer {
  peer: LookupPeer;
  token: Uint8Array;
}

/** Announcement state of one node. */
export class Announcer {
  /** Nodes currently holding our record, by hex id. */
  readonly storers = new Map<string, Storer>();
  private timer: TimerHandle | undefined;
  private announcedFrom: string | undefined;
  private lastFullAnnounce = Number.NEGATIVE_INFINITY;
  private busy = false;

  /** @param d the owner. */
  constructor(private readonly d: DHTDiscoveryCommunity) {}

  /** True if `id` (a node id) holds our record. */
  isStorer(id: Uint8Array): boolean {
    return this.storers.has(toHex(id));
  }

  /** Starts the keepalive tick (first tick soon, at a random offset). */
  start(): void {
    const first = 500 + this.d.context.random.int(1_000);
    this.timer = this.d.after(first, () => {
      void this.tick();
      this.timer = this.d.every(this.d.settings.keepaliveIntervalMs, () => void this.tick());
    });
  }

  /** Stops the tick. */
  stop(): void {
    this.d.cancel(this.timer);
    this.timer = undefined;
    this.storers.clear();
    this.announcedFrom = undefined;
  }

  /** One keepalive round; re-announces in full when needed. */
  async tick(): Promise<void> {
    if (this.busy || !this.d.isRunning) return;
    this.busy = true;
    try {
      const now = this.d.context.clock.now();
      const here = addressKey(this.d.context.transport.localAddress);
      const stale = now - this.lastFullAnnounce >= this.d.settings.reannounceIntervalMs;
      if (here !== this.announcedFrom || stale || this.storers.size < this.d.settings.minStorers) {
        await this.announce();
      } else {
        await Promise.allSettled([...this.storers.entries()].map(([hex, s]) => this.keepalive(hex, s)));
      }
    } finally {
      this.busy = false;
    }
  }

  /**
   * Announces our record to the k nodes closest to our mid.
   * @returns how many accepted it.
   */
  async announce(): Promise<number> {
    const d = this.d;
    if (d.dht.routingTable.size === 0) return 0;
    const local: Address = d.context.transport.localAddress;
    this.lastFullAnnounce = d.context.clock.now();
    const nodes = await d.dht.findClosestNodes(d.context.key.publicKey.mid).catch(() => []);
    this.storers.clear();
    await Promise.allSettled(nodes.map((n) => this.send(toHex(n.peer.id), { peer: n.peer, token: n.token })));
    this.announcedFrom = addressKey(local);
    return this.storers.size;
  }

  private async keepalive(hex: string, storer: Storer): Promise<void> {
    await this.send(hex, storer).catch(() => undefined);
  }

  private async send(hex: string, storer: Storer): Promise<void> {
    const d = this.d;
    try {
      const m = await d.request(storer.peer.address, AnnounceRequest, { mid: d.context.key.publicKey.mid, token: storer.token });
      const v = m.value as { accepted: boolean; token: Uint8Array };
      if (v.accepted) this.storers.set(hex, { peer: storer.peer, token: v.token });
      else this.storers.delete(hex);
    } catch {
      this.storers.delete(hex);
    }
  }
}
