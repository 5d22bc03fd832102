import { Prisma, type PrismaClient } from '../generated/prisma/client.ts';

/**
 * Remembers effects with an outside footprint that are done, by a key their job derives from
 * what it reacts to, so that a retry of the job does not do them again. The record is written
 * right after the effect: only a crash between the two repeats it.
 */
export class EffectKeys {
  constructor(private readonly prisma: PrismaClient) {}

  /** Runs `effect` unless one with `key` is done, and answers its result (the stored one when it was). */
  async once<Result extends Prisma.InputJsonValue | null>(key: string, effect: () => Promise<Result>): Promise<Result> {
    const done = await this.prisma.effectKey.findUnique({ where: { key } });
    if (done) return done.result as Result;
    const result = await effect();
    await this.record(this.prisma, key, result);
    return result;
  }

  async isDone(key: string): Promise<boolean> {
    return (await this.prisma.effectKey.count({ where: { key } })) > 0;
  }

  /** The result of the effect done with `key`; undefined when it is not done. */
  async recall<Result extends Prisma.JsonValue>(key: string): Promise<Result | undefined> {
    const done = await this.prisma.effectKey.findUnique({ where: { key } });
    return done ? (done.result as Result) : undefined;
  }

  /** Records `key` done, inside the caller's transaction when the effect's own record is written there too. */
  async record(db: Prisma.TransactionClient | PrismaClient, key: string, result: Prisma.InputJsonValue | null = null): Promise<void> {
    await db.effectKey.createMany({ data: [{ key, result: result ?? Prisma.DbNull }], skipDuplicates: true });
  }

  /** Forgets keys older than `before`: their jobs are long finished. */
  async forget(before: Date): Promise<void> {
    await this.prisma.effectKey.deleteMany({ where: { doneAt: { lt: before } } });
  }
}
