/**
 * Maps an async stream with up to `concurrency` calls in flight, yielding results in input order.
 * Memory stays bounded: at most `concurrency` items are held. `fn` must not reject.
 */
export async function* mapOrdered<T, R>(source: AsyncIterable<T>, fn: (item: T) => Promise<R>, concurrency: number): AsyncGenerator<R> {
  const inFlight: Promise<R>[] = [];
  for await (const item of source) {
    inFlight.push(fn(item));
    if (inFlight.length >= concurrency) yield await inFlight.shift()!;
  }
  while (inFlight.length > 0) yield await inFlight.shift()!;
}

/**
 * Groups a stream into arrays of up to `size` items; with `maxWeight`, a group also closes once its items weigh
 * that much together (an item heavier than `maxWeight` forms a group of its own).
 */
export async function* chunk<T>(source: AsyncIterable<T>, size: number, maxWeight = Infinity, weight: (item: T) => number = () => 0): AsyncGenerator<T[]> {
  let batch: T[] = [];
  let total = 0;
  for await (const item of source) {
    const w = weight(item);
    if (batch.length > 0 && total + w > maxWeight) {
      yield batch;
      batch = [];
      total = 0;
    }
    batch.push(item);
    total += w;
    if (batch.length >= size) {
      yield batch;
      batch = [];
      total = 0;
    }
  }
  if (batch.length > 0) yield batch;
}

/** Keeps the items of a stream that pass a test. */
export async function* filter<T>(source: AsyncIterable<T>, keep: (item: T) => boolean): AsyncGenerator<T> {
  for await (const item of source) if (keep(item)) yield item;
}

/** The items of a stream of arrays, one by one. */
export async function* flatten<T>(source: AsyncIterable<T[]>): AsyncGenerator<T> {
  for await (const items of source) yield* items;
}
