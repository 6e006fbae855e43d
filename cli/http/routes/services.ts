/**
 * What the API's routes reach: the node's host and communities.
 * @module
 */
import type { OverlayHost, ProbingEndpoint, RelayClient, RelayServer } from '../../../framework/index.js';
import type { DHTCommunity } from '../../../communities/dht/index.js';
import type { DHTDiscoveryCommunity } from '../../../communities/discovery/index.js';
import type { BagCommunity } from '../../../communities/bag/index.js';
import type { NamespaceCommunity } from '../../../communities/namespace/index.js';
import type { DictCommunity } from '../../../communities/dict/index.js';
import type { ProvidersCommunity } from '../../../communities/providers/index.js';
import type { ImmutableCommunity } from '../../../communities/immutable/index.js';
import type { Publisher } from '../../node/publisher.js';
import type { StateDb } from '../../node/state-db.js';

/** The services behind the HTTP API. */
export interface ApiServices {
  /** The node. */
  readonly host: OverlayHost;
  /** Its DHT. */
  readonly dht: DHTCommunity;
  /** Its DHT discovery (`connectPeer`). */
  readonly discovery: DHTDiscoveryCommunity;
  /** Its bag community. */
  readonly bag: BagCommunity;
  /** Its namespace community. */
  readonly namespace: NamespaceCommunity;
  /** Its subkey dictionary community. */
  readonly dict: DictCommunity;
  /** Its provider records community. */
  readonly providers: ProvidersCommunity;
  /** Its immutable value community. */
  readonly immutable: ImmutableCommunity;
  /** Publishes this node's own values. */
  readonly publisher: Publisher;
  /** The state database, when the node runs with `--state`. */
  readonly db: StateDb | undefined;
  /** When the node started, ms since the epoch. */
  readonly startedAt: number;
  /** Peerlay's version. */
  readonly version: string;
  /**
   * The node's relay client, its relay server when it volunteers (`--relay`), and its probing endpoint
   * (birthday probe sockets); absent in tests that build no relay stack.
   */
  readonly relay?: { readonly client: RelayClient; readonly server: RelayServer | undefined; readonly probing?: ProbingEndpoint };
}
