import assert from 'node:assert/strict';
import { join } from 'node:path';
import { openConnection } from '../src/storage/connection.ts';
import { CodeidxError } from '../src/storage/errors.ts';
import { createResilience } from '../src/storage/resilience.ts';
import { tempDatabases } from './helpers.ts';

describe('retry and circuit breaker', () => {
  const t = tempDatabases();

  it('retries a write while another connection holds the lock, and succeeds once it is released', async () => {
    const holder = t.open();
    const writer = openConnection(join(t.dir(), 'test.db'), { busyTimeoutMs: 10 });
    holder.exec('BEGIN IMMEDIATE');
    setTimeout(() => holder.exec('ROLLBACK'), 200);
    let attempts = 0;
    const resilience = createResilience({ maxAttempts: 20, initialDelayMs: 20, maxDelayMs: 100 });
    await resilience.execute(() => {
      attempts++;
      writer.exec("INSERT INTO migration_audit (at, action) VALUES ('now', 'test')");
    });
    writer.close();
    assert.ok(attempts > 1, `took ${attempts} attempts`);
    assert.equal(
      holder.prepare("SELECT count(*) FROM migration_audit WHERE action = 'test'").pluck().get(),
      1,
    );
  });

  it('gives up after maxAttempts with the transient error', async () => {
    const holder = t.open();
    const writer = openConnection(join(t.dir(), 'test.db'), { busyTimeoutMs: 5 });
    holder.exec('BEGIN IMMEDIATE');
    let attempts = 0;
    const resilience = createResilience({ maxAttempts: 3, initialDelayMs: 5, maxDelayMs: 10 });
    await assert.rejects(
      resilience.execute(() => {
        attempts++;
        writer.exec('BEGIN IMMEDIATE');
      }),
      (err: CodeidxError) => err.code === 'BUSY' && err.transient,
    );
    holder.exec('ROLLBACK');
    writer.close();
    assert.equal(attempts, 3);
  });

  it('does not retry an error that is not transient', async () => {
    let attempts = 0;
    await assert.rejects(
      createResilience().execute(() => {
        attempts++;
        throw new CodeidxError('CHECKSUM_MISMATCH', 'changed');
      }),
      (err: CodeidxError) => err.code === 'CHECKSUM_MISMATCH',
    );
    assert.equal(attempts, 1);
  });

  it('opens after consecutive failures, fails fast, then half-opens and closes on success', async () => {
    const resilience = createResilience({
      maxAttempts: 1,
      breakerThreshold: 3,
      halfOpenAfterMs: 100,
    });
    const states: string[] = [];
    resilience.onStateChange((s) => states.push(s));
    let calls = 0;
    const failing = (): never => {
      calls++;
      throw new CodeidxError('CORRUPT', 'disk image is malformed');
    };
    for (let i = 0; i < 3; i++) await assert.rejects(resilience.execute(failing), /malformed/);
    assert.equal(resilience.state, 'open');
    await assert.rejects(
      resilience.execute(failing),
      (err: CodeidxError) => err.code === 'CIRCUIT_OPEN' && /codeidx health/.test(err.hint!),
    );
    assert.equal(calls, 3, 'the open circuit did not call through');
    await new Promise((r) => setTimeout(r, 150));
    assert.equal(await resilience.execute(() => 42), 42);
    assert.equal(resilience.state, 'closed');
    assert.deepEqual(states, ['open', 'half-open', 'closed']);
  });

  it('does not count refusals of a request toward the breaker', async () => {
    const resilience = createResilience({ breakerThreshold: 2 });
    for (let i = 0; i < 5; i++) {
      await assert.rejects(
        resilience.execute(() => Promise.reject(new CodeidxError('INVALID_ARGUMENT', 'bad'))),
      );
    }
    assert.equal(resilience.state, 'closed');
  });
});
