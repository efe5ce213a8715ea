// Quality figures on the 12 MP photo's colours (file helper): qualityOfColours of this tree and of
// another one (e.g. a /tmp copy, for an A/B), alternated in one process on the colours a CLI run keeps
// (wantColours), with medians and a check that both give the same figures.
// Usage: npx tsx bench/file-quality.ts [rounds=9] [other tree's src/]
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import '../src/node/platform.js';
import { decodeImage } from '../src/io/decode.js';
import { kmeans } from '../src/core/kmeans.js';
import { terminateWorkers } from '../src/index.js';
import { takeColours, wantColours } from '../src/core/colour-labels.js';
import { qualityOfColours } from '../src/core/quality.js';

const rounds = Number(process.argv[2] ?? 9);
const other = process.argv[3];
type Q = typeof qualityOfColours;
const impls: [string, Q][] = [['this', qualityOfColours]];
if (other !== undefined) {
  const mod = (await import(pathToFileURL(path.resolve(other, 'core/quality.ts')).href)) as { qualityOfColours: Q };
  impls.unshift(['other', mod.qualityOfColours]);
}
const image = await decodeImage('/work/bench-images/photo-12mp.png');
wantColours(image);
const result = await kmeans(image, { k: 16 });
const colours = takeColours(result.labels)!;
console.log(`${colours.n} colours`);
const med = (v: number[]): number => { const s = [...v].sort((a, b) => a - b); return s[s.length >> 1]!; };
const times = impls.map((): number[] => []);
let json = '';
for (let r = 0; r < rounds; r++) {
  for (const j of r % 2 === 0 ? impls.keys() : [...impls.keys()].reverse()) {
    const q = impls[j]![1];
    const t0 = performance.now();
    const figures = q(result, colours);
    times[j]!.push(performance.now() - t0);
    const text = JSON.stringify(figures);
    if (json !== '' && text !== json) throw new Error(`the figures differ: ${text} vs ${json}`);
    json = text;
  }
}
console.log(json);
for (const [j, [name]] of impls.entries()) console.log(`${name}: median ${med(times[j]!).toFixed(1)} ms (${times[j]!.map((x) => x.toFixed(0)).join(' ')})`);
if (impls.length === 2) console.log(`this/other per round: median ${med(times[1]!.map((t, i) => t / times[0]![i]!)).toFixed(3)}`);
await terminateWorkers();
