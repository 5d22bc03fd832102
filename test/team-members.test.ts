import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { startApp, type RunningApp } from './support/app.ts';
import { assertCode, wsClient } from './support/client.ts';
import { addMember, createKey, eventually, PASSWORD, signUpTenant, sseSubscribe, triggerUntilReceived } from './support/fixtures.ts';
import { AuditEvents, Login, Me, RegisterInteraction, Users } from './support/operations.ts';
import { backends } from './support/services.ts';
import { CreateSession, SessionById } from './support/session-operations.ts';
import { Invitations, InviteUser, TeamMembers, UpdateUser } from './support/team-operations.ts';

for (const backend of backends()) {
  describe(`managing people: roles and active state (${backend.name})`, { skip: backend.skip }, () => {
    let app: RunningApp;
    let second: RunningApp;
    before(async () => {
      // One JWT secret for both instances, as a deployment shares it.
      const env: Record<string, string> = { ...(await backend.env()), JWT_SECRET: randomBytes(32).toString('hex') };
      app = await startApp(env);
      // On PostgreSQL + Redis a second instance shares the database: what one does, the other enforces.
      second = backend.name === 'embedded' ? app : await startApp({ ...env, DATA_DIR: `${env.DATA_DIR}-second` });
    });
    after(async () => {
      if (second !== app) await second?.stop();
      await app?.stop();
    });

    const team = async () => {
      const admin = await signUpTenant(app.client);
      const { email, user } = await addMember(app.client, admin.token);
      const { login } = await app.client.data(Login, { input: { email, password: PASSWORD } });
      return { admin, member: { email, user, token: login.accessToken } };
    };
    /** An SSE subscription to interactionCreated, once it is known to be live (an interaction it heard). */
    const liveInteractions = async (instance: RunningApp, token: string, writerToken: string) => {
      const stream = sseSubscribe(instance.origin, 'subscription { interactionCreated { id } }', { authorization: `Bearer ${token}` });
      await triggerUntilReceived(() => app.client.data(RegisterInteraction, { input: { text: 'are you there?' } }, { token: writerToken }), () => (stream.events.length > 0 ? true : undefined));
      return stream;
    };
    const auditTypes = async (token: string) =>
      (await app.client.data(AuditEvents, { first: 50 }, { token })).auditEvents.edges.map((edge) => edge.node);

    it('deactivating a member ends their sessions, deactivates their keys and closes their sockets on every instance; reactivating lets them sign in again', async () => {
      const { admin, member } = await team();
      const key = await createKey(app.client, member.token, ['chats:read']);
      const stream = await liveInteractions(second, member.token, admin.token);
      const socket = wsClient(second.wsUrl, { authorization: `Bearer ${member.token}` });
      const keySocket = wsClient(second.wsUrl, { apiKey: key.key });
      await Promise.all([socket.connected, keySocket.connected]);

      const { updateUser } = await app.client.data(UpdateUser, { id: member.user.id, input: { isActive: false } }, { token: admin.token });
      assert.deepEqual({ id: updateUser.id, isActive: updateUser.isActive, role: updateUser.role }, { id: member.user.id, isActive: false, role: 'USER' });

      for (const instance of [app, second]) {
        assertCode(await instance.client.request(Me, {}, { token: member.token }), 'UNAUTHENTICATED');
        assertCode(await instance.client.request(Me, {}, { apiKey: key.key }), 'UNAUTHENTICATED');
      }
      await eventually(() => (socket.closes.length && keySocket.closes.length ? true : undefined), 5000, 'both sockets to close');
      assert.equal(socket.closes[0]!.code, 4401);
      assert.equal(keySocket.closes[0]!.code, 4401);
      await stream.done;
      assert.equal(stream.events.at(-1)?.errors?.[0]?.extensions?.code, 'UNAUTHENTICATED', 'the SSE stream ended with the reason');
      assertCode(await app.client.request(Login, { input: { email: member.email, password: PASSWORD } }), 'UNAUTHENTICATED');

      const reactivated = await app.client.data(UpdateUser, { id: member.user.id, input: { isActive: true } }, { token: admin.token });
      assert.equal(reactivated.updateUser.isActive, true);
      const { login } = await app.client.data(Login, { input: { email: member.email, password: PASSWORD } });
      assert.equal((await app.client.data(Me, {}, { token: login.accessToken })).me.id, member.user.id);
      assertCode(await app.client.request(Me, {}, { apiKey: key.key }), 'UNAUTHENTICATED', undefined);

      const events = await auditTypes(admin.token);
      const deactivated = events.find((event) => event.type === 'USER_DEACTIVATED');
      assert.deepEqual((deactivated?.data as { userId: string }).userId, member.user.id);
      assert.ok(events.some((event) => event.type === 'USER_REACTIVATED'));
      socket.client.dispose();
      keySocket.client.dispose();
    });

    it("the team's last active admin can be neither demoted nor deactivated; with a second admin, a demotion ends the demoted admin's sessions", async () => {
      const { admin, member } = await team();
      const me = (await app.client.data(Me, {}, { token: admin.token })).me;
      assertCode(await app.client.request(UpdateUser, { id: me.id, input: { role: 'USER' } }, { token: admin.token }), 'CONFLICT', 'role');
      assertCode(await app.client.request(UpdateUser, { id: me.id, input: { isActive: false } }, { token: admin.token }), 'CONFLICT', 'isActive');
      assert.deepEqual((await app.client.data(Me, {}, { token: admin.token })).me.role, 'ADMIN', 'a refused change leaves the admin as they were');

      const promoted = await app.client.data(UpdateUser, { id: member.user.id, input: { role: 'ADMIN' } }, { token: admin.token });
      assert.equal(promoted.updateUser.role, 'ADMIN');
      const { login } = await app.client.data(Login, { input: { email: member.email, password: PASSWORD } });
      const adminKey = await createKey(app.client, admin.token, ['users:read', 'chats:read']);
      assert.equal((await app.client.request(Users, {}, { apiKey: adminKey.key })).errors, undefined);
      const { inviteUser } = await app.client.data(InviteUser, { input: { email: `alias-${member.user.id.slice(-8)}@example.com`, role: 'ADMIN' } }, { token: admin.token });
      const { createSession } = await app.client.data(CreateSession, { input: { name: 'Shop', channel: 'WEBSITE' } }, { token: admin.token });
      const sessionKey = createSession.apiKey;

      const demoted = await app.client.data(UpdateUser, { id: me.id, input: { role: 'USER' } }, { token: login.accessToken });
      assert.equal(demoted.updateUser.role, 'USER');
      for (const instance of [app, second]) {
        assertCode(await instance.client.request(Me, {}, { token: admin.token }), 'UNAUTHENTICATED');
        assertCode(await instance.client.request(Users, {}, { apiKey: adminKey.key }), 'FORBIDDEN');
        assert.equal((await instance.client.request(Me, {}, { apiKey: adminKey.key })).data?.me.role, 'USER', 'the key still works, with the new role');
      }
      const invitations = (await app.client.data(Invitations, {}, { token: login.accessToken })).invitations;
      assert.equal(invitations.find((invitation) => invitation.id === inviteUser.invitation.id)?.status, 'REVOKED', "a demoted admin's open invitations are revoked");
      const bySessionKey = await second.client.request(SessionById, { id: createSession.session.id }, { apiKey: sessionKey });
      assert.equal(bySessionKey.data?.session?.id, createSession.session.id, "the channel session's key keeps working, now held by the admin who demoted");
      // Now the member is the last admin.
      assertCode(await app.client.request(UpdateUser, { id: member.user.id, input: { isActive: false } }, { token: login.accessToken }), 'CONFLICT', 'isActive');
    });

    it('refuses members, API keys without users:write, other teams and bad input, changing nothing', async () => {
      const { admin, member } = await team();
      const stranger = await signUpTenant(app.client, 'Other team');
      const reader = await createKey(app.client, admin.token, ['users:read']);
      const writer = await createKey(app.client, admin.token, ['users:read', 'users:write']);
      assertCode(await app.client.request(UpdateUser, { id: member.user.id, input: { role: 'ADMIN' } }, { token: member.token }), 'FORBIDDEN');
      assertCode(await app.client.request(UpdateUser, { id: member.user.id, input: { role: 'ADMIN' } }, { apiKey: reader.key }), 'FORBIDDEN');
      assertCode(await app.client.request(UpdateUser, { id: member.user.id, input: { isActive: false } }, { token: stranger.token }), 'NOT_FOUND');
      assertCode(await app.client.request(UpdateUser, { id: 'not-a-user', input: { isActive: false } }, { token: admin.token }), 'NOT_FOUND');
      const badRole = await app.client.request(UpdateUser, { id: member.user.id, input: { role: 'OWNER' as 'ADMIN' } }, { token: admin.token });
      assert.ok(badRole.errors?.[0]?.message.includes('OWNER'), JSON.stringify(badRole.errors));

      const { users } = await app.client.data(TeamMembers, {}, { token: admin.token });
      const unchanged = users.find((user) => user.id === member.user.id);
      assert.deepEqual({ role: unchanged?.role, isActive: unchanged?.isActive }, { role: 'USER', isActive: true }, 'no refused call changed the member');
      // A key that holds users:write may change members: the rule for minting keys is about keys only.
      const byKey = await app.client.data(UpdateUser, { id: member.user.id, input: { isActive: false } }, { apiKey: writer.key });
      assert.equal(byKey.updateUser.isActive, false);
    });
  });
}
