// Running independent asynchronous jobs a few at a time: enough to overlap their waits (a process starting, a
// broker answering), few enough that a small machine is not swamped by them all at once.

/** `fn` over every item, at most `limit` at a time; the results in the items' order. The first rejection rejects
 *  the whole, after the jobs already started have settled (none is left running behind the caller's back). */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  let failed: { err: unknown } | null = null;
  const worker = async () => {
    while (next < items.length && !failed) {
      const i = next++;
      try {
        out[i] = await fn(items[i], i);
      } catch (err) {
        failed ??= { err };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length) || 1) }, worker)); // a limit that is no number: one at a time
  if (failed) throw (failed as { err: unknown }).err;
  return out;
}
