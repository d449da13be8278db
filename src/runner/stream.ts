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

/** Groups a stream into arrays of up to `size` items. */
export async function* chunk<T>(source: AsyncIterable<T>, size: number): AsyncGenerator<T[]> {
  let batch: T[] = [];
  for await (const item of source) {
    batch.push(item);
    if (batch.length >= size) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}

/** Keeps the items of a stream that pass a test. */
export async function* filter<T>(source: AsyncIterable<T>, keep: (item: T) => boolean): AsyncGenerator<T> {
  for await (const item of source) if (keep(item)) yield item;
}
