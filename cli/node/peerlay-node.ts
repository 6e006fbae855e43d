/**
 * A complete Peerlay node as `peerlay node` runs it: UDP endpoint, DHT, DHT discovery, bag and namespace
 * communities, optional state directory (key, routing table, values) and the JSON HTTP API.
 * @module
 */
import 'reflect-metadata';
import type { Address, Logger, PrivateKey, RelayServerOptions } from '../../framework/index.js';
import {
  CryptoRandom,
  DEFAULT_MAX_PACKET_BYTES,
  OverlayHost,
  ProbingEndpoint,
  RELAY_OVERHEAD_BYTES,
  RelayClient,
  RelayServer,
  SystemClock,
  UdpEndpoint,
  silentLogger,
} from '../../framework/index.js';
import type { DHTSettings } from '../../communities/dht/index.js';
import { DHTCommunity } from '../../communities/dht/index.js';
import { DHTDiscoveryCommunity } from '../../communities/discovery/index.js';
import type { RelayWiring } from './relay-wiring.js';
import { startRelayWiring } from './relay-wiring.js';
import { BagCommunity } from '../../communities/bag/index.js';
import { NamespaceCommunity } from '../../communities/namespace/index.js';
import { DictCommunity } from '../../communities/dict/index.js';
import { ProvidersCommunity } from '../../communities/providers/index.js';
import { ImmutableCommunity } from '../../communities/immutable/index.js';
import { NodeStartError } from '../errors.js';
import { ApiServer } from '../http/server.js';
import { apiRoutes } from '../http/routes/index.js';
import { peerlayVersion } from '../version.js';
import { Publisher } from './publisher.js';
import { RoutingPersistence } from './routing-persistence.js';
import type { OpenedState } from './state-dir.js';
import { openStateDir } from './state-dir.js';
import { restoreRecords } from './record-restore.js';

/** Options of {@link PeerlayNode.start}. */
export interface PeerlayNodeOptions {
  /** UDP address to bind (an IP literal). @default '127.0.0.1' */
  host?: string;
  /** UDP port; 0 picks a free one. @default 8090 */
  port?: number;
  /** Nodes to join through. @default [] */
  bootstrap?: readonly Address[];
  /** State directory (key, routing table, values); without it the node forgets everything on exit. */
  stateDir?: string;
  /** With `stateDir`: move a damaged database aside and start with an empty one (the key is kept). @default false */
  recoverState?: boolean;
  /** Where the HTTP API listens; `null` runs no API. @default { host: '127.0.0.1', port: 8091 } */
  http?: Address | null;
  /** API token; required by the caller's policy when the API is not on loopback. */
  token?: string;
  /** Diagnostics. @default silent */
  logger?: Logger;
  /** DHT settings (tests shorten intervals). @default {} */
  dht?: DHTSettings;
  /**
   * Volunteer as a relay for nodes that cannot be reached directly (`peerlay node --relay`): `true` with the
   * default limits, or the limits (see docs/relay.md). @default false
   */
  relay?: boolean | RelayServerOptions;
  /**
   * Birthday probing through a symmetric NAT on one side of a connect (256 extra UDP sockets for a few
   * seconds on the symmetric side, 2,000 small probes from the cone side; see docs/nat-traversal.md).
   * @default true
   */
  birthday?: boolean;
}

/** A node's relay parts: the client every node carries, and the server of a node that volunteers. */
export interface NodeRelay {
  /** Holds an allocation on another node's relay when asked to (by a `RelayKeeper`); idle otherwise. */
  readonly client: RelayClient;
  /** The relay this node serves, when started with `relay`. */
  readonly server: RelayServer | undefined;
  /** The outermost endpoint: the relay client plus birthday probe sockets (the host sends through it). */
  readonly probing: ProbingEndpoint;
  /**
   * Keeps an allocation on a public node's relay while the DHT says this node is behind a NAT, and
   * announces it with the discovery record (`relay-wiring.ts`); `undefined` until the node started.
   */
  readonly wiring?: RelayWiring;
}

