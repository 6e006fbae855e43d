/**
 * The node's Prometheus metrics, served by `GET /metrics`. One prom-client {@link Registry} per node (tests
 * run several nodes in one process, so never the global one). The lookup histograms are fed by the DHT's
 * `lookup` events; every other metric is read from the live counters when scraped (`collect`), so nothing
 * runs while nobody scrapes. Totals that only grow are `counter`s set to the live total on each scrape;
 * levels (records held, peers, contacts) are `gauge`s. The names are listed in `docs/metrics.md`.
 * @module
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { OverlayHost } from '../../framework/index.js';
import type { DHTCommunity, LookupEvent, LookupKind, RecordStatistics, RecordStore } from '../../communities/dht/index.js';
import { RECORD_VERDICTS } from '../../communities/dht/index.js';

/** Bucket bounds of `peerlay_dht_lookup_duration_seconds`, in seconds. */
export const LOOKUP_DURATION_BUCKETS_SECONDS: readonly number[] = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
/** Bucket bounds of `peerlay_dht_lookup_hops`, in hops. */
export const LOOKUP_HOPS_BUCKETS: readonly number[] = [1, 2, 3, 4, 5, 6, 8, 10, 15, 20];

/** Every lookup kind, so each histogram series exists (at zero) before its first lookup. */
const LOOKUP_KINDS: Readonly<Record<LookupKind, true>> = { 'find-values': true, 'find-nodes': true, store: true, connect: true, refresh: true, join: true };

/** What the metrics read of one record type: its store and its engine's counters. */
export interface RecordTypeSource {
  /** The records held. */
  readonly store: Pick<RecordStore<unknown>, 'size' | 'locationCount' | 'bytes' | 'evictions' | 'verdicts' | 'quotas'>;
  /** The engine's counters. */
  readonly statistics: RecordStatistics;
}

/** What the metrics read. */
export interface MetricsSources {
  /** The node: its packet counters, rate limiters, verification budget and communities. */
  readonly host: Pick<OverlayHost, 'stats' | 'rateLimiter' | 'ipRateLimiter' | 'verifyBudget' | 'communities'>;
  /** The DHT: its lookup events, routing table and counters. */
  readonly dht: Pick<DHTCommunity, 'on' | 'routingTable' | 'statistics'>;
  /** The record types by name (`value`, `bag`, `namespace`), the `type` label. */
  readonly records: Readonly<Record<string, RecordTypeSource>>;
}

type Labels<L extends string> = Partial<Record<L, string>>;
/** One series of a metric read on scrape: its labels and its value. */
type Sample<L extends string> = readonly [labels: Labels<L>, value: number];
type Read<L extends string> = () => Iterable<Sample<L>>;

/** What the record engine's counters become: metric name, help, and the counter. */
const RECORD_COUNTERS: ReadonlyArray<readonly [name: string, help: string, read: (s: RecordStatistics) => number]> = [
  ['peerlay_record_published_total', 'Publications (and re-publications) of this node that at least one storer accepted.', (s) => s.published],
  ['peerlay_record_publish_failed_total', 'Publications of this node that no storer accepted.', (s) => s.publishFailed],
  ['peerlay_record_republications_total', 'Own records re-published by the maintenance.', (s) => s.republications],
  ['peerlay_record_replications_total', 'Locations re-stored to the current closest nodes as a storer.', (s) => s.replications],
  ['peerlay_record_rejected_total', 'Records a storer sent that failed verification, did not belong where asked, or came out of order.', (s) => s.recordsRejected],
  ['peerlay_record_expired_total', 'Expired records dropped by sweeps.', (s) => s.expired],
  ['peerlay_record_pages_served_total', 'Find pages this node served.', (s) => s.pagesServed],
  ['peerlay_record_pages_requested_total', 'Pages requested from storers.', (s) => s.pagesRequested],
  ['peerlay_record_unproven_finds_total', 'Finds answered without a valid token (answers held to 3x the request size).', (s) => s.unprovenFinds],
  ['peerlay_record_pages_capped_total', 'Pages cut short to keep an answer to an unproven address within 3x its request.', (s) => s.pagesCappedByAmplification],
];

/**
 * The metrics of one node.
 * @example
 * ```ts
 * const metrics = new NodeMetrics({ host, dht, records: { value: dht.values, bag: bag.entries } });
 * response.setHeader('content-type', metrics.contentType);
 * response.end(await metrics.scrape());
 * ```
 */
export class NodeMetrics {
  /** This node's registry (not prom-client's global one). */
  readonly registry = new Registry();
  private readonly duration: Histogram<'kind'>;
  private readonly hops: Histogram<'kind'>;
  private readonly lookupErrors: Counter<'kind' | 'error'>;

