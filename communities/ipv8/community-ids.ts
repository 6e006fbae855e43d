/**
 * py-ipv8's community ids used by the compatible mode.
 * @module
 */
import { fromHex } from '../../framework/util/bytes.js';

/**
 * The id of py-ipv8's `DHTCommunity`, which its `DHTDiscoveryCommunity` inherits: one overlay carries the
 * DHT and the discovery messages, so a compatible node runs both on this id.
 */
export const IPV8_DHT_COMMUNITY_ID: Uint8Array = fromHex('8d0be1845d74d175f178197cad001591d04d73cc');
