import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import pg from 'pg';
import {
  backends,
  externalServicesSkipReason,
  startPostgres,
  startRedis,
  type PostgresServer,
  type RedisServer,
} from './services.ts';

const skip = externalServicesSkipReason();

describe('startPostgres', { skip }, () => {
  let server: PostgresServer;
  before(async () => {
    server = await startPostgres();
  });
  after(() => server?.stop());

  it('serves queries on the database in its URL', async () => {
    assert.deepEqual(await query(server.url, 'SELECT 1 AS one'), [{ one: 1 }]);
  });

  it('creates further databases on the same server', async () => {
    const url = await server.createDatabase();
    assert.notEqual(url, server.url);
    assert.equal(new URL(url).port, String(server.port));
    const [row] = await query(url, 'SELECT current_database() AS name');
    assert.equal(`/${row?.name}`, new URL(url).pathname);
  });

  it('stop() closes the port and removes the temp dir', async () => {
    await server.stop();
    assert.equal(await acceptsConnections(server.port), false);
    assert.equal(existsSync(server.dir), false);
  });
});

describe('startRedis', { skip }, () => {
  let server: RedisServer;
  const clients: Redis[] = [];
  const client = () => {
    const redis = new Redis(server.url);
    clients.push(redis);
    return redis;
  };
  before(async () => {
    server = await startRedis();
  });
  after(() => server?.stop());

  it('stores and returns values', async () => {
    const redis = client();
    await redis.set('greeting', 'hello');
    assert.equal(await redis.get('greeting'), 'hello');
  });

  it('delivers a message published by one client to another that subscribed', async () => {
    const subscriber = client();
    const publisher = client();
    await subscriber.subscribe('news');
    const received = new Promise((resolve) => subscriber.once('message', (...message) => resolve(message)));
    await publisher.publish('news', 'extra');
    assert.deepEqual(await received, ['news', 'extra']);
  });

  it('stop() closes the port and removes the temp dir', async () => {
    await Promise.all(clients.map((redis) => redis.quit()));
    await server.stop();
    assert.equal(await acceptsConnections(server.port), false);
    assert.equal(existsSync(server.dir), false);
  });
});

describe('backends()', () => {
  const [embedded, external] = backends();

  it('gives embedded suites their own DATA_DIR and unsets DATABASE_URL and REDIS_URL', async () => {
    const [first, second] = await Promise.all([embedded!.env(), embedded!.env()]);
    assert.notEqual(first.DATA_DIR, second.DATA_DIR);
    assert.equal(first.DATABASE_URL, '');
    assert.equal(first.REDIS_URL, '');
  });

  it('gives postgres+redis suites their own database on shared servers', { skip: external!.skip }, async () => {
    const [first, second] = await Promise.all([external!.env(), external!.env()]);
    assert.notEqual(first.DATA_DIR, second.DATA_DIR);
    assert.notEqual(first.DATABASE_URL, second.DATABASE_URL);
    assert.equal(first.REDIS_URL, second.REDIS_URL);
    assert.deepEqual(await query(second.DATABASE_URL!, 'SELECT 1 AS one'), [{ one: 1 }]);
  });
});

async function query(url: string, sql: string): Promise<Record<string, unknown>[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql)).rows;
  } finally {
    await client.end();
  }
}

function acceptsConnections(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
