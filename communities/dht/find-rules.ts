/**
 * When a value lookup may stop, and which answer a `first` find may return: the rules that keep a find
 * from taking a superseded version for the newest (issue #16), as pure functions of the answers so far.
 * @module
 */
import { toHex } from '../../framework/index.js';
import type { Answered } from './lookup.js';
import { compareDistance } from './routing/node-id.js';

/** What the rules read of one answer. */
export interface RuledReply {
  /** Nodes the responder referred. */
  readonly nodes: ReadonlyArray<{ readonly id: Uint8Array }>;
  /** True when the responder holds the values as a storer (from the publisher or by replication), not as a cache. */
  readonly authoritative?: boolean | undefined;
}

/** The lookup a rule judges: its key, our id (never ranked) and Kademlia's k. */
export interface RuleContext {
  /** The DHT key looked up. */
  readonly key: Uint8Array;
  /** Our own node id: never queried, so never ranked. */
  readonly selfId: Uint8Array;
  /** Kademlia k (the storers of a key are its k closest nodes). */
  readonly k: number;
}

/** What {@link judgeFind} says of the answers so far. */
export interface FindVerdict<R extends RuledReply> {
  /** The earliest answer from a plausible storer, when asked for and there is one. */
  readonly plausible: Answered<R> | undefined;
  /** The lookup may stop (see {@link quorumReached}). */
  readonly done: boolean;
}

/**
 * Both rules at once, ranking the nodes seen once: whether the lookup may stop ({@link quorumReached}) and,
 * with `wantPlausible`, the first answer a `first` find may return ({@link firstPlausible}).
 */
export function judgeFind<R extends RuledReply>(c: RuleContext, all: ReadonlyArray<Answered<R>>, quorum: number, suspects: ReadonlySet<string>, wantPlausible: boolean): FindVerdict<R> {
  const found = all.filter((a) => a.suspect !== true); // a dense cluster of ground ids does not vote
  const enough = found.length >= quorum;
  if (!enough && !(wantPlausible && found.some((a) => a.reply.authoritative === true))) return { plausible: undefined, done: false };
  const ranked = rankSeen(c, found, suspects);
  const storers = plausibleStorers(c, found, ranked);
  const plausible = wantPlausible ? storers[0] : undefined;
  if (!enough) return { plausible, done: false };
  if (storers.length > 0) return { plausible, done: true };
  const answered = new Set(found.map((a) => toHex(a.peer.id)));
  return { plausible, done: ranked.slice(0, quorum).some((hex) => answered.has(hex)) };
}

/**
 * Early stop of a value lookup: `quorum` responders with values, one of them a plausible storer (see
 * {@link plausibleStorers}) or among the `quorum` nodes nearest the key of all the responders and the
 * nodes they pointed to. A cache along the path keeps the version that was current when it was cached,
 * while storers get every update (and the newest version wins the merge), so stopping at the first
 * `quorum` answers when all are caches could return a superseded version; and so could stopping on the
 * word of a node far from the key that calls itself a storer (an attacker serving an old version: issue
 * #16). When neither holds, the lookup runs to its end. Nodes seen in a dense cluster of ground ids at the
 * key (`suspects`, hex ids) neither vote nor rank.
 */
export function quorumReached<R extends RuledReply>(c: RuleContext, all: ReadonlyArray<Answered<R>>, quorum: number, suspects: ReadonlySet<string>): boolean {
  return judgeFind(c, all, quorum, suspects, false).done;
}

/**
 * The first answer a `first` find may return: the earliest answer with values from a plausible storer
 * (see {@link plausibleStorers}), or undefined while there is none. Suspects (hex ids) neither answer nor rank.
 */
export function firstPlausible<R extends RuledReply>(c: RuleContext, all: ReadonlyArray<Answered<R>>, suspects: ReadonlySet<string>): Answered<R> | undefined {
  return judgeFind(c, all, Number.POSITIVE_INFINITY, suspects, true).plausible;
}

/**
 * The answers, in arrival order, whose responder is a plausible storer: its reply says `authoritative`,
 * and fewer than k / 2 of the nodes seen (`ranked`, hex ids nearest the key first) are nearer the key. A
 * storer is one of the k closest; the stricter bound leaves out a liar the find has seen few nodes around,
 * as a finder that met mostly attackers has, and a real storer ranked past k / 2 ends the find by the
 * other rule a little later.
 */
function plausibleStorers<R extends RuledReply>(c: RuleContext, found: ReadonlyArray<Answered<R>>, ranked: readonly string[]): Array<Answered<R>> {
  const top = new Set(ranked.slice(0, Math.ceil(c.k / 2)));
  return found.filter((a) => a.reply.authoritative === true && top.has(toHex(a.peer.id)));
}

/** Hex ids of every responder and every node they referred, nearest the key first; us and suspects left out. */
function rankSeen<R extends RuledReply>(c: RuleContext, found: ReadonlyArray<Answered<R>>, suspects: ReadonlySet<string>): string[] {
  const seen = new Map<string, Uint8Array>();
  for (const a of found) {
    seen.set(toHex(a.peer.id), a.peer.id);
    for (const n of a.reply.nodes) seen.set(toHex(n.id), n.id);
  }
  seen.delete(toHex(c.selfId));
  for (const hex of suspects) seen.delete(hex);
  return [...seen].sort((x, y) => compareDistance(c.key, x[1], y[1])).map(([hex]) => hex);
}
