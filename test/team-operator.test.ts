/**
 * What an operator does to a team with `npm run admin` (src/admin.ts, run as its own process
 * against the configured database): per-team limits, and suspension, which every instance
 * enforces at once.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { startApp, type RunningApp } from './support/app.ts';
import { assertCode, wsClient } from './support/client.ts';
import { createKey, eventually, PASSWORD, signUpTenant, sseSubscribe, triggerUntilReceived } from './support/fixtures.ts';
import { CreateApiKey, CreateUser, Login, Me, Refresh, RegisterInteraction } from './support/operations.ts';
import { backends } from './support/services.ts';
import { InviteUser } from './support/team-operations.ts';
import { newVisitorId, visitorBrowser, websiteSession } from './support/widget-operations.ts';

const exec = promisify(execFile);

type AdminResult = { code: number; stdout: string; stderr: string };

/** Runs the operator CLI with the app's configuration, as `npm run admin -- ...args` does from its build. */
async function admin(env: Record<string, string>, ...args: string[]): Promise<AdminResult> {
  try {
    const { stdout, stderr } = await exec(process.execPath, ['--import', 'tsx', 'src/admin.ts', ...args], {
      env: { ...process.env, NODE_ENV: 'test', LOG_LEVEL: 'error', ...env },
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}


const [embedded, shared] = backends();

describe('npm run admin on PostgreSQL + Redis: suspension reaches every instance at once; limits per team', { skip: shared!.skip }, () => {
  let env: Record<string, string>;
  let app: RunningApp;
  let second: RunningApp;
  before(async () => {
    env = { ...(await shared!.env()), JWT_SECRET: randomBytes(32).toString('hex') };
    app = await startApp(env);
    second = await startApp({ ...env, DATA_DIR: `${env.DATA_DIR}-second` });
  });
  after(async () => {
    await second?.stop();
    await app?.stop();
  });

  it("suspending a team refuses its tokens, keys, sign-ins, refreshes and widget with TEAM_SUSPENDED and closes its sockets on every instance; resuming lets it back in", async () => {
    const team = await signUpTenant(app.client, 'Suspended Co');
    const other = await signUpTenant(app.client, 'Bystander Co');
    const key = await createKey(app.client, team.token, ['chats:read']);
    const site = await websiteSession(app, team.token);
    const visitor = visitorBrowser(second, { ...site, visitorId: newVisitorId() });
    const stream = sseSubscribe(second.origin, 'subscription { interactionCreated { id } }', { authorization: `Bearer ${team.token}` });
    await triggerUntilReceived(() => app.client.data(RegisterInteraction, { input: { text: 'live?' } }, { token: team.token }), () => (stream.events.length ? true : undefined));
    const socket = wsClient(second.wsUrl, { authorization: `Bearer ${team.token}` });
    const bystander = wsClient(second.wsUrl, { authorization: `Bearer ${other.token}` });
    await Promise.all([socket.connected, bystander.connected]);

    const suspended = await admin(env, 'suspend', team.tenant.slug, '--reason', 'unpaid invoice');
    assert.equal(suspended.code, 0, suspended.stderr);
    assert.match(suspended.stdout, /status: SUSPENDED since .* \(unpaid invoice\)/);

    // At once: the instances heard it over Redis, well before their periodic re-read.
    await eventually(() => (socket.closes.length ? true : undefined), 2000, 'the socket to close');
    assert.deepEqual([socket.closes[0]!.code, socket.closes[0]!.reason], [4401, 'Team suspended']);
    await stream.done;
    assert.equal(stream.events.at(-1)?.errors?.[0]?.extensions?.code, 'TEAM_SUSPENDED', 'the SSE stream ended too, saying why');
    for (const instance of [app, second]) {
      assertCode(await instance.client.request(Me, {}, { token: team.token }), 'TEAM_SUSPENDED');
      assertCode(await instance.client.request(Me, {}, { apiKey: key.key }), 'TEAM_SUSPENDED');
      assert.equal((await instance.client.request(Me, {}, { token: other.token })).data?.me.id, other.user.id, 'other teams carry on');
    }
    assertCode(await app.client.request(Login, { input: { email: team.email, password: PASSWORD } }), 'TEAM_SUSPENDED');
    assertCode(await app.client.request(Refresh, { refreshToken: team.refreshToken }), 'TEAM_SUSPENDED');
    assertCode(await visitor.send('Anyone there?'), 'TEAM_SUSPENDED');
    assert.equal(bystander.closes.length, 0, "another team's socket stays open");

    const resumed = await admin(env, 'resume', team.tenant.slug);
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.match(resumed.stdout, /status: active/);
    for (const instance of [app, second]) {
      await eventually(async () => ((await instance.client.request(Me, {}, { token: team.token })).data?.me ? true : undefined), 2000, 'the token to work again');
    }
    const { refresh } = await app.client.data(Refresh, { refreshToken: team.refreshToken });
    assert.ok(refresh.accessToken, 'a refused refresh did not use up the refresh token');
    assert.equal((await visitor.send('Back again?')).errors, undefined, 'the widget works again');
    socket.client.dispose();
    bystander.client.dispose();
  });

  it('per-team limits on users (members and open invitations) and API keys take over from the server settings, and go back to them', async () => {
    // A name with a terminal escape: the CLI must print it, not obey it.
    const team = await signUpTenant(app.client, 'Small\u001b[2J plan');
    const set = await admin(env, 'limits', team.tenant.id, '--users', '2', '--api-keys', '1');
    assert.equal(set.code, 0, set.stderr);
    assert.match(set.stdout, /users: 1 of 2\n/);
    assert.match(set.stdout, /api keys: 0 of 1\n/);
    assert.match(set.stdout, /channel sessions: 0 of 10 \(server default\)/);

    await app.client.data(InviteUser, { input: { email: `one-${randomUUID().slice(0, 8)}@example.com` } }, { token: team.token });
    const overUsers = await app.client.request(CreateUser, { input: { email: `two-${randomUUID().slice(0, 8)}@example.com`, password: PASSWORD } }, { token: team.token });
    assertCode(overUsers, 'CONFLICT', 'email');
    assert.match(overUsers.errors![0]!.message, /at most 2 users/);
    assertCode(await app.client.request(InviteUser, { input: { email: `three-${randomUUID().slice(0, 8)}@example.com` } }, { token: team.token }), 'CONFLICT', 'email');
    await createKey(app.client, team.token);
    assertCode(await app.client.request(CreateApiKey, { input: { name: 'second key' } }, { token: team.token }), 'CONFLICT');

    const reset = await admin(env, 'limits', team.tenant.slug, '--api-keys', 'default');
    assert.match(reset.stdout, /api keys: 1 of 500 \(server default\)/);
    await createKey(app.client, team.token);

    const refusals = [
      { args: ['limits', team.tenant.slug, '--users', 'lots'], code: 64, message: /"lots" is not a whole number or "default"/ },
      { args: ['limits', team.tenant.slug, '--users', '0'], code: 1, message: /users: must be at least 1/ },
      { args: ['suspend', 'no-such-team'], code: 1, message: /No team has the slug or id "no-such-team"/ },
      { args: ['suspend'], code: 64, message: /usage: npm run admin/ },
      { args: ['show', team.tenant.slug, '--users', '3'], code: 64, message: /show takes no --users/ },
      { args: ['limits', team.tenant.slug, '--user', '3'], code: 64, message: /Unknown option '--user'/ },
    ];
    const [shown, ...refused] = await Promise.all([admin(env, 'show', team.tenant.slug), ...refusals.map(({ args }) => admin(env, ...args))]);
    assert.ok(shown.stdout.includes('Small\\u001b[2J plan') && !shown.stdout.includes('\u001b'), "a team's name cannot send terminal escapes");
    refusals.forEach(({ args, code, message }, index) => {
      assert.equal(refused[index]!.code, code, `${args.join(' ')}: ${refused[index]!.stderr}`);
      assert.match(refused[index]!.stderr, message);
    });
    assert.match(shown.stdout, /users: 2 of 2\n/, 'a refused change left the limit as it was');
  });
});

describe('npm run admin on the embedded database: while the server is stopped, against its DATA_DIR', { skip: embedded!.skip }, () => {
  it('refuses to open a DATA_DIR a server holds; once it is stopped, a suspension applies from its next start', async () => {
    const env = await embedded!.env();
    let app = await startApp(env);
    const team = await signUpTenant(app.client, 'Embedded Co');
    const key = await createKey(app.client, team.token, ['chats:read']);

    const busy = await admin(env, 'suspend', team.tenant.slug);
    assert.equal(busy.code, 1);
    assert.match(busy.stderr, /is in use by process \d+/);

    await app.stop();
    const suspended = await admin(env, 'suspend', team.tenant.slug);
    assert.equal(suspended.code, 0, suspended.stderr);
    assert.match(suspended.stdout, /channel sessions: 0 of 10 \(server default\)/);

    app = await startApp(env);
    try {
      assertCode(await app.client.request(Me, {}, { token: team.token }), 'TEAM_SUSPENDED');
      assertCode(await app.client.request(Me, {}, { apiKey: key.key }), 'TEAM_SUSPENDED');
      assertCode(await app.client.request(Login, { input: { email: team.email, password: PASSWORD } }), 'TEAM_SUSPENDED');
    } finally {
      await app.stop();
    }
  });
});
