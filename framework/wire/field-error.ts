/**
 * The internal error the field types throw while validating, carrying the path of the offending field.
 * The codec turns it into an {@link InvalidMessageError} (encoding) or a rejection reason (decoding).
 * @module
 */

/** One step of a field path: a struct field name or a list index. */
export type PathSegment = string | number;

/**
 * A value does not fit its field type. `path` is filled innermost first as the error unwinds
 * through structs and lists, so no path is built unless something is wrong.
 */
export class FieldError extends Error {
  /** Path segments, innermost first. */
  readonly path: PathSegment[] = [];

  /** @param message what was expected and what was found, without the path. */
  constructor(message: string) {
    super(message);
    this.name = 'FieldError';
  }
}

/**
 * Adds `segment` to the path of a {@link FieldError} and returns the error, for rethrowing.
 * Other errors are returned unchanged.
 */
export function withSegment(error: unknown, segment: PathSegment): unknown {
  if (error instanceof FieldError) error.path.push(segment);
  return error;
}

/** Formats an innermost-first path as `items[3].key`; the empty path is `body`. */
export function formatPath(path: readonly PathSegment[]): string {
  if (path.length === 0) return 'body';
  let s = '';
  for (let i = path.length - 1; i >= 0; i--) {
    const seg = path[i]!;
    s += typeof seg === 'number' ? `[${seg}]` : s === '' ? seg : `.${seg}`;
  }
  return s;
}

/** `path: message` for a {@link FieldError}. */
export function describeFieldError(error: FieldError): string {
  return `${formatPath(error.path)}: ${error.message}`;
}

/** A short description of a value for error messages, never echoing its content beyond a number. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'number':
      return Number.isFinite(value) ? String(value) : `number ${String(value)}`;
    case 'bigint':
      return `${value}n`;
    case 'string':
      return `string of ${value.length} chars`;
    case 'object':
      if (Array.isArray(value)) return `array of ${value.length}`;
      if (value instanceof Uint8Array) return `${value.length} bytes`;
      return 'object';
    default:
      return typeof value;
  }
}
