/**
 * A private redis-server for the queue tests: on a free loopback port, no persistence, in a folder of
 * its own. A watchdog shell stops it when the process that started it is gone, so that a test run
 * killed with SIGKILL never leaves a server behind.
 */
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export const HAVE_REDIS_SERVER = spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;

/** redis-server in the foreground, and a loop that kills it once the owner (or the server) is gone. */
const WATCHDOG = 'redis-server --port "$2" --bind 127.0.0.1 --save "" --appendonly no --dir "$3" --logfile "$3/redis.log" & r=$!; ' +
  'while kill -0 "$1" 2>/dev/null && kill -0 "$r" 2>/dev/null; do sleep 1; done; kill "$r" 2>/dev/null; exit 0';

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Whether a Redis answers PING on the port. */
function pings(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, host);
    socket.setTimeout(500);
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (d) => { socket.destroy(); resolve(d.toString().startsWith('+PONG')); });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => { socket.destroy(); resolve(false); });
  });
}

export class RedisServer {
  private watchdog: ChildProcess | undefined;
  private constructor(readonly port: number, private readonly dir: string) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Start one on `port` (a free one by default); resolves once it answers. */
  static async start(port?: number): Promise<RedisServer> {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'kmeans-seg-redis-'));
    const server = new RedisServer(port ?? (await freePort()), dir);
    await server.up();
    return server;
  }

  private async up(): Promise<void> {
    this.watchdog = spawn('sh', ['-c', WATCHDOG, 'sh', String(process.pid), String(this.port), this.dir], { stdio: 'ignore' });
    const deadline = Date.now() + 10_000;
    while (!(await pings(this.port))) {
      if (Date.now() > deadline || this.watchdog.exitCode !== null) throw new Error(`redis-server did not start on port ${this.port} (see ${this.dir}/redis.log)`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Stop it without saving (its data is lost, as after a crash with no persistence). */
  async down(): Promise<void> {
    const dog = this.watchdog;
    if (!dog || dog.exitCode !== null) return;
    const exited = new Promise((r) => dog.once('exit', r));
    await new Promise((r) => execFile('redis-cli', ['-p', String(this.port), 'shutdown', 'nosave'], r));
    await exited;
  }

  /** Stopped (data lost), then started again on the same port. */
  async restart(): Promise<void> {
    await this.down();
    await this.up();
  }

  async stop(): Promise<void> {
    await this.down();
    await rm(this.dir, { recursive: true, force: true });
  }
}
