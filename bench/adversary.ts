/**
 * Simulated adversarial DHT nodes (S/Kademlia's attacker model), for `bench/adversarial.ts` and the CI
 * test `test/communities/dht/adversarial.test.ts`: a coalition of colluding nodes that join
 * the DHT like everyone else, answer pings, but
 * - answer every find with only coalition members (the k closest to the target), to pull lookups away
 *   from honest nodes (an eclipse of the lookup), or with ids they made up right next to the target;
 * - drop stores: half of them lie ("stored") without storing, the other half never answer;
 * - return forged values: a copy of a record they were asked to store with new data and a higher version
 *   but the old signature, or, for keys they never saw, a record with a bogus signature.
 * The class registers under the DHT's community id, so honest nodes cannot tell it apart on the wire.
 * @module
 */
import 'reflect-metadata';
import { inject, injectable } from 'tsyringe';
import { DHTCommunity, compareDistance } from '../communities/dht/index.js';
import type { DHTSettings, LookupPeer, ValueRecord } from '../communities/dht/index.js';
import { FindRequest, FindResponse, StoreRequest, StoreResponse } from '../communities/dht/messages.js';
import type { FindRequestBody, StoreRequestBody, WireItem } from '../communities/dht/records/record-messages.js';
import { verdictCode } from '../communities/dht/records/policy.js';
import type { ValueWireValue } from '../communities/dht/value-policy.js';
import { TOKENS, toHex, utf8 } from '../framework/index.js';
import type { CommunityContext, Handler, Incoming, MessageSpec } from '../framework/index.js';

/** The data every forged value carries. */
export const FORGED_DATA = utf8('forged by an adversary');

/**
 * How adversaries answer finds: `closest`, with the real coalition members closest to the target;
 * `fabricate`, with made-up ids next to the target at members' addresses (they answer for those ids
 * with their own keys).
 */
export type EclipseAttack = 'closest' | 'fabricate';

/** What the colluding adversaries share: every member's id and address, and the attack in use. */
export class Coalition {
  /** Every member, in join order. */
  readonly members: LookupPeer[] = [];
  /** How members answer finds; may be switched at any time. */
  attack: EclipseAttack = 'closest';

  /** Adds a member. */
  join(member: LookupPeer): void {
    this.members.push(member);
  }

  /** The `n` members closest to `target`, nearest first, leaving out `except` (hex id). */
  closest(target: Uint8Array, n: number, except?: string): LookupPeer[] {
    return this.members
      .filter((m) => except === undefined || toHex(m.id) !== except)
      .sort((a, b) => compareDistance(target, a.id, b.id))
      .slice(0, n);
  }
}

/** Settings of an {@link AdversaryDHT}: the DHT's plus the coalition and how stores are dropped. */
export interface AdversarySettings extends DHTSettings {
  /** The coalition this node belongs to (whoever builds the node adds it once its address is known). */
  coalition: Coalition;
  /** `lie`: answer stores with "stored" and keep nothing; `silent`: never answer a store. */
  dropStores: 'lie' | 'silent';
}

/** A DHT node that attacks lookups and values (see the module comment); honest on pings. */
@injectable()
export class AdversaryDHT extends DHTCommunity {
  /** Forged answers sent, by kind. */
  readonly attacks = { eclipsedFinds: 0, forgedValues: 0, droppedStores: 0 };
  private readonly coalition: Coalition;
  private readonly dropStores: 'lie' | 'silent';
  /** Records others asked us to store, by key hex: templates for forgeries. */
  private readonly seen = new Map<string, ValueRecord>();

  /** @param ctx the node's services. @param settings see {@link AdversarySettings}. */
  constructor(@inject(TOKENS.Context) ctx: CommunityContext, @inject(TOKENS.Settings) settings: AdversarySettings) {
    super(ctx, settings);
    this.coalition = settings.coalition;
    this.dropStores = settings.dropStores;
  }

  /** Swaps in the malicious handlers for finds and stores (called by the DHT's constructor). */
  override handle<T>(spec: MessageSpec<T>, handler: Handler<T>): void {
    if ((spec as MessageSpec<unknown>) === FindRequest) return super.handle(spec, (m) => this.evilFind(m as Incoming<never>));
    if ((spec as MessageSpec<unknown>) === StoreRequest) {
      return super.handle(spec, (m) => this.evilStore(m as Incoming<never>));
    }
    super.handle(spec, handler);
  }

  private evilFind(m: Incoming<FindRequestBody>): void {
    const { id, target, records: values } = m.value;
    const k = this.settings.bucketSize;
    const nodes = this.coalition.attack === 'closest' ? this.coalition.closest(target, k, m.sender?.midHex) : this.fabricate(target, k);
    const forged = values ? [this.forge(target)] : [];
    this.attacks.eclipsedFinds++;
    this.attacks.forgedValues += forged.length;
    this.send(m.from, FindResponse, { id, token: this.tokens.issue(m.from), nodes: [...nodes], records: forged, total: forged.length, more: false, authoritative: true });
  }

  private evilStore(m: Incoming<StoreRequestBody<ValueWireValue>>): void {
    const { location, records } = m.value;
    for (const r of records) this.seen.set(toHex(location), this.values.policy.fromWire(location, r.record));
    this.attacks.droppedStores += records.length;
    if (this.dropStores === 'silent') return;
    const stored = verdictCode('stored');
    this.send(m.from, StoreResponse, { id: m.value.id, verdicts: records.map(() => stored) });
  }

  /** `n` made-up ids differing from `target` only in their last 4 bytes, each at a random member's address. */
  private fabricate(target: Uint8Array, n: number): LookupPeer[] {
    const random = this.context.random;
    const members = this.coalition.members;
    return Array.from({ length: n }, () => {
      const id = Uint8Array.from(target);
      id.set(random.bytes(4), id.length - 4);
      return { id, address: members[random.int(members.length)]!.address };
    });
  }

  /** A forged record for `key`: a seen record with new data and a higher version, or a bogus signature. */
  private forge(key: Uint8Array): WireItem<ValueWireValue> {
    const template = this.seen.get(toHex(key));
    const record: ValueRecord =
      template !== undefined && template.signature !== undefined
        ? { ...template, data: FORGED_DATA, version: template.version + 1 }
        : { key, data: FORGED_DATA, publicKey: this.context.key.publicKey.toBinary(), version: 1, signature: new Uint8Array(64).fill(7) };
    return { record: this.values.policy.toWire(record), ttl: 3_600_000 };
  }
}
