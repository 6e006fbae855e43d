/**
 * The base of a community that hosts one record type on the DHT's record engine (the bag, the namespace,
 * your own): it builds the engine with the DHT's public door, registers the type's handlers, starts and
 * stops the upkeep, and gives subclasses the checks and error handling every such API shares.
 * @module
 */
import type { CommunityContext, CommunitySettings } from '../../../framework/index.js';
import { Community } from '../../../framework/index.js';
import { DHTCommunity } from '../dht-community.js';
import type { DHTErrorReason } from '../errors.js';
import { DHTError } from '../errors.js';
import type { RecordDatastore, RecordOrigin } from './datastore.js';
import type { RecordPolicy, RecordVerdict } from './policy.js';
import type { PublishOutcome } from './engine-types.js';
import { RecordEngine } from './record-engine.js';
import type { RecordMessages } from './record-messages.js';
import type { StoreLimits } from './store-limits.js';

/** The settings every record community has, defaults applied. */
export interface RecordCommunitySettings extends CommunitySettings {
  /** Timeout of one request, in ms. */
  readonly requestTimeoutMs: number;
  /** Shortest lifetime the API accepts, in ms. */
  readonly minTtlMs: number;
  /** Lifetime when a call gives none, in ms. */
  readonly defaultTtlMs: number;
  /** Longest lifetime the API and storers accept, in ms. */
  readonly maxTtlMs: number;
  /** Storers re-store what they hold to the current k closest this often, in ms. */
  readonly replicateIntervalMs: number;
  /** How often upkeep (sweep, renew, replicate) runs, in ms. */
  readonly maintenanceIntervalMs: number;
  /** Caps of this node's store of the type. */
  readonly store: StoreLimits;
  /** Where accepted records are kept beyond the process. */
  readonly datastore?: RecordDatastore | undefined;
}

/** The community's own error class: a {@link DHTError} subclass (same reasons, its own name). */
export type ErrorClass = new (message: string, reason: DHTErrorReason, options?: { cause?: unknown; verdicts?: Readonly<Record<string, number>> }) => DHTError;

/** What a record community is built from, besides its context and settings. */
export interface RecordCommunityParts<R, W> {
  /** The record type. */
  readonly policy: RecordPolicy<R, W>;
  /** Its messages. */
  readonly messages: RecordMessages<W>;
  /** Renews one of this node's records before it expires (see `RecordEngineOptions.renew`). */
  readonly renew?: (record: R, ttlMs: number) => R;
  /** Told of every record accepted from another node. */
  readonly onAccepted?: (location: Uint8Array, verdict: RecordVerdict, origin: RecordOrigin) => void;
  /** The community's error class. */
  readonly error: ErrorClass;
}

/** The refusals that name their own error reason when every storer gave one. */
const NAMED_REFUSALS: Readonly<Record<string, DHTErrorReason>> = { stale: 'stale', conflict: 'conflict', 'too-large': 'too-large' };

/**
 * A community hosting one record type. Register it after {@link DHTCommunity}.
 * @typeParam R the record. @typeParam W its wire form. @typeParam E the community's events.
 */
export abstract class RecordCommunity<R, W, E extends object = object> extends Community<E> {
  /** The communities this one needs registered first. */
  static override readonly requires = [DHTCommunity];
  /** The record type's engine: its store, server and client sides, this node's own records, upkeep. */
  readonly engine: RecordEngine<R, W>;
  private readonly errorClass: ErrorClass;

  /**
   * @param ctx the node's services. @param id the community id. @param dht the node's DHT.
   * @param settings settings with defaults applied. @param parts the record type and the community's error.
   */
  protected constructor(ctx: CommunityContext, id: Uint8Array, dht: DHTCommunity, readonly settings: RecordCommunitySettings, parts: RecordCommunityParts<R, W>) {
    super(ctx, id, settings);
    const network = dht.network;
    this.errorClass = parts.error;
    this.engine = new RecordEngine<R, W>({
      policy: parts.policy,
      messages: parts.messages,
      community: this,
      network,
      request: (peer, type, body, signal) => this.sendRequest(peer.address, type, body, { signal, recipient: network.recipientKey(peer.id) }),
      clock: ctx.clock,
      random: ctx.random,
      timing: { ...settings, republishIntervalMs: settings.replicateIntervalMs },
      store: { ...settings.store, datastore: settings.datastore },
      renew: parts.renew,
      onAccepted: parts.onAccepted,
    });
    this.handle(parts.messages.FindRequest, (m) => this.engine.answerFind(m));
    this.handle(parts.messages.StoreRequest, (m) => this.engine.answerStore(m));
    this.handleResponses(parts.messages.Find);
    this.handleResponses(parts.messages.Store);
    const { StoreManyRequest, StoreMany } = parts.messages;
    if (StoreManyRequest !== undefined && StoreMany !== undefined) {
      this.handle(StoreManyRequest, (m) => this.engine.answerStoreMany(m));
      this.handleResponses(StoreMany);
    }
  }

