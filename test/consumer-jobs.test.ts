import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { ConsumerWorker } from '../src/events/consumer-worker.ts';
import type { ConsumerTable } from '../src/events/consumers.ts';
import { EffectKeys } from '../src/events/effect-keys.ts';
import { claimJobs, enqueueJobs, LeaseLostError, markDone } from '../src/events/job-claims.ts';
import { Outbox } from '../src/events/outbox.ts';
import { createLogger } from '../src/logger.ts';
import type { AppEvents } from '../src/modules/events.ts';
import { startApp, type RunningApp } from './support/app.ts';
import { eventually, signUpTenant } from './support/fixtures.ts';
import { backends } from './support/services.ts';

type Run = { key: string; at: number };

/**
 * The consumer worker against the app's real database, with consumers of the test's own (the
 * app's worker runs beside it and takes none of their jobs).
 */
for (const backend of backends()) {
  describe(`consumer jobs (${backend.name})`, { skip: backend.skip, timeout: 90_000 }, () => {
    let app: RunningApp;
    let tenants: { a: string; b: string };
    before(async () => {
      app = await startApp(await backend.env());
      const [a, b] = await Promise.all([signUpTenant(app.client, 'A'), signUpTenant(app.client, 'B')]);
      tenants = { a: a.tenant.id, b: b.tenant.id };
    });
    after(() => app?.stop());

    /** A worker over `consumers`, retrying after `retry` seconds, stopped after the test. */
    const workerFor = (
      consumers: ConsumerTable<AppEvents>,
      options: { retry?: number[]; concurrency?: number; leaseMs?: number; retentionMs?: number; transactionalKeys?: number } = {},
    ) => {
      const prisma = app.prisma();
      const worker = new ConsumerWorker<AppEvents>({
        prisma,
        outbox: new Outbox<AppEvents>(prisma, () => {}),
        consumers,
        effects: new EffectKeys(prisma),
        logger: createLogger('silent'),
        retryScheduleSeconds: options.retry ?? [1],
        leaseMs: options.leaseMs ?? 10_000,
        concurrency: options.concurrency,
        retentionMs: options.retentionMs,
        transactionalKeys: options.transactionalKeys,
        pollIntervalMs: 100,
      });
      worker.start();
      return worker;
    };
    /** Each job of `consumer` as [key, status, attempts, last error], by key. */
    const jobsOf = async (consumer: string) =>
      (
        await app.prisma().consumerJob.findMany({ where: { consumer }, orderBy: { key: 'asc' }, select: { key: true, status: true, attemptCount: true, lastError: true } })
      ).map((job) => [job.key, job.status, job.attemptCount, job.lastError]);
    /** `jobsOf` once no job of `consumer` is PENDING: a run is seen before its outcome commits. */
    const outcomesOf = (consumer: string) =>
      eventually(async () => {
        const jobs = await jobsOf(consumer);
        return jobs.every(([, status]) => status !== 'PENDING') ? jobs : undefined;
      }, 5_000, `the outcomes of ${consumer}`);

    it("runs one key's jobs in order, holds them behind one that failed until its retry succeeds, and serves another tenant meanwhile", async () => {
      const consumer = `test.ordered.${backend.name}`;
      const runs: Run[] = [];
      let failedOnce = false;
      const worker = workerFor({
        [consumer]: {
          kind: 'effect',
          run: async (job) => {
            runs.push({ key: job.key, at: Date.now() });
            if (job.key === 'a-2' && !failedOnce) {
              failedOnce = true;
              throw new Error('receiver unavailable');
            }
          },
        },
      });
      try {
        await enqueueJobs(app.prisma(), [
          ...['a-1', 'a-2', 'a-3', 'a-4'].map((key) => ({ consumer, tenantId: tenants.a, key, orderingKey: 'conversation-a', payload: {} })),
          { consumer, tenantId: tenants.b, key: 'b-1', payload: {} },
        ]);
        worker.jobsEnqueued();
        await eventually(() => (runs.filter((run) => run.key.startsWith('a-')).length === 5 ? true : undefined), 15_000, 'every job of A');
        const ofA = runs.filter((run) => run.key.startsWith('a-')).map((run) => run.key);
        assert.deepEqual(ofA, ['a-1', 'a-2', 'a-2', 'a-3', 'a-4']);
        const retried = runs.filter((run) => run.key === 'a-2')[1]!;
        const ofB = runs.find((run) => run.key === 'b-1')!;
        assert.ok(ofB.at < retried.at, "B's job did not wait for A's retry");
        assert.deepEqual(
          await outcomesOf(consumer),
          [['a-1', 'DONE', 1, null], ['a-2', 'DONE', 2, null], ['a-3', 'DONE', 1, null], ['a-4', 'DONE', 1, null], ['b-1', 'DONE', 1, null]],
        );
      } finally {
        await worker.stop();
      }
    });

    it('ends a job that fails every attempt FAILED, with its last error, and then runs the jobs behind it', async () => {
      const consumer = `test.failing.${backend.name}`;
      const runs: string[] = [];
      const worker = workerFor(
        {
          [consumer]: {
            kind: 'effect',
            run: async (job) => {
              runs.push(job.key);
              if (job.key === 'x-1') throw new Error(`refused, attempt ${job.attemptCount + 1}`);
            },
          },
        },
        { retry: [0, 0] },
      );
      try {
        await enqueueJobs(app.prisma(), ['x-1', 'x-2'].map((key) => ({ consumer, tenantId: tenants.a, key, orderingKey: 'sequence-x', payload: {} })));
        worker.jobsEnqueued();
        await eventually(() => (runs.includes('x-2') ? true : undefined), 15_000, 'the job behind the failed one');
        assert.deepEqual(runs, ['x-1', 'x-1', 'x-1', 'x-2']);
        assert.deepEqual(await outcomesOf(consumer), [['x-1', 'FAILED', 3, 'refused, attempt 3'], ['x-2', 'DONE', 1, null]]);
      } finally {
        await worker.stop();
      }
    });

    it("keeps room for another tenant while one tenant's backlog runs slowly", async () => {
      const consumer = `test.backlog.${backend.name}`;
      const started: Run[] = [];
      const worker = workerFor(
        {
          [consumer]: {
            kind: 'effect',
            run: async (job) => {
              started.push({ key: job.key, at: Date.now() });
              if (job.tenantId === tenants.a) await delay(300);
            },
          },
        },
        { concurrency: 4 },
      );
      try {
        const backlog = Array.from({ length: 200 }, (_, index) => ({ consumer, tenantId: tenants.a, key: `a-${index}`, payload: {} }));
        await enqueueJobs(app.prisma(), backlog);
        worker.jobsEnqueued();
        await eventually(() => (started.length >= 3 ? true : undefined), 10_000, "A's backlog to start");
        const enqueuedAt = Date.now();
        await enqueueJobs(app.prisma(), [{ consumer, tenantId: tenants.b, key: 'b-1', payload: {} }]);
        worker.jobsEnqueued();
        const ofB = await eventually(() => started.find((run) => run.key === 'b-1'), 10_000, "B's job");
        assert.ok(ofB.at - enqueuedAt < 1_000, `B's job started ${ofB.at - enqueuedAt} ms after it was enqueued`);
        assert.ok(started.filter((run) => run.key.startsWith('a-')).length < 50, "B's job ran while A's backlog was still draining");
      } finally {
        await worker.stop();
      }
    });

    it('records nothing for a run whose lease ran out and was claimed again', async () => {
      const consumer = `test.lease.${backend.name}`;
      const prisma = app.prisma();
      await enqueueJobs(prisma, [{ consumer, tenantId: tenants.a, key: 'only', payload: {} }]);
      const claim = (now: Date) =>
        claimJobs(prisma, { consumers: [consumer], limit: 1, perTenant: 1, followers: 0, tenantsInFlight: new Map(), now, leaseUntil: new Date(now.getTime() + 1_000) });
      const [first] = await claim(new Date());
      assert.ok(first);
      assert.deepEqual(await claim(new Date()), [], 'a leased job is not claimed again');
      const [second] = await claim(new Date(Date.now() + 2_000));
      assert.equal(second?.id, first.id, 'claimed again once the lease ran out');
      await assert.rejects(markDone(prisma, [first]), LeaseLostError);
      await markDone(prisma, [second]);
      assert.deepEqual(await jobsOf(consumer), [['only', 'DONE', 1, null]]);
    });

    it('claims nothing of a sequence while any of its jobs is leased, even one that sorts after a job enqueued later elsewhere', async () => {
      const consumer = `test.sequence-lease.${backend.name}`;
      const prisma = app.prisma();
      const claim = (now: Date, followers = 0) =>
        claimJobs(prisma, { consumers: [consumer], limit: 10, perTenant: 10, followers, tenantsInFlight: new Map(), now, leaseUntil: new Date(now.getTime() + 1_000) });
      await enqueueJobs(prisma, [{ consumer, tenantId: tenants.a, key: 'running', orderingKey: 'contact', payload: {} }]);
      const [running] = await claim(new Date());
      assert.equal(running?.key, 'running');
      // Another instance's clock: a job of the same sequence whose id sorts before the running one.
      const earlier = await prisma.consumerJob.create({
        data: { id: '00000000-0000-7000-8000-000000000001', tenantId: tenants.a, consumer, key: 'earlier', orderingKey: 'contact', payload: {} },
      });
      await enqueueJobs(prisma, [{ consumer, tenantId: tenants.a, key: 'elsewhere', orderingKey: 'other contact', payload: {} }]);
      assert.deepEqual((await claim(new Date())).map((job) => job.key), ['elsewhere'], 'the sequence waits for its running job; another sequence does not');
      const afterLease = await claim(new Date(Date.now() + 2_000), 5);
      assert.deepEqual(afterLease.map((job) => [job.key, job.id === earlier.id]), [['earlier', true], ['running', false], ['elsewhere', false]], 'once the leases ran out: each sequence from its head, in id order');
    });

    it("runs a transactional consumer's jobs of a tenant in one transaction across ordering keys, one tenant a run", async () => {
      const consumer = `test.together.${backend.name}`;
      const runs: { tenantId: string; keys: string[] }[] = [];
      const keysOf = (tenantId: string, count: number) => Array.from({ length: count }, (_, index) => `${tenantId}-${index}`);
      await enqueueJobs(app.prisma(), [
        ...keysOf(tenants.a, 150).map((key) => ({ consumer, tenantId: tenants.a, key, orderingKey: `contact-${key}`, payload: {} })),
        ...keysOf(tenants.b, 5).map((key) => ({ consumer, tenantId: tenants.b, key, orderingKey: `contact-${key}`, payload: {} })),
      ]);
      // One run at a time: the second tenant's jobs, claimed beside the first's, wait for the next claim.
      const worker = workerFor(
        {
          [consumer]: {
            kind: 'transactional',
            run: async (_unit, jobs) => {
              runs.push({ tenantId: jobs[0]!.tenantId, keys: jobs.map((job) => job.key) });
            },
          },
        },
        { concurrency: 1 },
      );
      try {
        await eventually(async () => ((await jobsOf(consumer)).every(([, status]) => status === 'DONE') ? true : undefined), 15_000, 'every job done');
        assert.deepEqual(
          runs.map((run) => [run.tenantId, run.keys.length]).sort(),
          [[tenants.a, 150], [tenants.b, 5]].sort(),
          'a run per tenant, each with all of its ordering keys (up to 200)',
        );
        assert.ok(runs.every((run) => run.keys.every((key) => key.startsWith(`${run.tenantId}-`))), 'each run holds its own tenant\'s jobs only');
        assert.deepEqual((await jobsOf(consumer)).map(([, , attempts]) => attempts), Array(155).fill(1), 'the jobs handed back were not counted as attempts');
      } finally {
        await worker.stop();
      }
    });

    it("claims none of a tenant's transactional jobs while the tenant has its share of runs, and runs them once one ends", async () => {
      const consumer = `test.share.${backend.name}`;
      let finishFirst!: () => void;
      const firstHeld = new Promise<void>((resolve) => (finishFirst = resolve));
      const ran: string[] = [];
      // Two slots: a tenant's share is one run; a run takes up to 5 keys.
      const worker = workerFor(
        {
          [consumer]: {
            kind: 'transactional',
            run: async (_unit, jobs) => {
              ran.push(...jobs.map((job) => job.key));
              if (jobs.some((job) => job.key === 'first')) await firstHeld;
            },
          },
        },
        { concurrency: 2, transactionalKeys: 5 },
      );
      try {
        await enqueueJobs(app.prisma(), [{ consumer, tenantId: tenants.a, key: 'first', orderingKey: 'contact-1', payload: {} }]);
        worker.jobsEnqueued();
        await eventually(() => (ran.includes('first') ? true : undefined), 5_000, 'the first run');
        await enqueueJobs(app.prisma(), [{ consumer, tenantId: tenants.a, key: 'second', orderingKey: 'contact-2', payload: {} }]);
        worker.jobsEnqueued();
        await delay(500);
        const second = await app.prisma().consumerJob.findFirstOrThrow({ where: { consumer, key: 'second' }, select: { leaseToken: true } });
        assert.equal(second.leaseToken, null, 'the job was claimed (and handed back) while its tenant had no run to spare');
        assert.deepEqual(ran, ['first']);
        finishFirst();
        assert.deepEqual(await outcomesOf(consumer), [['first', 'DONE', 1, null], ['second', 'DONE', 1, null]]);
        assert.deepEqual(ran, ['first', 'second']);
      } finally {
        finishFirst();
        await worker.stop();
      }
    });

    it('keeps half the room for effect jobs while transactional jobs of several tenants wait', async () => {
      const [together, effect] = [`test.tenants.${backend.name}`, `test.effect-room.${backend.name}`];
      const third = (await signUpTenant(app.client, 'C')).tenant.id;
      const order: string[] = [];
      await enqueueJobs(app.prisma(), [
        ...[tenants.a, tenants.b, third].map((tenantId) => ({ consumer: together, tenantId, key: tenantId, orderingKey: `key-${tenantId}`, payload: {} })),
        { consumer: effect, tenantId: tenants.b, key: 'reply', payload: {} },
      ]);
      const worker = workerFor(
        {
          [together]: { kind: 'transactional', run: async (_unit, jobs) => void order.push(`transactional ${jobs[0]!.key}`) },
          [effect]: { kind: 'effect', run: async () => void order.push('effect') },
        },
        { concurrency: 2 },
      );
      try {
        await eventually(() => (order.length === 4 ? true : undefined), 15_000, 'every job');
        assert.ok(order.indexOf('effect') < 2, `the effect ran in the first round, beside one transactional run: ${order.join(', ')}`);
      } finally {
        await worker.stop();
      }
    });

    it('forgets effect keys past their retention, but not while a job enqueued before they were done still waits to run', async () => {
      const prisma = app.prisma();
      const hoursAgo = (hours: number) => new Date(Date.now() - hours * 3_600_000);
      // A job three hours old, with its next retry far off: it still waits.
      const waiting = `test.waiting.${backend.name}`;
      await prisma.consumerJob.create({
        data: { consumer: waiting, tenantId: tenants.a, key: 'retrying', payload: {}, status: 'PENDING', attemptCount: 3, nextAttemptAt: new Date(Date.now() + 86_400_000), createdAt: hoursAgo(3) },
      });
      const [before, after] = [`test.effect.before.${backend.name}`, `test.effect.after.${backend.name}`];
      await prisma.effectKey.createMany({ data: [{ key: before, doneAt: hoursAgo(4) }, { key: after, doneAt: hoursAgo(2) }] });
      const worker = workerFor({ [waiting]: { kind: 'effect', run: async () => {} } }, { retentionMs: 3_600_000 });
      try {
        await eventually(async () => ((await prisma.effectKey.count({ where: { key: before } })) === 0 ? true : undefined), 10_000, 'the key done before the waiting job was enqueued to be forgotten');
        assert.equal(await prisma.effectKey.count({ where: { key: after } }), 1, 'the waiting job may still need the key done after it was enqueued');
      } finally {
        await worker.stop();
        await prisma.consumerJob.deleteMany({ where: { consumer: waiting } });
      }
    });
  });
}
