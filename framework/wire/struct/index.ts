/**
 * The struct encoding: py-ipv8's `Serializer` formats as a schema language, and its packet envelope.
 * @module
 */
export { ByteReader, ByteWriter } from './byte-io.js';
export { decodeStruct, defineStruct, encodeStruct, s, writeStruct } from './struct-schema.js';
export type { InferStruct, InferStructFields, StructFieldTypes, StructListOptions, StructSchema, VarBytesOptions } from './struct-schema.js';
export { ADDRESS_TYPE_DOMAIN_NAME, ADDRESS_TYPE_IPV4, ADDRESS_TYPE_IPV6 } from './struct-types.js';
export type { Bits, StructType } from './struct-types.js';
export { decodeIpv8Packet, defineIpv8Message, encodeIpv8Packet } from './ipv8-packet.js';
export type { Ipv8MessageSpec, Ipv8Packet } from './ipv8-packet.js';