  /**
   * The node's clock in whole ms. Times on the wire and in signatures are integers; a simulated clock can
   * stand between two ms.
   */
  now(): number {
    return Math.floor(this.context.clock.now());
  }

  /** Runs one upkeep round now (sweep, renew, replicate); it also runs every `maintenanceIntervalMs`. */
  maintain(): Promise<void> {
    return this.engine.maintain();
  }

  /** Requests time out after the community's `requestTimeoutMs` setting. */
  protected override get requestTimeoutMs(): number {
    return this.settings.requestTimeoutMs;
  }

  /** @inheritDoc */
  protected override async onStart(): Promise<void> {
    this.engine.start();
  }

  /** @inheritDoc */
  protected override async onStop(): Promise<void> {
    this.engine.stop();
  }

  /**
   * Publishes one of this node's records; an outcome no storer accepted is an error: `no-nodes` when none
   * answered, else the most common refusal when it has a reason of its own (`stale`, `conflict`,
   * `too-large`), or `rejected`, with every verdict.
   */
  protected async publishOwn(
    record: R,
    options: { ttlMs: number; republish: 'until-expiry' | 'keep-alive' | 'never'; signal?: AbortSignal | undefined; cas?: number | undefined; nodes?: Parameters<RecordEngine<R, W>['publish']>[1]['nodes'] },
    what: string,
  ): Promise<PublishOutcome> {
    return this.publishOwnAll([record], options, what);
  }

  /** `publishOwn` for several records at one location (e.g. the chunks of one value), published and tallied as one. */
  protected async publishOwnAll(
    records: readonly R[],
    options: { ttlMs: number; republish: 'until-expiry' | 'keep-alive' | 'never'; signal?: AbortSignal | undefined; cas?: number | undefined; nodes?: Parameters<RecordEngine<R, W>['publish']>[1]['nodes'] },
    what: string,
  ): Promise<PublishOutcome> {
    const outcome = await this.engine.publish(records, options);
    if (outcome.stored > 0) return outcome;
    options.signal?.throwIfAborted();
    const refusals = Object.entries(outcome.verdicts).sort((a, b) => b[1] - a[1]);
    if (refusals.length === 0) throw this.error(`no storer answered the ${what}; try again later`, 'no-nodes');
    const reason = NAMED_REFUSALS[refusals[0]![0]] ?? 'rejected';
    throw this.error(`every storer refused the ${what}: ${JSON.stringify(outcome.verdicts)}`, reason, { verdicts: outcome.verdicts });
  }

  /** A lifetime in ms (or the default). @throws the community's error, `invalid-ttl`, outside `[minTtlMs, maxTtlMs]`. */
  protected checkTtl(ttlMs: number | undefined): number {
    const s = this.settings;
    const ms = ttlMs ?? s.defaultTtlMs;
    if (!Number.isSafeInteger(ms) || ms < s.minTtlMs || ms > s.maxTtlMs) {
      throw this.error(`ttlMs must be an integer in [${s.minTtlMs}, ${s.maxTtlMs}], got ${ms}`, 'invalid-ttl');
    }
    return ms;
  }

  /** Runs an API call: refused when stopped; any failure becomes the community's error. */
  protected async run<T>(op: () => Promise<T>): Promise<T> {
    if (!this.isRunning) throw this.error(`the ${this.name} is not running`, 'stopped');
    try {
      return await op();
    } catch (error) {
      throw this.wrap(error);
    }
  }

  /** Makes the community's error. */
  protected error(message: string, reason: DHTErrorReason, options?: { cause?: unknown; verdicts?: Readonly<Record<string, number>> }): DHTError {
    return new this.errorClass(message, reason, options);
  }

  private wrap(error: unknown): Error {
    if (error instanceof this.errorClass) return error;
    if (error instanceof DHTError) return this.error(error.message, error.reason, { cause: error, verdicts: error.verdicts });
    if (error instanceof Error && error.name === 'AbortError') {
      return this.error(this.isRunning ? 'operation aborted' : `the ${this.name} stopped`, this.isRunning ? 'aborted' : 'stopped', { cause: error });
    }
    return error instanceof Error ? error : new Error(String(error));
  }
}
