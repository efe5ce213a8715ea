const SVG = 'http://www.w3.org/2000/svg';
const W = 420, H = 220;
const PAD = { left: 70, right: 12, top: 12, bottom: 34 };

/** Compact figures for axis labels: 1234567 -> "1.23M". */
export function compact(v: number): string {
  return new Intl.NumberFormat('en', { notation: 'compact', maximumSignificantDigits: 3 }).format(v);
}

function el<K extends keyof SVGElementTagNameMap>(name: K, attrs: Record<string, string | number>, text?: string): SVGElementTagNameMap[K] {
  const node = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, String(value));
  if (text !== undefined) node.textContent = text;
  return node;
}

/**
 * The cost (inertia) after each iteration as an inline SVG line chart. The y axis starts at the lowest
 * cost, not zero: the interesting part is how fast it flattens. The chart is one image to assistive
 * technology, described by its first and last values.
 */
export function costChart(history: readonly number[]): SVGSVGElement {
  const n = history.length;
  const lo = Math.min(...history), hi = Math.max(...history);
  const span = hi - lo || Math.max(1, hi);
  const x = (i: number): number => PAD.left + (n === 1 ? 0.5 : i / (n - 1)) * (W - PAD.left - PAD.right);
  const y = (v: number): number => PAD.top + (1 - (v - lo) / span) * (H - PAD.top - PAD.bottom);

  const svg = el('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img' });
  const summary = n === 0 ? 'No iterations yet.'
    : `Cost (inertia: the sum of squared distances from each pixel to its cluster's centre) fell from ${compact(history[0]!)} to ${compact(history[n - 1]!)} over ${n} iteration${n === 1 ? '' : 's'}.`;
  svg.append(el('title', {}, summary));
  svg.append(el('line', { class: 'axis', x1: PAD.left, y1: H - PAD.bottom, x2: W - PAD.right, y2: H - PAD.bottom }));
  svg.append(el('line', { class: 'axis', x1: PAD.left, y1: PAD.top, x2: PAD.left, y2: H - PAD.bottom }));
  if (n === 0) return svg;

  for (const v of [hi, (hi + lo) / 2, lo]) {
    svg.append(el('text', { x: PAD.left - 6, y: y(v) + 4, 'text-anchor': 'end' }, compact(v)));
  }
  for (const i of new Set([0, Math.floor((n - 1) / 2), n - 1])) {
    svg.append(el('text', { x: x(i), y: H - PAD.bottom + 16, 'text-anchor': 'middle' }, String(i + 1)));
  }
  svg.append(el('text', { x: (PAD.left + W - PAD.right) / 2, y: H - 4, 'text-anchor': 'middle' }, 'iteration'));
  const mid = (PAD.top + H - PAD.bottom) / 2;
  svg.append(el('text', { class: 'axis-title', x: 12, y: mid, 'text-anchor': 'middle', transform: `rotate(-90 12 ${mid})` }, 'cost (inertia)'));
  svg.append(el('polyline', { class: 'line', points: history.map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(' ') }));
  if (n <= 60) {
    history.forEach((v, i) => {
      const dot = el('circle', { class: 'dot', cx: x(i).toFixed(1), cy: y(v).toFixed(1), r: 2.5 });
      dot.append(el('title', {}, `iteration ${i + 1}: ${v.toLocaleString('en')}`));
      svg.append(dot);
    });
  }
  return svg;
}