/**
 * A running node.
 *
 * @example
 * ```ts
 * const node = await PeerlayNode.start({ port: 0, http: { host: '127.0.0.1', port: 0 }, stateDir: './state' });
 * console.log(node.host.midHex, node.apiAddress);
 * await node.stop();
 * ```
 */
export class PeerlayNode {
  private stopped = false;

  private constructor(
    /** The overlay host. */
    readonly host: OverlayHost,
    /** The DHT. */
    readonly dht: DHTCommunity,
    /** DHT discovery. */
    readonly discovery: DHTDiscoveryCommunity,
    /** The bag community. */
    readonly bag: BagCommunity,
    /** The namespace community. */
    readonly namespace: NamespaceCommunity,
    /** Publishes this node's own values. */
    readonly publisher: Publisher,
    /** The HTTP API, if any. */
    readonly api: ApiServer | undefined,
    private readonly state: OpenedState | undefined,
    private readonly routing: RoutingPersistence | undefined,
    /** The relay client, and the relay server when this node volunteers. */
    readonly relay: NodeRelay,
  ) {}

  /** The immutable value community. */
  get immutable(): ImmutableCommunity {
    return this.host.get(ImmutableCommunity);
  }

  /** The provider records community. */
  get providers(): ProvidersCommunity {
    return this.host.get(ProvidersCommunity);
  }

  /** The subkey dictionary community. */
  get dict(): DictCommunity {
    return this.host.get(DictCommunity);
  }

  /** The UDP address other nodes can `--bootstrap` from. */
  /** What opening the state directory reported: a damaged database moved aside, key file warnings. */
  get stateReport(): Pick<OpenedState, 'recovered' | 'warnings'> | undefined {
    return this.state;
  }

  get address(): Address {
    return this.host.endpoint.address;
  }

  /** The HTTP API's address, or `undefined` without an API. */
  get apiAddress(): Address | undefined {
    return this.api?.address;
  }

  /**
   * Builds and starts a node: opens the state directory, restores values and the routing table, binds UDP,
   * starts the communities, rejoins through the saved contacts, then opens the HTTP API.
   * @throws {@link NodeStartError} when the state directory, the UDP port or the HTTP port cannot be used.
   */
  static async start(options: PeerlayNodeOptions = {}): Promise<PeerlayNode> {
    const logger = options.logger ?? silentLogger;
    const state = options.stateDir === undefined ? undefined : await openStateDir(options.stateDir, { recover: options.recoverState === true });
    try {
      return await PeerlayNode.build(options, logger, state);
    } catch (error) {
      await state?.close();
      throw error instanceof NodeStartError ? error : new NodeStartError(`cannot start the node: ${(error as Error).message}`, { cause: error });
    }
  }

