/**
 * Process-wide sharing of immutable values by content, held weakly: many simulated nodes in one process
 * (or many tables in one node) that know the same peer then share one copy of its key, instead of one copy
 * each. The table holds only weak references, so it never keeps a value alive: an entry lives as long as
 * somebody else holds the value, and is dropped after the value is collected.
 * @module
 */

/**
 * A table of values by string key, held weakly. Values must be immutable (or treated as such by every
 * holder), since all holders of a key share one instance.
 * @example
 * ```ts
 * const keys = new WeakInterner<PublicKey>();
 * const key = keys.intern(hex, () => parse(bytes)); // the same instance for the same hex while anyone holds it
 * ```
 */
export class WeakInterner<T extends object> {
  private readonly table = new Map<string, WeakRef<T>>();
  private readonly registry = new FinalizationRegistry<string>((key) => {
    // Drop the entry unless it was replaced by a live value after the old one died.
    const ref = this.table.get(key);
    if (ref !== undefined && ref.deref() === undefined) this.table.delete(key);
  });

  /** Entries in the table (some may be dead and about to be dropped). */
  get size(): number {
    return this.table.size;
  }

  /** The live value under `key`, if any. */
  get(key: string): T | undefined {
    return this.table.get(key)?.deref();
  }

  /**
   * The live value under `key`; when there is none, `make()` is called and its result shared.
   * @param key the content key: equal keys must mean interchangeable values.
   * @param make builds the value on a miss; when it throws nothing is stored.
   */
  intern(key: string, make: () => T): T {
    const live = this.table.get(key)?.deref();
    if (live !== undefined) return live;
    const value = make();
    this.table.set(key, new WeakRef(value));
    this.registry.register(value, key);
    return value;
  }
}
