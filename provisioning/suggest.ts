// "Did you mean": the closest of the known words to a mistyped one, by edit distance counting a swap of two
// neighbouring letters as one edit (`stauts` is one edit from `status`). Nothing when every word is far off.

/** Optimal string alignment distance: insertions, deletions, substitutions and adjacent swaps, each 1. */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

/** The known word closest to `typed` (ties: the first in `known`), if at most a third of it is wrong (1 edit for short words). */
export function closest(typed: string, known: readonly string[]): string | undefined {
  const t = typed.toLowerCase();
  let best: { word: string; dist: number } | undefined;
  for (const word of known) {
    const dist = editDistance(t, word);
    if (!best || dist < best.dist) best = { word, dist };
  }
  return best && best.dist <= Math.max(1, Math.floor(t.length / 3)) ? best.word : undefined;
}
