/**
 * Temporary files that must not outlive the process: removed on SIGINT, SIGTERM, SIGHUP and
 * process.exit(). Invariant: the signal then ends the process as it would have without us.
 */
import { rmSync } from 'node:fs';

/**
 * Temporary files that exist now. A signal whose default action ends the process would skip every
 * `finally` and leave them behind, so while any exists we listen for SIGINT, SIGTERM and SIGHUP (and
 * 'exit', for process.exit()), remove them synchronously, and, when no one else listens for the
 * signal, raise it again so the process ends exactly as it would have (npm's write-file-atomic does
 * the same through signal-exit). When the application has its own listener we only clean up on
 * 'exit': the application decides whether the process goes on, and the write with it. Used by
 * writeFileAtomic and by an OutputSet, whose files may stay for a while: every output of a run is
 * written before the first is renamed into place.
 */
const pending = new Set<string>();
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/** Remove `tmp` if the process ends before the returned function is called (which forgets it). */
export function guardTemp(tmp: string): () => void {
  if (pending.size === 0) {
    for (const signal of SIGNALS) process.on(signal, onSignal);
    process.on('exit', removePending);
  }
  pending.add(tmp);
  return () => {
    if (!pending.delete(tmp) || pending.size > 0) return;
    for (const signal of SIGNALS) process.off(signal, onSignal);
    process.off('exit', removePending);
  };
}

/** Our cleanup, unless the application listens for the signal too (then it decides, and 'exit' cleans up). */
function onSignal(signal: NodeJS.Signals): void {
  if (process.listenerCount(signal) > 1) return;
  removePending();
  for (const s of SIGNALS) process.off(s, onSignal);
  process.off('exit', removePending);
  process.kill(process.pid, signal);
}

function removePending(): void {
  for (const tmp of pending) {
    try { rmSync(tmp, { force: true }); } catch { /* the process is ending: nothing better to do */ }
  }
  pending.clear();
}
