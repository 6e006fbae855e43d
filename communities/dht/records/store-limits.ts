/**
 * The caps of a record store (one shape for every record type), their defaults, and how a record is offered.
 * @module
 */
import type { Address } from '../../../framework/index.js';
import type { RecordDatastore, RecordOrigin } from './datastore.js';

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

/** Default cap on records held over all locations (this node's own records not counted). */
export const DEFAULT_MAX_RECORDS = 100_000;
/** Default cap on locations held. */
export const DEFAULT_MAX_LOCATIONS = 10_000;
/** Default share of `maxRecords` one source address may fill: 1 %. */
export const DEFAULT_SOURCE_SHARE = 0.01;
/** Default share of `maxRecords` one IP group (/24, /48) may fill: 5 %. */
export const DEFAULT_GROUP_SHARE = 0.05;
/** Default cap on bytes one source address may make the node hold: 1 MiB. */
export const DEFAULT_MAX_BYTES_PER_SOURCE = 1_048_576;
/** Default cap on bytes one IP group may make the node hold: 4 MiB. */
export const DEFAULT_MAX_BYTES_PER_GROUP = 4_194_304;

/** Limits and collaborators of a {@link RecordStore}. */
export interface RecordStoreOptions extends StoreLimits {
  /** Where accepted records are written before they are acknowledged. @default none (memory only) */
  readonly datastore?: RecordDatastore | undefined;
  /** Told when the datastore failed to delete a record (the store carries on). */
  readonly onPersistError?: ((error: unknown) => void) | undefined;
}

/** How a record is offered to {@link RecordStore.put}. */
export interface PutContext {
  /** Why this node would hold it. */
  readonly origin: RecordOrigin;
  /** Who sent it; its address and IP group are charged. Omit for this node's own records (uncharged). */
  readonly from?: Address | undefined;
  /** Compare-and-swap: store only if the held version (if any) equals this one. */
  readonly cas?: number | undefined;
}

