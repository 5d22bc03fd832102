import { PGlite } from '@electric-sql/pglite';

/**
 * Sized for one small team rather than a shared server: an 8 MB buffer cache instead of 128 MB
 * (the operating system caches the files anyway), and WAL in 1 MB segments kept to 16 MB
 * between checkpoints instead of 16 MB segments kept to 80 MB, so a new DATA_DIR is small.
 */
export const startParams = [...PGlite.defaultStartParams, '-c', 'shared_buffers=8MB', '-c', 'max_connections=5', '-c', 'min_wal_size=16MB'];
export const initDbStartParams = ['--wal-segsize=1'];
