/**
 * Packing items into datagram-sized batches.
 * @module
 */

/**
 * Splits `items` into consecutive batches that each fit one request: at most `budget` bytes (by `sizeOf`)
 * and at most `maxCount` items. An item larger than `budget` alone gets a batch of its own (its send then
 * fails for that batch only).
 */
export function packBySize<T>(items: readonly T[], sizeOf: (item: T) => number, budget: number, maxCount: number): T[][] {
  const batches: T[][] = [];
  let current: T[] = [];
  let used = 0;
  for (const item of items) {
    const size = sizeOf(item);
    if (current.length > 0 && (used + size > budget || current.length >= maxCount)) {
      batches.push(current);
      current = [];
      used = 0;
    }
    current.push(item);
    used += size;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}
