// `tsx bench/huge.ts [--sizes=100mp,400mp,1gp] [--coffee] [--keep] [--strips-only] [--tree=DIR]`: the
// huge-image benchmark. Makes gradient-with-seeded-noise PNGs strip by strip (bounded memory), runs the
// CLI on each in a child under /usr/bin/time -v (time and peak RSS; the load average before each run),
// and deletes what it made unless --keep. --tree runs the CLI of another source tree (a copy under
// /tmp with one change, say) on the same inputs; --strips-only leaves out the in-memory runs.
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PngStream, type ByteSink } from '../src/io/png-writer.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const TREE = path.resolve(process.argv.find((a) => a.startsWith('--tree='))?.slice(7) ?? ROOT);
const STRIPS_ONLY = process.argv.includes('--strips-only');
// The CLI from the sources (through tsx), so the bench measures the tree as it is, not a stale dist/.
const ENTRY = `import { main } from ${JSON.stringify(path.join(TREE, 'src', 'cli', 'main.ts'))}; process.exitCode = await main(process.argv.slice(1));`;
const SIZES: Record<string, number> = { '100mp': 10000, '400mp': 20000, '1gp': 32768, '2gp': 46000 };

/** A file sink with no atomicity: the bench's inputs are scratch. */
async function fileSink(file: string): Promise<{ sink: ByteSink; close: () => Promise<void> }> {
  const handle = await fs.open(file, 'w');
  return { sink: { write: async (b) => { await handle.write(b); } }, close: () => handle.close() };
}

/**
 * An RGB PNG of side x side: red follows x, green y, blue x + y, each plus seeded noise of +-6, so
 * the colours are many (millions) but smooth, as in an aerial mosaic. zlib level 1: the input's size
 * matters less than the time to make it.
 */
export async function makeGradient(file: string, side: number, seed = 1): Promise<void> {
  const { sink, close } = await fileSink(file);
  const stream = new PngStream({ width: side, height: side, depth: 8, colorType: 2 }, sink, file, 1);
  const stride = side * 3 + 1;
  let s = seed >>> 0 || 1;
  const rowsPerStrip = Math.max(1, Math.floor((8 << 20) / stride));
  for (let y0 = 0; y0 < side; y0 += rowsPerStrip) {
    const rows = Math.min(rowsPerStrip, side - y0);
    const raw = new Uint8Array(stride * rows);
    for (let r = 0, o = 0; r < rows; r++) {
      const y = y0 + r;
      raw[o++] = 0;
      for (let x = 0; x < side; x++) {
        s ^= s << 13; s ^= s >>> 17; s ^= s << 5; // xorshift32
        const n = ((s >>> 0) % 13) - 6;
        raw[o++] = clamp((x * 255) / side + n);
        raw[o++] = clamp((y * 255) / side - n);
        raw[o++] = clamp(((x + y) * 127) / side + ((n * 7) % 6));
      }
    }
    await stream.push(raw);
  }
  await stream.end();
  await close();
}

const clamp = (v: number): number => (v < 0 ? 0 : v > 255 ? 255 : v | 0);

interface Timed { seconds: number; rssMB: number; code: number; stderr: string; load: number }

/** Run the CLI under /usr/bin/time -v: wall time and peak RSS of the child. */
function timed(args: string[]): Promise<Timed> {
  const load = os.loadavg()[0]!;
  return new Promise((resolve) => {
    execFile('/usr/bin/time', ['-v', process.execPath, '--import', 'tsx', '--input-type=module', '-e', ENTRY, ...args], { maxBuffer: 64 << 20 }, (error, _stdout, stderr) => {
      const wall = /Elapsed \(wall clock\) time.*: (?:(\d+):)?(\d+):([\d.]+)/.exec(stderr);
      const rss = /Maximum resident set size \(kbytes\): (\d+)/.exec(stderr);
      const seconds = wall ? Number(wall[1] ?? 0) * 3600 + Number(wall[2]) * 60 + Number(wall[3]) : NaN;
      resolve({ seconds, rssMB: rss ? Number(rss[1]) / 1024 : NaN, code: error ? Number(error.code ?? 1) : 0, stderr, load });
    });
  });
}

