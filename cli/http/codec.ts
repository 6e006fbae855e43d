/**
 * How keys and values travel through the HTTP API.
 *
 * **Keys** are path segments (percent-encoded as usual): a plain segment is a UTF-8 string key, hashed to
 * 20 bytes exactly as `DHTCommunity` hashes string keys (SHA-1 of the UTF-8 bytes). `hex:<hex>` and
 * `b64:<base64url>` give raw key bytes (20 bytes are used as the DHT key as they are, other lengths are
 * hashed with SHA-1); `utf8:<text>` forces a string key that itself starts with `hex:`/`b64:`/`utf8:`.
 *
 * **Values** are JSON objects `{ "value": "...", "encoding": "utf8" | "hex" | "base64url" }` (the encoding
 * defaults to `utf8` in requests). Responses carry the same pair: by default `utf8` when the bytes are
 * valid UTF-8, `base64url` otherwise; `?encoding=` asks for one.
 * @module
 */
import { fromHex, toHex, utf8 } from '../../framework/index.js';
import { hashKey } from '../../communities/dht/index.js';
import { HttpError } from './errors.js';

/** Encodings of value bytes in JSON. */
export const VALUE_ENCODINGS = ['utf8', 'hex', 'base64url'] as const;

/** One of {@link VALUE_ENCODINGS}. */
export type ValueEncoding = (typeof VALUE_ENCODINGS)[number];

/** Longest key path segment accepted, in characters. */
export const MAX_KEY_CHARS = 1_024;

/** An application key as given in a path: the text or bytes, and the 20-byte DHT key it maps to. */
export interface ParsedKey {
  /** What the caller gave: the string for string keys, the bytes for `hex:`/`b64:` keys. */
  readonly raw: string | Uint8Array;
  /** The 20-byte DHT key. */
  readonly dhtKey: Uint8Array;
}

const HEX = /^(?:[0-9a-fA-F]{2})*$/;
const BASE64URL = /^[A-Za-z0-9_-]*={0,2}$/;
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Parses a key path segment (already percent-decoded).
 * @param segment the segment.
 * @param name the key's name in error messages. @default 'key'
 * @param code the error code. @default 'bad-key'
 * @returns the key.
 * @throws {@link HttpError} 400 `code` when the key is empty, too long or not valid hex/base64url.
 */
export function parseKey(segment: string, name = 'key', code = 'bad-key'): ParsedKey {
  if (segment.length === 0) throw new HttpError(400, code, `${name} is empty`);
  if (segment.length > MAX_KEY_CHARS) throw new HttpError(400, code, `${name} is longer than ${MAX_KEY_CHARS} characters`);
  if (segment.startsWith('hex:') || segment.startsWith('b64:')) {
    const encoding = segment.startsWith('hex:') ? 'hex' : 'base64url';
    const bytes = decodeBytes(segment.slice(4), encoding, name, code);
    if (bytes.length === 0) throw new HttpError(400, code, `${name} is empty`);
    return { raw: bytes, dhtKey: hashKey(bytes) };
  }
  const text = segment.startsWith('utf8:') ? segment.slice(5) : segment;
  if (text.length === 0) throw new HttpError(400, code, `${name} is empty`);
  return { raw: text, dhtKey: hashKey(text) };
}

/**
 * Decodes text in an encoding, strictly.
 * @throws {@link HttpError} 400 with `code` when the text is not valid in that encoding.
 */
export function decodeBytes(text: string, encoding: ValueEncoding, name: string, code = 'bad-value'): Uint8Array {
  if (encoding === 'utf8') return utf8(text);
  if (encoding === 'hex') {
    if (!HEX.test(text)) throw new HttpError(400, code, `${name} is not an even number of hex digits`);
    return fromHex(text.toLowerCase());
  }
  if (!BASE64URL.test(text) || text.replace(/=+$/, '').length % 4 === 1) {
    throw new HttpError(400, code, `${name} is not base64url (A-Z a-z 0-9 - _)`);
  }
  return new Uint8Array(Buffer.from(text, 'base64url'));
}

/**
 * Reads `{ value, encoding }` from a request body.
 * @param body the parsed JSON body.
 * @param field the field holding the value. @default 'value'
 * @returns the value bytes.
 * @throws {@link HttpError} 400 when the field is missing, not a string, or not valid in its encoding.
 */
export function valueFromBody(body: Record<string, unknown>, field = 'value'): Uint8Array {
  const value = body[field];
  if (typeof value !== 'string') throw new HttpError(400, 'bad-value', `"${field}" must be a string`);
  return decodeBytes(value, parseEncoding(body.encoding ?? 'utf8', '"encoding"'), `"${field}"`);
}

/**
 * Checks an encoding name.
 * @throws {@link HttpError} 400 `bad-encoding` for anything but {@link VALUE_ENCODINGS}.
 */
export function parseEncoding(value: unknown, name: string): ValueEncoding {
  if (typeof value === 'string' && (VALUE_ENCODINGS as readonly string[]).includes(value)) return value as ValueEncoding;
  throw new HttpError(400, 'bad-encoding', `${name} must be one of ${VALUE_ENCODINGS.join(', ')}`);
}

/** Value bytes as JSON: the text and how it encodes the bytes. */
export interface EncodedValue {
  /** The bytes, encoded. */
  readonly value: string;
  /** How `value` encodes them. */
  readonly encoding: ValueEncoding;
}

/**
 * Encodes value bytes for a response.
 * @param bytes the value.
 * @param encoding the encoding asked for; `undefined` picks `utf8` for valid UTF-8, else `base64url`.
 * @returns `{ value, encoding }`.
 */
export function encodeValue(bytes: Uint8Array, encoding?: ValueEncoding): EncodedValue {
  const chosen = encoding ?? (isUtf8(bytes) ? 'utf8' : 'base64url');
  if (chosen === 'hex') return { value: toHex(bytes), encoding: chosen };
  if (chosen === 'base64url') return { value: Buffer.from(bytes).toString('base64url'), encoding: chosen };
  return { value: Buffer.from(bytes).toString('utf8'), encoding: chosen };
}

/** True if `bytes` are valid UTF-8 without control characters other than tab and newlines. */
function isUtf8(bytes: Uint8Array): boolean {
  try {
    // eslint-disable-next-line no-control-regex
    return !/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(strictUtf8.decode(bytes));
  } catch {
    return false;
  }
}
