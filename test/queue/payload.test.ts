/**
 * The queue's pieces that need no Redis: connections (passwords hidden everywhere), job payloads and
 * their ids, the checks a worker makes on a payload, failures as BullMQ stores them, --root parsing.
 */
import { describe, expect, it } from 'vitest';
import { resolveConnection, scrub } from '../../src/batch/queue/connection.js';
import { checkPayload, failureOf, failureText, isFinal, jobIdOf, type JobPayload } from '../../src/batch/queue/payload.js';
import { resolveQueueOptions } from '../../src/batch/queue/queue-options.js';
import { takeRoots } from '../../src/cli/worker.js';
import { KMeansSegError } from '../../src/errors.js';

const payload = (over: Partial<JobPayload> = {}): JobPayload => ({
  version: 1, input: { kind: 'path', path: '/share/in/a.png' }, output: { kind: 'path', path: '/share/out/a.png' },
  options: { k: 8 }, palette: null, ...over,
});

describe('connections', () => {
  it('a URL becomes ioredis options; its password is hidden in how it is shown, and scrubbed from any text', () => {
    const t = resolveConnection('redis://me:p%40ss-9@queue-host:6380/2');
    expect(t.options).toEqual({ host: 'queue-host', port: 6380, username: 'me', password: 'p@ss-9', db: 2, maxRetriesPerRequest: null });
    expect(t.shown).toBe('redis://me:***@queue-host:6380/2');
    expect(scrub('AUTH p@ss-9 failed (p%40ss-9)')).toBe('AUTH *** failed (***)');
    expect(resolveConnection('rediss://h').options).toMatchObject({ host: 'h', port: 6379, tls: {} });
  });

  it('the password may come from KMEANS_SEG_REDIS_PASSWORD, and is hidden the same way', () => {
    const t = resolveConnection('redis://h:1234', 'x', { KMEANS_SEG_REDIS_PASSWORD: 'env-secret-1' });
    expect(t.options.password).toBe('env-secret-1');
    expect(t.shown).toBe('redis://:***@h:1234');
    expect(scrub('x env-secret-1 y')).toBe('x *** y');
  });

  it('a URL that does not parse, or of another scheme, is refused without echoing it', () => {
    for (const bad of ['not a url with pw-XYZ', 'http://u:pw-XYZ@h', 'redis://u:pw-XYZ@h/abc']) {
      let error: unknown;
      try { resolveConnection(bad); } catch (e) { error = e; }
      expect(error, bad).toBeInstanceOf(KMeansSegError);
      expect((error as KMeansSegError).code).toBe('ERR_INVALID_OPTION');
      expect((error as Error).message).not.toContain('pw-XYZ');
    }
  });

  it('queue options: defaults, and each field checked by name', () => {
    expect(resolveQueueOptions({ connection: 'redis://h' })).toMatchObject({ name: 'kmeans-seg', attempts: 3, retryDelayMs: 1000, cancelOnExit: false });
    expect(() => resolveQueueOptions({ connection: 'redis://h', attempts: 0 })).toThrow(/queue\.attempts/);
    expect(() => resolveQueueOptions({ connection: 'redis://h', name: 'a:b' })).toThrow(/queue\.name/);
    expect(() => resolveQueueOptions({ connection: 'redis://h', atempts: 2 })).toThrow(/did you mean "attempts"/);
    expect(() => resolveQueueOptions({})).toThrow(/queue\.connection/);
  });
});

describe('payloads', () => {
  it('the job id depends on input, output and every setting, and nothing else', () => {
    const id = jobIdOf(payload());
    expect(id).toMatch(/^ks1-[0-9a-f]{40}$/);
    expect(jobIdOf(payload({ options: { k: 8 } }))).toBe(id);
    const others = [payload({ options: { k: 9 } }), payload({ input: { kind: 'path', path: '/share/in/b.png' } }),
      payload({ output: { kind: 'path', path: '/share/out2/a.png' } }), payload({ options: { k: 8, seed: 1 } })];
    expect(new Set([id, ...others.map(jobIdOf)]).size).toBe(5);
    // Key order does not matter.
    expect(jobIdOf(payload({ options: { seed: 1, k: 8 } }))).toBe(jobIdOf(payload({ options: { k: 8, seed: 1 } })));
  });

  it('checkPayload accepts a batch payload and refuses everything else with ERR_INVALID_OPTION', () => {
    expect(checkPayload('segment', payload())).toEqual(payload());
    const bad: [string, unknown][] = [
      ['other', payload()], ['segment', null], ['segment', { ...payload(), version: 2 }],
      ['segment', payload({ input: { kind: 's3', path: '/x' } as never })], ['segment', payload({ input: { kind: 'path', path: 'rel.png' } })],
      ['segment', payload({ input: { kind: 'path', path: '/share/../etc/x.png' } })], ['segment', payload({ output: { kind: 'path', path: '/share/out/a.sh' } })],
      ['segment', payload({ options: { k: 0 } })], ['segment', payload({ options: { threads: 2 } as never })],
      ['segment', payload({ options: { kk: 3 } as never })], ['segment', payload({ palette: { palette: 'x' } as never })],
    ];
    for (const [name, data] of bad) {
      let error: unknown;
      try { checkPayload(name, data); } catch (e) { error = e; }
      expect((error as KMeansSegError)?.code, JSON.stringify(data)).toMatch(/^ERR_(INVALID_OPTION|PALETTE)$/);
    }
  });

  it('failures travel as "CODE: message", and only bad-file codes skip the retries', () => {
    const e = { code: 'ERR_DECODE', message: 'not an image: x' };
    expect(failureOf(failureText(e))).toEqual(e);
    expect(failureOf('job stalled more than allowable limit')).toEqual({ code: null, message: 'job stalled more than allowable limit' });
    expect(failureOf('ERR_NOPE: x')).toEqual({ code: null, message: 'ERR_NOPE: x' });
    expect(['ERR_DECODE', 'ERR_OUTSIDE_ROOT', 'ERR_INVALID_OPTION'].every(isFinal)).toBe(true);
    expect(['ERR_READ', 'ERR_WRITE', 'ERR_INPUT_NOT_FOUND', null].some(isFinal)).toBe(false);
  });
});

describe('kmeans-seg worker --root', () => {
  it('repeats, in both spellings, and needs a folder', () => {
    expect(takeRoots(['--root', '/a', '-c', '2', '--root=/b', '--', '--root', '/c'])).toEqual({ roots: ['/a', '/b'], rest: ['-c', '2', '--', '--root', '/c'] });
    expect(() => takeRoots(['--root'])).toThrow(/--root needs a folder/);
    expect(() => takeRoots(['--root', '--verbose'])).toThrow(/--root needs a folder/);
  });
});
