import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import {
  APPLICATION_ID,
  openConnection,
  type Connection,
} from '../../../src/storage/database/connection.ts';
import { CodeidxError } from '../../../src/storage/errors.ts';
import { recorder } from '../../helpers.ts';
import { createResilience } from '../../../src/storage/health/resilience.ts';

/**
 * A clock the test moves by hand, installed as `Date.now` (which cockatiel's breaker and the
 * resilience module read), so a half-open pause ends exactly when the test says, not when a
 * timer on a loaded machine gets round to it. `restore` runs after each test.
 */
function manualClock(): { install(): void; advance(ms: number): void; restore(): void } {
  const realNow = Date.now;
  let now = 0;
  return {
    install() {
      now = realNow();
      Date.now = () => now;
    },
    advance(ms) {
      now += ms;
    },
    restore() {
      Date.now = realNow;
    },
  };
}

describe('retry and circuit breaker', () => {
  const clock = manualClock();
  afterEach(() => clock.restore());
  let dir = '';
  const opened: Database.Database[] = [];
  const dbPath = (): string => join(dir, 'codeidx.db');
  /** A codeidx-marked WAL database with one table; each call opens another connection to it. */
  const connect = (busyTimeoutMs = 5000): Connection => {
    const db = openConnection(dbPath(), { busyTimeoutMs });
    opened.push(db);
    return db;
  };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'codeidx-'));
    const db = connect();
    db.pragma(`application_id = ${APPLICATION_ID}`);
    db.pragma('user_version = 1');
    db.exec('CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL UNIQUE)');
  });
  afterEach(() => {
    for (const db of opened.splice(0)) if (db.open) db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  describe('retry', () => {
    it('retries a write that meets another connection’s write lock, and succeeds once it is released', async () => {
      const holder = connect();
      const writer = connect(10);
      holder.exec('BEGIN IMMEDIATE');
      const logger = recorder();
      // The lock goes when the first retry is announced: after a failed attempt, before the next.
      logger.onEntry = (_level, message) => {
        if (holder.inTransaction && /^Retrying/.test(message)) holder.exec('COMMIT');
      };
      const resilience = createResilience({ logger, maxAttempts: 5, initialDelayMs: 1 });
      let attempts = 0;
      await resilience.execute(() => {
        attempts++;
        writer.prepare('INSERT INTO notes (body) VALUES (?)').run('after the lock');
      });
      assert.equal(attempts, 2, 'the first attempt met the lock, the second wrote');
      assert.equal(holder.prepare('SELECT count(*) FROM notes').pluck().get(), 1, 'written once');
      assert.ok(
        logger.lines.some((l) => /^warn Retrying after a transient error/.test(l)),
        'retries are logged at warn',
      );
      assert.equal(resilience.state, 'closed');
    });

    it('gives up after maxAttempts attempts with the transient BUSY error', async () => {
      const holder = connect();
      const writer = connect(5);
      holder.exec('BEGIN IMMEDIATE');
      let attempts = 0;
      const resilience = createResilience({ maxAttempts: 3, initialDelayMs: 5, maxDelayMs: 10 });
      await assert.rejects(
        resilience.execute(() => {
          attempts++;
          writer.exec('BEGIN IMMEDIATE');
        }),
        (err: CodeidxError) => err instanceof CodeidxError && err.code === 'BUSY' && err.transient,
      );
      holder.exec('ROLLBACK');
      assert.equal(attempts, 3);
    });

    it('waits between attempts, no wait longer than maxDelayMs', async () => {
      const holder = connect();
      const writer = connect(1);
      holder.exec('BEGIN IMMEDIATE');
      const starts: number[] = [];
      const logger = recorder();
      const resilience = createResilience({
        logger,
        maxAttempts: 6,
        initialDelayMs: 20,
        maxDelayMs: 80,
      });
      await assert.rejects(
        resilience.execute(() => {
          starts.push(performance.now());
          writer.exec('BEGIN IMMEDIATE');
        }),
      );
      holder.exec('ROLLBACK');
      // The delays the policy chose (logged with each retry), not wall-clock gaps: a loaded
      // machine only lengthens those.
      const delays = logger.entries
        .filter((e) => e.message.startsWith('Retrying'))
        .map((e) => e.fields.delayMs as number);
      assert.equal(delays.length, 5);
      for (const d of delays) assert.ok(d > 0 && d <= 80, `delays ${delays.join(', ')} ms`);
      // Each attempt started no sooner than its delay after the one before (timers never fire
      // early; 1 ms for the rounding of the logged delay).
      starts.slice(1).forEach((t, i) => {
        assert.ok(t - starts[i]! >= delays[i]! - 1, `attempt ${i + 2} waited ${delays[i]} ms`);
      });
    });

    it('does not retry an error that is not transient, and hands it over as a CodeidxError', async () => {
      const db = connect();
      db.prepare('INSERT INTO notes (body) VALUES (?)').run('dup');
      let attempts = 0;
      await assert.rejects(
        createResilience({ maxAttempts: 5 }).execute(() => {
          attempts++;
          db.prepare('INSERT INTO notes (body) VALUES (?)').run('dup'); // UNIQUE constraint
        }),
        (err: CodeidxError) =>
          err instanceof CodeidxError && !err.transient && /UNIQUE/.test(err.message),
      );
      assert.equal(attempts, 1);
    });

    it('retries a CodeidxError marked transient and passes async results through', async () => {
      let attempts = 0;
      // eslint-disable-next-line @typescript-eslint/require-await -- the async function is what is tested
      const value = await createResilience({ initialDelayMs: 1 }).execute(async () => {
        attempts++;
        if (attempts < 3) throw new CodeidxError('BUSY', 'busy', { transient: true });
        return 'done';
      });
      assert.equal(value, 'done');
      assert.equal(attempts, 3);
    });

    it('refuses options that make no sense', () => {
      for (const options of [
        { maxAttempts: 0 },
        { breakerThreshold: 1.5 },
        { initialDelayMs: -1 },
        { halfOpenAfterMs: Number.NaN },
      ]) {
        assert.throws(
          () => createResilience(options),
          (e: CodeidxError) => e.code === 'INVALID_ARGUMENT',
          JSON.stringify(options),
        );
      }
    });
  });

  describe('circuit breaker', () => {
    /** A write on a read-only connection: SQLITE_READONLY, a real failure that is not transient. */
    const failingWrite = (): (() => void) & { calls: number } => {
      const readonly = openConnection(dbPath(), { readonly: true });
      opened.push(readonly);
      const fn = Object.assign(
        () => {
          fn.calls++;
          readonly.prepare('INSERT INTO notes (body) VALUES (?)').run(`n${fn.calls}`);
        },
        { calls: 0 },
      );
      return fn;
    };

    it('opens after N failed operations in a row, then fails fast with CIRCUIT_OPEN and a hint', async () => {
      const logger = recorder();
      const resilience = createResilience({ logger, breakerThreshold: 3, halfOpenAfterMs: 60_000 });
      clock.install();
      const write = failingWrite();
      for (let i = 0; i < 3; i++) {
        await assert.rejects(resilience.execute(write), (e: CodeidxError) => e.code === 'READONLY');
      }
      assert.equal(resilience.state, 'open');
      const err = await resilience.execute(write).then(
        () => assert.fail('expected CIRCUIT_OPEN'),
        (e: unknown) => e as CodeidxError,
      );
      assert.equal(err.code, 'CIRCUIT_OPEN');
      assert.match(
        err.hint!,
        /stopped trying after 3 failures in a row; it will try again in 60s\. Check health/,
      );
      // The way to check is a structured fix each adapter renders, not a command named in text.
      assert.deepEqual([err.fix?.cli, err.fix?.command], ['codeidx health', 'codeidx.checkHealth']);
      assert.doesNotMatch(err.hint!, /CodeIdx:|VS Code/);
      assert.match(err.message, /readonly/i, 'the message names the last failure');
      assert.equal(write.calls, 3, 'the open circuit did not touch the database');
      assert.ok(logger.lines.some((l) => l.startsWith('warn Circuit opened after 3')));
    });

    it('half-opens after the pause: a successful trial closes it, a failed one opens it again', async () => {
      const logger = recorder();
      const resilience = createResilience({ logger, breakerThreshold: 2, halfOpenAfterMs: 80 });
      clock.install();
      const states: string[] = [];
      resilience.onStateChange((s) => states.push(s));
      const write = failingWrite();
      for (let i = 0; i < 2; i++) await assert.rejects(resilience.execute(write));
      assert.equal(resilience.state, 'open');
      clock.advance(79);
      assert.equal(resilience.state, 'open', 'still open 1 ms before the pause ends');
      clock.advance(1);
      assert.equal(resilience.state, 'half-open', 'the next call is the trial');
      await assert.rejects(resilience.execute(write), (e: CodeidxError) => e.code === 'READONLY');
      assert.equal(resilience.state, 'open', 'a failed trial opens it again');
      await assert.rejects(
        resilience.execute(write),
        (e: CodeidxError) => e.code === 'CIRCUIT_OPEN',
      );
      clock.advance(80);
      const writer = connect();
      await resilience.execute(() =>
        writer.prepare('INSERT INTO notes (body) VALUES (?)').run('ok'),
      );
      assert.equal(resilience.state, 'closed');
      assert.deepEqual(states, ['open', 'half-open', 'open', 'half-open', 'closed']);
      assert.ok(logger.lines.includes('info Circuit closed: the database answers again'));
      assert.equal(write.calls, 3, 'one trial call while half-open, none while open');
    });

    it('counts an operation once, however many attempts it took', async () => {
      const holder = connect();
      const writer = connect(1);
      holder.exec('BEGIN IMMEDIATE');
      const resilience = createResilience({
        maxAttempts: 4,
        initialDelayMs: 1,
        maxDelayMs: 2,
        breakerThreshold: 2,
      });
      let attempts = 0;
      await assert.rejects(
        resilience.execute(() => {
          attempts++;
          writer.exec('BEGIN IMMEDIATE');
        }),
      );
      holder.exec('ROLLBACK');
      assert.equal(attempts, 4);
      assert.equal(resilience.state, 'closed', 'one failed operation, not four');
    });

    it('does not count refusals: a bad argument or a changed checksum never opens it', async () => {
      const resilience = createResilience({ breakerThreshold: 2 });
      for (const code of [
        'INVALID_ARGUMENT',
        'CHECKSUM_MISMATCH',
        'CANCELLED',
        'DATABASE_NEWER',
      ] as const) {
        await assert.rejects(
          resilience.execute(() => Promise.reject(new CodeidxError(code, 'no'))),
          (e: CodeidxError) => e.code === code,
        );
      }
      assert.equal(resilience.state, 'closed');
    });

    it('a success in between resets the count', async () => {
      const resilience = createResilience({ breakerThreshold: 2 });
      const write = failingWrite();
      const writer = connect();
      await assert.rejects(resilience.execute(write));
      await resilience.execute(() =>
        writer.prepare('INSERT INTO notes (body) VALUES (?)').run('x'),
      );
      await assert.rejects(resilience.execute(write));
      assert.equal(resilience.state, 'closed');
      await assert.rejects(resilience.execute(write));
      assert.equal(resilience.state, 'open');
    });
  });
});
