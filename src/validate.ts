/**
 * The valid name a mistyped one most likely meant ("maxIter" -> "maxIterations", "--max-iters" ->
 * "max-iter"), or undefined when nothing is close: part of a name, or within a small edit distance.
 * Case is ignored.
 */
export function nearestName(typed: string, candidates: Iterable<string>): string | undefined {
  const t = typed.toLowerCase();
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const name = c.toLowerCase();
    // A short form ("histo", "tol", "iter", "maxIters") is as good as a near spelling: part of the
    // name, or sharing most of its first letters, given three letters at least.
    const d = t.length >= 3 && name.startsWith(t) ? 0
      : t.length >= 3 && name.includes(t) ? 0.5
      : commonPrefix(t, name) >= Math.max(3, Math.ceil(0.75 * t.length)) ? 1
      : editDistance(t, name);
    if (d < bestDistance) { bestDistance = d; best = c; }
  }
  return bestDistance <= Math.max(2, Math.floor(t.length / 3)) ? best : undefined;
}

function commonPrefix(a: string, b: string): number {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return row[b.length]!;
}
