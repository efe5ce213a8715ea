// Development shim for the pool worker: Node 20 cannot start a .ts Worker, so under tsx/vitest the pool
// starts this file, which registers tsx and loads pool-worker.ts. Built code (dist/) starts the .js directly.
import { register } from 'tsx/esm/api';

register();
await import('./pool-worker.ts');