  private static async build(options: PeerlayNodeOptions, logger: Logger, state: OpenedState | undefined): Promise<PeerlayNode> {
    const key: PrivateKey | undefined = state?.key;
    const relay = PeerlayNode.relayStack(options);
    const host = new OverlayHost({ endpoint: relay.probing, clock: relay.clock, random: relay.random, key, logger, bootstrap: options.bootstrap ?? [] });
    // Every record type writes what it accepts to the state database before acknowledging it.
    const datastore = state?.db;
    const dht = host.register(DHTCommunity, { ...options.dht, datastore });
    const discovery = host.register(DHTDiscoveryCommunity);
    const bag = host.register(BagCommunity, { datastore });
    const namespace = host.register(NamespaceCommunity, { datastore });
    const dict = host.register(DictCommunity, { datastore });
    const providers = host.register(ProvidersCommunity, { datastore });
    const immutable = host.register(ImmutableCommunity, { datastore });
    let routing: RoutingPersistence | undefined;
    let rejoin: Address[] = [];
    let lastOwnVersion = 0;
    if (state !== undefined) {
      const report = restoreRecords({ immutable, dht, bag, namespace, providers, dict }, state.db, host.clock.now());
      lastOwnVersion = report.lastOwnVersion;
      routing = new RoutingPersistence(dht, state.db, host.clock, logger);
      rejoin = routing.restore();
      logger.info('state restored', { dir: state.dir, ...report.counts, contacts: rejoin.length });
    }
    const publisher = new Publisher(dht, lastOwnVersion);
    try {
      await host.start();
    } catch (cause) {
      throw new NodeStartError((cause as Error).message, { cause });
    }
    routing?.start();
    if (options.birthday !== false) discovery.setProbing(relay.probing);
    const wiring = startRelayWiring(relay.client, host.clock, dht, discovery, options.bootstrap ?? []);
    if (rejoin.length > 0) void dht.bootstrap(rejoin).catch(() => undefined);
    let api: ApiServer | undefined;
    if (options.http !== null) {
      // `relay` is for routes that show it (GET /health's relay section); ApiServices may not name it yet.
      const services = { host, dht, discovery, bag, namespace, immutable, providers, dict, publisher, db: state?.db, startedAt: host.clock.now(), version: peerlayVersion(), relay: { client: relay.client, server: relay.server, probing: relay.probing } };
      const http = options.http ?? { host: '127.0.0.1', port: 8091 };
      api = new ApiServer(apiRoutes(services), { host: http.host, port: http.port, token: options.token, logger });
    }
    const node = new PeerlayNode(host, dht, discovery, bag, namespace, publisher, api, state, routing, { client: relay.client, server: relay.server, probing: relay.probing, wiring });
    try {
      await api?.listen();
    } catch (cause) {
      await node.stop();
      const http = options.http ?? { host: '127.0.0.1', port: 8091 };
      throw new NodeStartError(`cannot listen on HTTP ${http.host}:${http.port}: ${(cause as Error).message}`, { cause });
    }
    return node;
  }

  /**
   * The node's endpoint stack: UDP (with room for the relay header above the host's 1,400-byte packets),
   * the relay server when `options.relay` asks for one (each allocation a new UDP port on the same host),
   * the relay client, and around it the probing endpoint (birthday probe sockets on the same host), which
   * the host sends and receives through.
   */
  private static relayStack(options: PeerlayNodeOptions): NodeRelay & { clock: SystemClock; random: CryptoRandom } {
    const clock = new SystemClock();
    const random = new CryptoRandom();
    const bindHost = options.host ?? '127.0.0.1';
    const maxPacketBytes = DEFAULT_MAX_PACKET_BYTES + RELAY_OVERHEAD_BYTES;
    const udp = new UdpEndpoint({ host: bindHost, port: options.port ?? 8090, maxPacketBytes });
    const relayOptions = options.relay === true ? {} : options.relay === false || options.relay === undefined ? undefined : options.relay;
    const server =
      relayOptions === undefined
        ? undefined
        : new RelayServer(udp, { clock, random, createEndpoint: () => new UdpEndpoint({ host: bindHost, port: 0, maxPacketBytes, receiveBufferBytes: 0, sendBufferBytes: 0 }) }, relayOptions);
    const client = new RelayClient(server ?? udp, { clock, random });
    const probing = new ProbingEndpoint(client, { createSocket: () => new UdpEndpoint({ host: bindHost, port: 0, maxPacketBytes, receiveBufferBytes: 0, sendBufferBytes: 0 }) }, clock);
    return { client, server, probing, clock, random };
  }

  /**
   * Stops the node: closes the API, saves the routing table, stops the communities and the socket, and closes
   * the database. Idempotent.
   */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await this.api?.close();
    this.routing?.stop();
    this.routing?.save();
    this.relay.wiring?.stop();
    await this.host.stop();
    await this.state?.close();
  }
}