  /** @param sources what the metrics read; subscribes to the DHT's `lookup` events at once. */
  constructor(private readonly sources: MetricsSources) {
    const registers = [this.registry];
    this.duration = new Histogram({ name: 'peerlay_dht_lookup_duration_seconds', help: 'Time a DHT lookup took, by kind (failed ones included).', labelNames: ['kind'], buckets: [...LOOKUP_DURATION_BUCKETS_SECONDS], registers });
    this.hops = new Histogram({ name: 'peerlay_dht_lookup_hops', help: 'Hops of a DHT lookup that ended without an error, by kind.', labelNames: ['kind'], buckets: [...LOOKUP_HOPS_BUCKETS], registers });
    this.lookupErrors = new Counter({ name: 'peerlay_dht_lookup_errors_total', help: 'DHT lookups that ended with an error, by kind and error.', labelNames: ['kind', 'error'], registers });
    for (const kind of Object.keys(LOOKUP_KINDS)) {
      this.duration.zero({ kind });
      this.hops.zero({ kind });
    }
    sources.dht.on('lookup:finished', (event) => this.observe(event));
    this.defineMessages();
    this.defineHost();
    this.defineDht();
    this.defineRecords();
  }

  /** The `Content-Type` of {@link NodeMetrics.scrape}'s text: `text/plain; version=0.0.4; charset=utf-8`. */
  get contentType(): string {
    return this.registry.contentType;
  }

  /** @returns every metric in the Prometheus text exposition format, read now. */
  scrape(): Promise<string> {
    return this.registry.metrics();
  }

  private observe(event: LookupEvent): void {
    if (event.type !== 'finished') return;
    const labels = { kind: event.kind };
    this.duration.observe(labels, event.durationMs / 1_000);
    if (event.error === undefined) this.hops.observe(labels, event.hops);
    else this.lookupErrors.inc({ ...labels, error: event.error });
  }

  private defineMessages(): void {
    const { host } = this.sources;
    const byName = (pick: (c: ReturnType<OverlayHost['communities']>[number]) => Readonly<Record<string, number>>, label: 'message' | 'reason') =>
      function* (): Iterable<Sample<'community' | 'message' | 'reason'>> {
        for (const c of host.communities()) for (const [name, n] of Object.entries(pick(c))) yield [{ community: c.name, [label]: name }, n];
      };
    this.total('peerlay_messages_received_total', 'Messages accepted and handed to a handler, by community and message.', ['community', 'message'], byName((c) => c.stats.received, 'message'));
    this.total('peerlay_messages_sent_total', 'Messages sent, by community and message.', ['community', 'message'], byName((c) => c.stats.sent, 'message'));
    this.total('peerlay_message_sent_bytes_total', 'Bytes sent, by community and message.', ['community', 'message'], byName((c) => c.stats.bytesSent, 'message'));
    this.total('peerlay_packets_dropped_total', 'Packets a community dropped before any handler ran (or a handler rejected), by reason.', ['community', 'reason'], byName((c) => c.stats.dropped, 'reason'));
    this.total('peerlay_handler_errors_total', 'Message handlers that threw or rejected, by community.', ['community'], () => host.communities().map((c) => [{ community: c.name }, c.stats.handlerErrors] as const));
    this.level('peerlay_community_peers', 'Verified peers, by community.', ['community'], () => host.communities().map((c) => [{ community: c.name }, c.peers.size] as const));
  }

  private defineHost(): void {
    const { host } = this.sources;
    this.total('peerlay_host_packets_routed_total', 'Packets that reached a community.', [], () => [[{}, host.stats.routed]]);
    this.total('peerlay_host_packets_dropped_total', 'Packets the node dropped before any community, by reason (the rate-limit reasons add up to all rate-limited packets).', ['reason'], () => {
      const s = host.stats;
      return [
        [{ reason: 'malformed' }, s.malformed],
        [{ reason: 'unknown-community' }, s.unknownCommunity],
        [{ reason: 'source-limited' }, s.sourceLimited],
        [{ reason: 'source-banned' }, s.sourceBanned],
        [{ reason: 'ip-limited' }, s.ipLimited],
        [{ reason: 'ip-banned' }, s.ipBanned],
        [{ reason: 'over-budget' }, s.overBudget],
      ];
    });
    const limiters = () => [['source', host.rateLimiter] as const, ['ip', host.ipRateLimiter?.limiter] as const].filter((l) => l[1] !== undefined);
    this.total('peerlay_rate_limit_bans_total', 'Bans the rate limiters issued, by scope (source address, or IP and /64).', ['scope'], () => limiters().map(([scope, l]) => [{ scope }, l!.stats.bans] as const));
    this.level('peerlay_rate_limit_tracked', 'Sources the rate limiters track, by scope.', ['scope'], () => limiters().map(([scope, l]) => [{ scope }, l!.size] as const));
    this.total('peerlay_verify_budget_packets_total', 'Packets seen by the node-wide verification budget, by outcome (over-budget ones were dropped).', ['outcome'], () => {
      const s = host.verifyBudget?.stats;
      if (s === undefined) return [];
      return [
        [{ outcome: 'admitted' }, s.admitted],
        [{ outcome: 'solicited' }, s.solicited],
        [{ outcome: 'over-budget' }, s.overBudget],
      ];
    });
  }