function row(name: string, what: string, t: Timed): void {
  const status = t.code === 0 ? 'ok' : `exit ${t.code}: ${t.stderr.split('\n').find((l) => l.includes('error')) ?? ''}`;
  console.log(`| ${name} | ${what} | ${t.seconds.toFixed(1)} s | ${t.rssMB.toFixed(0)} MB | ${t.load.toFixed(1)} | ${status} |`);
}

async function runSize(dir: string, name: string, side: number, keep: boolean): Promise<void> {
  const input = path.join(dir, `${name}.png`);
  const t0 = performance.now();
  await makeGradient(input, side);
  const made = (performance.now() - t0) / 1000;
  console.log(`| ${name} | make ${side} x ${side} input (${((await fs.stat(input)).size / 2 ** 20).toFixed(0)} MiB) | ${made.toFixed(1)} s | | | |`);
  const args = [input, '-k', '16', '--limit-input-pixels', '0', '--force', '--quiet'];
  row(name, '-o and --labels (strips)', await timed([...args, '--strips', 'true', '-o', path.join(dir, `${name}-k16.png`), '--labels', path.join(dir, `${name}-labels.png`)]));
  // In memory too where one buffer holds the RGBA (below 2^32 bytes), for the ratio.
  if (side * side * 4 < 2 ** 32 && !STRIPS_ONLY) row(name, '-o and --labels (in memory)', await timed([...args, '--strips', 'false', '-o', path.join(dir, `${name}-k16.png`), '--labels', path.join(dir, `${name}-labels.png`)]));
  if (!keep) await fs.rm(path.join(dir, `${name}-k16.png`), { force: true });
  if (!keep) await fs.rm(path.join(dir, `${name}-labels.png`), { force: true });
  if (!keep) await fs.rm(input, { force: true });
}

async function coffee(dir: string, keep: boolean): Promise<void> {
  const { default: sharp } = await import('sharp');
  const input = path.join(dir, 'coffee-20000.png');
  await sharp(path.resolve(ROOT, '../shared/images/coffee.png'), { limitInputPixels: false })
    .resize(20000, 20000, { fit: 'fill', kernel: 'lanczos3' }).png({ compressionLevel: 1 }).toFile(input);
  const base = [input, '-k', '16', '--limit-input-pixels', '0', '--force', '--quiet'];
  const out = (f: string): string => path.join(dir, f);
  for (const [what, extra] of [
    ['in memory: -o and --labels', ['--strips', 'false', '-o', out('c-mem.png'), '--labels', out('c-mem-l.png')]],
    ['strips: -o and --labels', ['--strips', 'true', '-o', out('c.png'), '--labels', out('c-l.png')]],
    ['strips: -o, --labels, --masks', ['--strips', 'true', '-o', out('c.png'), '--labels', out('c-l.png'), '--masks', out('c-masks')]],
    ['strips: -o, --labels, --overlay', ['--strips', 'true', '-o', out('c.png'), '--labels', out('c-l.png'), '--overlay', out('c-ov.png')]],
  ] as const) row('coffee 20000^2', what, await timed([...base, ...extra]));
  if (!keep) for (const f of ['c-mem.png', 'c-mem-l.png', 'c.png', 'c-l.png', 'c-ov.png', 'coffee-20000.png']) await fs.rm(out(f), { force: true });
  if (!keep) await fs.rm(out('c-masks'), { recursive: true, force: true });
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const sizes = (argv.find((a) => a.startsWith('--sizes='))?.slice(8) ?? '100mp').split(',');
  const keep = argv.includes('--keep');
  const given = argv.find((a) => a.startsWith('--dir='))?.slice(6);
  const dir = given ?? (await fs.mkdtemp(path.join(os.tmpdir(), 'kmeans-seg-huge-')));
  console.log(`huge images, ${os.cpus().length} cores, load ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}, in ${dir}, CLI of ${TREE}`);
  console.log('| image | run | time | peak RSS | load before | |\n|---|---|---|---|---|---|');
  for (const name of sizes) {
    if (SIZES[name] === undefined) throw new Error(`unknown size ${name}: expected ${Object.keys(SIZES).join(', ')}`);
    await runSize(dir, name, SIZES[name]!, keep);
  }
  if (argv.includes('--coffee')) await coffee(dir, keep);
  if (!keep && given === undefined) await fs.rm(dir, { recursive: true, force: true });
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
