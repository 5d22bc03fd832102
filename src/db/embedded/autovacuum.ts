import type { SessionServer } from './session-server.ts';

/** How often the embedded database looks for tables to vacuum or analyze (PostgreSQL's autovacuum_naptime is 60 s). */
export const AUTOVACUUM_INTERVAL_MS = 5_000;

type TableWork = { schema: string; table: string; vacuum: boolean };

/**
 * PGlite runs PostgreSQL as a single backend, without the autovacuum launcher. Without it, dead
 * rows of updated queue tables (deliveries, the outbox) pile up in their indexes and the planner
 * keeps the statistics of an empty database: a claim that takes 2 ms on a vacuumed table took
 * 60 ms after ten thousand deliveries. This does the launcher's job: it applies autovacuum's own
 * thresholds and settings to the statistics views and vacuums or analyzes the tables past them,
 * one table per turn, so that connections waiting for the session get theirs in between.
 */
export class Autovacuum {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(
    private readonly server: SessionServer,
    private readonly onError: (error: unknown) => void,
    private readonly intervalMs = AUTOVACUUM_INTERVAL_MS,
  ) {}

  start(): void {
    this.schedule();
  }

  /** Stops the timer and waits for a pass in progress to finish its table. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  /** One pass over every table past its thresholds. */
  private async runOnce(): Promise<void> {
    const due = await this.server.betweenTurns((pglite) => pglite.query<TableWork>(DUE_TABLES)).then((result) => result.rows);
    for (const { schema, table, vacuum } of due) {
      if (this.stopped) break;
      const statement = `${vacuum ? 'VACUUM (ANALYZE)' : 'ANALYZE'} ${quoteIdentifier(schema)}.${quoteIdentifier(table)}`;
      await this.server.betweenTurns((pglite) => pglite.exec(statement));
    }
  }

  private schedule() {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.runOnce()
        .catch(this.onError)
        .finally(() => this.schedule());
    }, this.intervalMs);
    this.timer.unref();
  }
}

/** autovacuum's rules (PostgreSQL's "The Autovacuum Daemon"), with the server's own settings. */
const DUE_TABLES = `
  WITH setting AS (
    SELECT current_setting('autovacuum_vacuum_threshold')::float8 AS vacuum_base,
           current_setting('autovacuum_vacuum_scale_factor')::float8 AS vacuum_scale,
           current_setting('autovacuum_vacuum_insert_threshold')::float8 AS insert_base,
           current_setting('autovacuum_vacuum_insert_scale_factor')::float8 AS insert_scale,
           current_setting('autovacuum_analyze_threshold')::float8 AS analyze_base,
           current_setting('autovacuum_analyze_scale_factor')::float8 AS analyze_scale
  ), measured AS (
    SELECT t.schemaname AS schema, t.relname AS "table",
           t.n_dead_tup > s.vacuum_base + s.vacuum_scale * t.n_live_tup
             OR t.n_ins_since_vacuum > s.insert_base + s.insert_scale * t.n_live_tup AS vacuum,
           t.n_mod_since_analyze > s.analyze_base + s.analyze_scale * t.n_live_tup AS needs_analyze
      FROM pg_stat_user_tables t CROSS JOIN setting s
  )
  SELECT schema, "table", vacuum FROM measured WHERE vacuum OR needs_analyze ORDER BY schema, "table"`;

function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