  private defineDht(): void {
    const { dht } = this.sources;
    this.level('peerlay_dht_routing_table_contacts', 'Contacts in the DHT routing table.', [], () => [[{}, dht.routingTable.size]]);
    this.level('peerlay_dht_routing_table_buckets', 'Buckets of the DHT routing table.', [], () => [[{}, dht.routingTable.buckets().length]]);
    this.total('peerlay_dht_queries_total', 'Queries sent by DHT lookups.', [], () => [[{}, dht.statistics.queries]]);
    this.total('peerlay_dht_request_timeouts_total', 'DHT requests that timed out.', [], () => [[{}, dht.statistics.timeouts]]);
    this.total('peerlay_dht_ip_cap_rejections_total', "Contacts refused by the routing table's IP-diversity caps.", [], () => [[{}, dht.statistics.ipCapRejections]]);
  }

  private defineRecords(): void {
    const types = () => Object.entries(this.sources.records);
    const each = (read: (r: RecordTypeSource) => number): Read<'type'> => () => types().map(([type, r]) => [{ type }, read(r)] as const);
    this.level('peerlay_records_stored', 'Records held, by record type (expired ones count until swept).', ['type'], each((r) => r.store.size));
    this.level('peerlay_records_stored_bytes', 'Sizes of the held records summed, by record type.', ['type'], each((r) => r.store.bytes));
    this.level('peerlay_record_locations', 'Locations (keys) with at least one record, by record type.', ['type'], each((r) => r.store.locationCount));
    this.total('peerlay_record_evictions_total', 'Records evicted from a full location for one that expires later, by record type.', ['type'], each((r) => r.store.evictions));
    this.total('peerlay_record_verdicts_total', 'Verdicts this node gave other nodes as a storer, by record type and verdict (bad-token, quota and full included).', ['type', 'verdict'], function* () {
      for (const [type, r] of types()) for (const verdict of RECORD_VERDICTS) yield [{ type, verdict }, r.statistics.verdicts[verdict] ?? 0];
    });
    this.total('peerlay_record_puts_total', "Records offered to the store, this node's own included, by record type and verdict.", ['type', 'verdict'], function* () {
      for (const [type, r] of types()) for (const [verdict, n] of Object.entries(r.store.verdicts)) yield [{ type, verdict }, n];
    });
    this.level('peerlay_record_quota_records', 'Records one source address or one IP group (/24, /48) may make the node hold, by record type and scope.', ['type', 'scope'], function* () {
      for (const [type, r] of types()) {
        const q = r.store.quotas;
        yield [{ type, scope: 'source' }, q.perSource.records];
        yield [{ type, scope: 'group' }, q.perGroup.records];
      }
    });
    this.level('peerlay_record_quota_bytes', 'Bytes one source address or one IP group may make the node hold, by record type and scope.', ['type', 'scope'], function* () {
      for (const [type, r] of types()) {
        const q = r.store.quotas;
        yield [{ type, scope: 'source' }, q.perSource.bytes];
        yield [{ type, scope: 'group' }, q.perGroup.bytes];
      }
    });
    for (const [name, help, read] of RECORD_COUNTERS) this.total(name, `${help.slice(0, -1)}, by record type.`, ['type'], each((r) => read(r.statistics)));
  }

  /** A `counter` whose series are set to the live totals `read` returns on each scrape (prom-client's Counter has no `set`). */
  private total<L extends string>(name: string, help: string, labelNames: readonly L[], read: Read<L>): void {
    new Counter<L>({
      name,
      help,
      labelNames,
      registers: [this.registry],
      collect() {
        this.reset();
        for (const [labels, value] of read()) this.inc(labels, value);
      },
    });
  }

  /** A `gauge` whose series are set to what `read` returns on each scrape. */
  private level<L extends string>(name: string, help: string, labelNames: readonly L[], read: Read<L>): void {
    new Gauge<L>({
      name,
      help,
      labelNames,
      registers: [this.registry],
      collect() {
        this.reset();
        for (const [labels, value] of read()) this.set(labels, value);
      },
    });
  }
}
