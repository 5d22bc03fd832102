import { PGlite } from '@electric-sql/pglite';

/**
 * Sized for one small team rather than a shared server: an 8 MB buffer cache instead of 128 MB
 * (the operating system caches the files anyway), and WAL in 1 MB segments kept to 16 MB
 * between checkpoints instead of 16 MB segments kept to 80 MB, so a new DATA_DIR is small.
 * Pages are read from that cache, so a random read costs about what a sequential one does
 * (random_page_cost 1.1, as for PostgreSQL on SSDs): otherwise the planner prefers scanning a
 * whole queue table to a few index lookups.
 */
export const startParams = [
  ...PGlite.defaultStartParams,
  '-c',
  'shared_buffers=8MB',
  '-c',
  'random_page_cost=1.1',
  '-c',
  'max_connections=5',
  '-c',
  'min_wal_size=16MB',
];
export const initDbStartParams = ['--wal-segsize=1'];
