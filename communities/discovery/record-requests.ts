/**
 * The find-peer requests of one connect search: each asks a storer for the peer's record (resent at
 * {@link FIND_PEER_RESEND_AT_MS}), hellos every candidate the record lists and starts birthday probing
 * toward its public address when the NATs call for it. It keeps the requests' ids, since a puncture counts
 * only when it echoes one, and the counts a search reports.
 * @module
 */
import type { Address, PublicKey, TimerSet } from '../../framework/index.js';
import { addressKey, computeMid, equalBytes } from '../../framework/index.js';
import type { LookupPeer } from '../dht/index.js';
import { candidateKind, ownLan } from './candidates.js';
import type { Hellos } from './hellos.js';
import { FindPeer } from './messages.js';
import { requestWithResends } from './resend.js';
import type { NodeReply, SearchHost } from './search-host.js';

/** When a find-peer request's copies go out, in ms after the first. */
export const FIND_PEER_RESEND_AT_MS: readonly number[] = [300, 900];
/** How long the last copy of a find-peer request gets, in ms. */
const FIND_PEER_FINAL_WAIT_MS = 1_000;

/** What a record's public address is handed to: the search's birthday probing. */
export interface RecordProbing {
  toward(wan: Address, nat: number, key: PublicKey | undefined, storer: Address): void;
}

/** The find-peer requests of one search; see the module comment. */
export class RecordRequests {
  /** Storers asked (one request each). */
  asked = 0;
  /** Find-peer packets sent, copies included. */
  packets = 0;
  /** Storers that held a record, so introduced us. */
  introductions = 0;
  /** Ids of the requests: a puncture must echo one of them. */
  private readonly nonces = new Set<bigint>();

  /**
   * @param d the community's requests and context.
   * @param mid the peer's mid.
   * @param signal ends every request.
   * @param timers the search's timers.
   * @param hellos the search's hellos (every candidate of a record is hello'd).
   * @param probing the search's birthday probing.
   * @param trace the search's trace.
   */
  constructor(
    private readonly d: SearchHost,
    private readonly mid: Uint8Array,
    private readonly signal: AbortSignal,
    private readonly timers: TimerSet,
    private readonly hellos: Pick<Hellos, 'add'>,
    private readonly probing: RecordProbing,
    private readonly trace: (step: string, fields?: Record<string, unknown>) => void,
  ) {}

  /**
   * True when `nonce` is the id of one of these requests: a puncture carrying it was caused by our request
   * (the storer forwarded the id to the peer), not replayed from an earlier one.
   */
  echoes(nonce: bigint): boolean {
    return this.nonces.has(nonce);
  }

  /** One find-peer request (resent until answered); hellos each candidate of the mid it returns. @returns true if it held a record. */
  async ask(node: { peer: LookupPeer; reply: NodeReply }): Promise<boolean> {
    this.asked++;
    this.packets++;
    // The DHT token this node issued us proves our address, so it may answer with every address it holds.
    const recipient = this.d.network.recipientKey(node.peer.id);
    const lan = ownLan(this.d.context.transport.localAddress);
    this.trace('find-peer', { to: addressKey(node.peer.address) });
    const m = await requestWithResends(this.d, node.peer.address, FindPeer, { mid: this.mid, token: node.reply.token, lan, nat: this.d.natCode() }, {
      resendAtMs: FIND_PEER_RESEND_AT_MS,
      finalWaitMs: FIND_PEER_FINAL_WAIT_MS,
      signal: this.signal,
      recipient,
      onId: (id) => void this.nonces.add(id),
      onResend: () => void this.packets++,
      schedule: (ms, fn) => this.timers.schedule(ms, fn),
      unschedule: (h) => this.timers.unschedule(h),
    });
    let held = false;
    for (const p of m.value.peers) {
      if (this.signal.aborted || !equalBytes(computeMid(p.publicKey), this.mid)) continue; // a record for another mid is ignored
      held = true;
      const key = this.d.context.keys.get(p.publicKey);
      this.hellos.add(p.address, 'wan', key);
      for (const c of p.candidates) {
        const kind = candidateKind(c.kind);
        if (kind !== undefined) this.hellos.add(c.address, kind, key);
      }
      this.probing.toward(p.address, p.nat ?? 0, key, node.peer.address);
    }
    if (held) this.introductions++;
    this.trace('find-peer-answered', { from: addressKey(node.peer.address), held });
    return held;
  }
}
