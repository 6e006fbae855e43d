/**
 * The caps of a record store as a community's settings give them (one shape for every record type).
 * @module
 */

/**
 * Caps of one record type's store on this node. A source is the sender's address; its IP group is its /24
 * (IPv4) or /48 (IPv6) network, or the full address for loopback and LAN sources. This node's own records
 * never count against these caps.
 */
export interface StoreLimits {
  /** Most records held for others. @default 100_000 */
  readonly maxRecords?: number;
  /** Most locations (keys) held. @default 10_000 */
  readonly maxLocations?: number;
  /** Most records one source may make this node hold. @default 1 % of `maxRecords` (at least 16) */
  readonly maxRecordsPerSource?: number;
  /** Most records one IP group may make this node hold. @default 5 % of `maxRecords` (at least 64) */
  readonly maxRecordsPerGroup?: number;
  /** Most bytes one source may make this node hold. @default 1_048_576 (1 MiB) */
  readonly maxBytesPerSource?: number;
  /** Most bytes one IP group may make this node hold. @default 4_194_304 (4 MiB) */
  readonly maxBytesPerGroup?: number;
}
