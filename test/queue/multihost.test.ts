/**
 * Workers on two "hosts": each in a network namespace of its own (ip netns, a veth pair) and a UTS
 * namespace with its own host name, reaching Redis over a real interface. The report names both hosts.
 * Opt-in and root only: KMEANS_SEG_TEST_NETNS=1 (see docs/distributed.md); CI does not run it, so it
 * writes no marker (see .ci/run).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Cli, noiseImages, queueName } from './helpers.js';
import { HAVE_REDIS_SERVER, freePort } from './redis-server.js';

const ENABLED = process.env.KMEANS_SEG_TEST_NETNS === '1' && process.getuid?.() === 0 && HAVE_REDIS_SERVER;
if (process.env.KMEANS_SEG_TEST_NETNS === '1' && !ENABLED) console.warn('multihost.test.ts: skipping: needs root and redis-server');

const tag = String(process.pid % 10000);
const HOSTS = [
  { ns: `ks-a-${tag}`, host: 'host-a', outer: `ksa${tag}`, inner: `ksai${tag}`, net: '10.231.1' },
  { ns: `ks-b-${tag}`, host: 'host-b', outer: `ksb${tag}`, inner: `ksbi${tag}`, net: '10.231.2' },
];
const ip = (...args: string[]): void => { execFileSync('ip', args, { stdio: 'pipe' }); };

let tmp = '';
let redis: ChildProcess | undefined;
const started: Cli[] = [];
afterAll(async () => {
  await Promise.all(started.map((w) => w.stop('SIGKILL')));
  redis?.kill('SIGKILL');
  for (const h of HOSTS) { try { ip('netns', 'del', h.ns); } catch { /* not made */ } }
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

/** A namespace whose only way out is a veth pair: <net>.1 on this side, <net>.2 inside. */
function makeHost(h: (typeof HOSTS)[number]): void {
  ip('netns', 'add', h.ns);
  ip('link', 'add', h.outer, 'type', 'veth', 'peer', 'name', h.inner);
  ip('link', 'set', h.inner, 'netns', h.ns);
  ip('addr', 'add', `${h.net}.1/30`, 'dev', h.outer);
  ip('link', 'set', h.outer, 'up');
  ip('netns', 'exec', h.ns, 'ip', 'addr', 'add', `${h.net}.2/30`, 'dev', h.inner);
  ip('netns', 'exec', h.ns, 'ip', 'link', 'set', h.inner, 'up');
}

describe.skipIf(!ENABLED)('workers on two hosts (network namespaces)', () => {
  it('each reaches Redis over its veth, both take jobs, and the report names both hosts', async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'kmeans-seg-netns-'));
    await noiseImages(path.join(tmp, 'in'), 20, 'n', 128, 96);
    for (const h of HOSTS) makeHost(h);
    const port = await freePort();
    redis = spawn('redis-server', ['--port', String(port), '--bind', ...HOSTS.map((h) => `${h.net}.1`), '--save', '', '--appendonly', 'no',
      '--protected-mode', 'no', '--dir', tmp], { stdio: 'ignore' });
    await new Promise((r) => setTimeout(r, 500));
    const queue = queueName('netns');
    for (const h of HOSTS) {
      const wrap = ['ip', 'netns', 'exec', h.ns, 'unshare', '--uts', 'sh', '-c', `hostname ${h.host} && exec "$0" "$@"`];
      const worker = new Cli(['worker', '--redis', `redis://${h.net}.1:${port}`, '--queue', queue, '--root', tmp, '--concurrency', '1'], [], process.env, wrap);
      started.push(worker);
      await worker.waitFor(/taking jobs/, 60_000);
      expect(worker.stderr).toContain(`${h.host}/`);
    }
    const reportFile = path.join(tmp, 'report.json');
    const producer = new Cli(['batch', path.join(tmp, 'in', '*.png'), '-k', '8', '-o', path.join(tmp, 'out'),
      '--redis', `redis://${HOSTS[0]!.net}.1:${port}`, '--queue', queue, '--report', reportFile]);
    started.push(producer);
    expect(await producer.exited, producer.stderr).toBe(0);
    const report = JSON.parse(await readFile(reportFile, 'utf8')) as { done: number; workers: number; files: { host?: string }[] };
    expect(report.done).toBe(20);
    expect(new Set(report.files.map((f) => f.host))).toEqual(new Set(HOSTS.map((h) => h.host)));
    expect(report.workers).toBe(2);
  }, 120_000);
});
