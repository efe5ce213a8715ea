// The error every Node call rejects with when its signal aborts (job-pool.ts, staging.ts): one wording.
import { KMeansSegError } from '../errors.js';

export function abortError(signal: AbortSignal, when: string): KMeansSegError {
  return new KMeansSegError('ERR_ABORTED', `Aborted ${when}: the signal passed as options.signal was aborted`, { cause: signal.reason });
}
