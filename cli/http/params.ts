/**
 * Checks of query parameters and body fields, each failing with a 400 naming the field.
 * @module
 */
import { computeMid, fromHex } from '../../framework/index.js';
import { HttpError } from './errors.js';
import type { ValueEncoding } from './codec.js';
import { parseEncoding } from './codec.js';

/**
 * An integer query parameter.
 * @param query the query string.
 * @param name the parameter.
 * @param fallback its default.
 * @param min smallest accepted. @param max largest accepted.
 * @throws {@link HttpError} 400 `bad-parameter` when present but not an integer in range.
 */
export function intParam(query: URLSearchParams, name: string, fallback: number, min: number, max: number): number {
  const text = query.get(name);
  if (text === null) return fallback;
  const value = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new HttpError(400, 'bad-parameter', `?${name} must be an integer in ${min}..${max}, got ${JSON.stringify(text)}`);
  }
  return value;
}

/**
 * A boolean query parameter: absent is false; `1`, `true` or empty (`?local`) are true; `0`, `false` false.
 * @throws {@link HttpError} 400 `bad-parameter` otherwise.
 */
export function boolParam(query: URLSearchParams, name: string): boolean {
  const text = query.get(name);
  if (text === null || text === '0' || text === 'false') return false;
  if (text === '' || text === '1' || text === 'true') return true;
  throw new HttpError(400, 'bad-parameter', `?${name} must be true or false, got ${JSON.stringify(text)}`);
}

/**
 * The `?encoding=` of values in a response: `undefined` (automatic) when absent.
 * @throws {@link HttpError} 400 `bad-encoding` for an unknown encoding.
 */
export function encodingParam(query: URLSearchParams): ValueEncoding | undefined {
  const text = query.get('encoding');
  return text === null ? undefined : parseEncoding(text, '?encoding');
}

/**
 * An optional boolean body field.
 * @throws {@link HttpError} 400 `bad-field` when present but not a boolean.
 */
export function boolField(body: Record<string, unknown>, name: string): boolean | undefined {
  const v = body[name];
  if (v === undefined || typeof v === 'boolean') return v;
  throw new HttpError(400, 'bad-field', `"${name}" must be true or false`);
}

/**
 * An optional non-negative integer body field.
 * @param min smallest accepted. @param max largest accepted.
 * @throws {@link HttpError} 400 `bad-field` when present but not an integer in range.
 */
export function intField(body: Record<string, unknown>, name: string, min: number, max: number): number | undefined {
  const v = body[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > max) {
    throw new HttpError(400, 'bad-field', `"${name}" must be an integer in ${min}..${max}`);
  }
  return v;
}

/**
 * A fixed-length hex id (a mid, a public key).
 * @param text the hex text.
 * @param bytes the expected length in bytes.
 * @param name its name in the error.
 * @throws {@link HttpError} 400 `bad-<name>` when not exactly that many hex bytes.
 */
export function hexId(text: string, bytes: number, name: string): Uint8Array {
  if (!new RegExp(`^[0-9a-fA-F]{${bytes * 2}}$`).test(text)) {
    throw new HttpError(400, `bad-${name}`, `${name} must be ${bytes * 2} hex characters, got ${JSON.stringify(text.slice(0, 80))}`);
  }
  return fromHex(text.toLowerCase());
}

/**
 * The `publisher` query parameter: a 20-byte mid (40 hex digits) or a 74-byte public key binary (148 hex
 * digits), given as hex; the mid of either.
 * @throws {@link HttpError} 400 `bad-publisher` for anything else.
 */
export function publisherParam(query: URLSearchParams): Uint8Array | undefined {
  const text = query.get('publisher');
  if (text === null) return undefined;
  if (/^[0-9a-fA-F]{40}$/.test(text)) return fromHex(text.toLowerCase());
  if (/^[0-9a-fA-F]{148}$/.test(text)) return computeMid(fromHex(text.toLowerCase()));
  throw new HttpError(400, 'bad-publisher', 'publisher must be a mid (40 hex digits) or a public key (148 hex digits)');
}
