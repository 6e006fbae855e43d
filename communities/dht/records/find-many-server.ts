/**
 * The storer's side of the multi-target find: each target answered as a single find answers it (the
 * closest contacts, never the requester; a page of records after the same checks), whole answers packed
 * in request order into one datagram, within 3x the request and the address's remaining credit until the
 * requester proved its address with a token, as for a single find. A target whose answer does not fit is
 * left for the requester to ask again; the first one gets a shorter page rather than none, so every
 * request makes progress unless even that does not fit.
 * @module
 */
import type { Incoming } from '../../../framework/index.js';
import { encodeBody, replyKey, signedEnvelopeBytes, toHex } from '../../../framework/index.js';
import type { FindManyAnswer, FindManyMessages, FindManyRequestBody, FindManyResponseBody } from './find-many-messages.js';
import { WIRE_MAX_NODE_TABLE } from './find-many-messages.js';
import type { NodeRefValue, WireItem } from './record-messages.js';
import { WIRE_MAX_RECORDS } from './record-messages.js';
import type { RecordServerParts } from './record-server.js';
import { fillPage, replyBudget } from './record-server.js';

/**
 * Answers a multi-target find: dropped (counted as `malformed-find-many`) when it names no target or a
 * target twice; else the answers that fit, in order (none when not even the first fits: the requester
 * asks it alone). Dropped as `amplification-limited` when not even the token fits what the requester's
 * unproven address may still be sent.
 */
export function answerFindMany<R, W>(parts: RecordServerParts<R, W>, messages: FindManyMessages<W>, m: Incoming<FindManyRequestBody>): void {
  const { responder, store, tokens, statistics } = parts;
  const { id, targets, records: wantRecords, publisher } = m.value;
  if (targets.length === 0 || new Set(targets.map(toHex)).size !== targets.length) return responder.drop('malformed-find-many', m.from);
  const requesterId = (m.sender ?? m.claimedSender)?.mid;
  const { datagram, proven, max } = replyBudget(parts, m);
  const envelope = signedEnvelopeBytes(responder.context.key.publicKey.toBinary().length);
  const token = tokens.issue(m.from);
  const table = new NodeTable();
  const answers: Array<FindManyAnswer<W>> = [];
  const fits = (next: FindManyAnswer<W>, nodes: NodeRefValue[]): boolean => {
    const body: FindManyResponseBody<W> = { id, token, nodes, answers: [...answers, next] };
    return nodes.length <= WIRE_MAX_NODE_TABLE && envelope + encodeBody(messages.FindManyResponse.schema, body).length <= max;
  };
  const at = store.now();
  const owner = publisher === undefined ? undefined : toHex(publisher);
  let capped = false;
  for (const target of targets) {
    const held = wantRecords ? store.page(target, undefined, owner) : { records: [], total: 0 };
    const candidates = held.records.slice(0, WIRE_MAX_RECORDS);
    const page: Array<WireItem<W>> = candidates.map((h) => ({ record: store.policy.toWire(h.record) as W, ttl: Math.max(0, Math.floor(h.expiresAt - at)) }));
    const refs = parts.closestContacts(target, requesterId);
    const { indexes, nodes } = table.with(refs);
    const answer = (n: number): FindManyAnswer<W> => ({
      nodes: indexes,
      records: page.slice(0, n),
      total: held.total,
      more: n < held.records.length,
      authoritative: candidates.slice(0, n).every((h) => h.origin !== 'cache'),
    });
    if (fits(answer(page.length), nodes)) {
      answers.push(answer(page.length));
      table.commit(nodes);
      continue;
    }
    // Only the first answer may carry a shorter page (with at least one record, as a single find's would):
    // a later one waits for the next request, where it may have the datagram to itself.
    const shorter = answers.length === 0 && page.length > 0 ? fillPage(page, 0, (v) => fits(answer(v.length), nodes)).length : 0;
    if (shorter > 0) {
      answers.push(answer(shorter));
      table.commit(nodes);
    }
    capped = !proven && max < datagram;
    break;
  }
  if (capped) statistics.pagesCappedByAmplification++;
  const body: FindManyResponseBody<W> = { id, token, nodes: table.nodes, answers };
  const packet = responder.encode(messages.FindManyResponse, body, replyKey(m));
  if (packet.length > max) return responder.drop('amplification-limited', m.from); // not even the token fits the credit left
  if (wantRecords) statistics.pagesServed += answers.length;
  responder.sendPacket(m.from, messages.FindManyResponse.name, packet);
}

/** The node table of one response: each node once, answers refer to it by index. */
class NodeTable {
  /** The nodes so far, in order. */
  nodes: NodeRefValue[] = [];
  private readonly index = new Map<string, number>();

  /** The indexes of `refs` and the table they need (the current one, extended), without changing it. */
  with(refs: readonly NodeRefValue[]): { indexes: number[]; nodes: NodeRefValue[] } {
    const nodes = [...this.nodes];
    const added = new Map<string, number>();
    const indexes = refs.map((r) => {
      const hex = toHex(r.id);
      const known = this.index.get(hex) ?? added.get(hex);
      if (known !== undefined) return known;
      added.set(hex, nodes.length);
      nodes.push(r);
      return nodes.length - 1;
    });
    return { indexes, nodes };
  }

  /** Takes `nodes` (from {@link NodeTable.with}) as the table. */
  commit(nodes: NodeRefValue[]): void {
    for (let i = this.nodes.length; i < nodes.length; i++) this.index.set(toHex(nodes[i]!.id), i);
    this.nodes = nodes;
  }
}
