/**
 * The messages of the DHT's bulk operations and their registration, kept out of `dht-community.ts`: the
 * multi-key store (ids 8 and 9, `ValueMessages.StoreMany`: a storer's values of several keys in one
 * datagram) and the multi-key find (ids 10 and 11, {@link ValueFindMany}: one node asked about several
 * keys in one datagram). Both are optional for a peer: one that does not know the multi-key find is asked
 * one key at a time (`records/find-many.ts`).
 * @module
 */
import type { Handler, Incoming, MessageSpec, RequestBody, RequestType } from '../../framework/index.js';
import { StoreManyRequest, ValueMessages } from './messages.js';
import { defineFindManyMessages } from './records/find-many-messages.js';
import type { RecordEngine } from './records/record-engine.js';
import type { ValueRecord } from './storage/value-record.js';
import type { ValueWireValue } from './value-policy.js';
import { ValueWire } from './value-policy.js';

/** The value type's multi-key find: ids 10 (request) and 11 (response) of the DHT community. */
export const ValueFindMany = defineFindManyMessages(ValueWire, { prefix: 'dht', ids: [10, 11] });

/** What registering the bulk messages needs of the DHT. */
export interface BulkMessagesHost {
  /** The value type's engine (it answers). */
  readonly values: RecordEngine<ValueRecord, ValueWireValue>;
  /** Registers a request handler. */
  handle<T>(spec: MessageSpec<T>, handler: Handler<T>): void;
  /** Registers a response type. */
  handleResponses<Req extends RequestBody, Res extends RequestBody>(type: RequestType<Req, Res>, onSettled?: (m: Incoming<Res>) => void): void;
}

/**
 * Registers the bulk requests' handlers and responses.
 * @param learned learns a request's verified sender (returns true: handlers chain on it).
 * @param learn learns the sender of an answer to our own request.
 */
export function registerBulkMessages(dht: BulkMessagesHost, learned: (m: Incoming<unknown>) => boolean, learn: (m: Incoming<RequestBody>) => void): void {
  dht.handle(StoreManyRequest, (m) => {
    if (learned(m)) dht.values.answerStoreMany(m);
  });
  dht.handle(ValueFindMany.FindManyRequest, (m) => {
    if (learned(m)) dht.values.answerFindMany(ValueFindMany, m);
  });
  dht.handleResponses(ValueMessages.StoreMany!, learn);
  dht.handleResponses(ValueFindMany.FindMany, learn);
}
