import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { startApp, type RunningApp } from './support/app.ts';
import { errorCode } from './support/client.ts';
import { addMember, createKey, PASSWORD, signUpTenant } from './support/fixtures.ts';
import {
  AuditEvents,
  CreateUser,
  CurrentTenant,
  DeactivateApiKey,
  DeleteApiKey,
  Login,
  Me,
  Refresh,
  Users,
} from './support/operations.ts';
import { backends } from './support/services.ts';

for (const backend of backends()) {
  describe(`users and the audit log (${backend.name})`, { skip: backend.skip }, () => {
    let app: RunningApp;
    before(async () => {
      app = await startApp(await backend.env());
    });
    after(() => app?.stop());

    const listUsers = async (token: string) => (await app.client.data(Users, {}, { token })).users;
    const auditLog = async (token: string, first = 100) =>
      (await app.client.data(AuditEvents, { first }, { token })).auditEvents.edges.map(({ node }) => node);
    const memberOf = async (adminToken: string) => {
      const { email, user } = await addMember(app.client, adminToken);
      const { login } = await app.client.data(Login, { input: { email, password: PASSWORD } });
      return { user, token: login.accessToken };
    };

    it("createUser adds a USER to the admin's tenant, who can then sign in", async () => {
      const { token, tenant } = await signUpTenant(app.client);
      const email = `new-${randomUUID().slice(0, 8)}@example.com`;
      const { createUser } = await app.client.data(
        CreateUser,
        { input: { email, password: PASSWORD, fullName: 'Nina New' } },
        { token },
      );
      assert.equal(createUser.role, 'USER');
      assert.equal(createUser.fullName, 'Nina New');
      assert.equal(createUser.tenant.id, tenant.id);
      assert.ok((await listUsers(token)).some((user) => user.id === createUser.id && user.email === email));
      const { login } = await app.client.data(Login, { input: { email, password: PASSWORD } });
      assert.equal(login.user.id, createUser.id);
    });

    it('a duplicate email in the same tenant answers CONFLICT on email and adds no user', async () => {
      const { token } = await signUpTenant(app.client);
      const { email } = await addMember(app.client, token);
      const count = (await listUsers(token)).length;
      for (const duplicate of [email, email.toUpperCase()]) {
        const result = await app.client.request(CreateUser, { input: { email: duplicate, password: PASSWORD } }, { token });
        assert.equal(errorCode(result), 'CONFLICT', duplicate);
        assert.equal(result.errors?.[0]?.extensions?.field, 'email');
      }
      assert.equal((await listUsers(token)).length, count);
    });

    it('the same email may join another tenant; login then needs tenantSlug to choose the tenant', async () => {
      const tenantA = await signUpTenant(app.client, 'Alpha');
      const tenantB = await signUpTenant(app.client, 'Beta');
      const { email, user: inA } = await addMember(app.client, tenantA.token);
      const { createUser: inB } = await app.client.data(CreateUser, { input: { email, password: PASSWORD } }, { token: tenantB.token });
      assert.equal(inB.tenant.id, tenantB.tenant.id);
      assert.notEqual(inB.id, inA.id);

      const ambiguous = await app.client.request(Login, { input: { email, password: PASSWORD } });
      assert.equal(errorCode(ambiguous), 'BAD_USER_INPUT');
      assert.equal(ambiguous.errors?.[0]?.extensions?.field, 'tenantSlug');
      for (const [tenant, user] of [[tenantA.tenant, inA], [tenantB.tenant, inB]] as const) {
        const { login } = await app.client.data(Login, { input: { email, password: PASSWORD, tenantSlug: tenant.slug } });
        assert.deepEqual([login.user.id, login.user.tenant.id], [user.id, tenant.id]);
        assert.equal((await app.client.data(Me, {}, { token: login.accessToken })).me.tenant.id, tenant.id);
      }
    });

    it('a member gets FORBIDDEN on createUser, users and auditEvents, and creates nobody', async () => {
      const { token } = await signUpTenant(app.client);
      const member = await memberOf(token);
      const count = (await listUsers(token)).length;
      const email = `sneaky-${randomUUID().slice(0, 8)}@example.com`;
      const attempts = [
        await app.client.request(CreateUser, { input: { email, password: PASSWORD, role: 'ADMIN' } }, { token: member.token }),
        await app.client.request(Users, {}, { token: member.token }),
        await app.client.request(AuditEvents, {}, { token: member.token }),
      ];
      for (const attempt of attempts) assert.equal(errorCode(attempt), 'FORBIDDEN');
      assert.equal((await listUsers(token)).length, count);
    });

    it('bad createUser input answers BAD_USER_INPUT naming the field, and creates nobody', async () => {
      const { token } = await signUpTenant(app.client);
      const count = (await listUsers(token)).length;
      const cases = [
        [{ email: 'not-an-email', password: PASSWORD }, 'email'],
        [{ email: `short-${randomUUID().slice(0, 8)}@example.com`, password: 'short' }, 'password'],
        [{ email: `long-${randomUUID().slice(0, 8)}@example.com`, password: PASSWORD, fullName: 'x'.repeat(121) }, 'fullName'],
      ] as const;
      for (const [input, field] of cases) {
        const result = await app.client.request(CreateUser, { input }, { token });
        assert.equal(errorCode(result), 'BAD_USER_INPUT', JSON.stringify(input));
        assert.equal(result.errors?.[0]?.extensions?.field, field);
      }
      assert.equal((await listUsers(token)).length, count);
    });

    it("users, tenant and me answer only the viewer's tenant", async () => {
      const tenantA = await signUpTenant(app.client, 'Alpha');
      const { user: memberA } = await addMember(app.client, tenantA.token);
      const tenantB = await signUpTenant(app.client, 'Beta');
      const usersB = await listUsers(tenantB.token);
      assert.deepEqual(usersB.map((user) => user.id), [tenantB.user.id]);
      assert.ok(!usersB.some((user) => [tenantA.user.id, memberA.id].includes(user.id)));
      assert.equal(new Set((await listUsers(tenantA.token)).map((user) => user.id)).size, 2);
      assert.deepEqual((await app.client.data(CurrentTenant, {}, { token: tenantB.token })).tenant, tenantB.tenant);
      const { me } = await app.client.data(Me, {}, { token: tenantB.token });
      assert.deepEqual([me.id, me.tenant.id], [tenantB.user.id, tenantB.tenant.id]);
    });

    it('auditEvents lists newest first, and pages with first/after without gaps or duplicates', async () => {
      const { token } = await signUpTenant(app.client);
      for (let i = 0; i < 3; i++) await addMember(app.client, token);
      for (let i = 0; i < 3; i++) await createKey(app.client, token);
      const all = await auditLog(token);
      assert.equal(all.length, 8); // TENANT_CREATED, USER_CREATED (admin), 3 USER_CREATED, 3 API_KEY_CREATED
      assert.deepEqual(all.map((event) => event.type).slice(0, 3), ['API_KEY_CREATED', 'API_KEY_CREATED', 'API_KEY_CREATED']);
      assert.equal(all.at(-1)?.type, 'TENANT_CREATED');
      for (let i = 1; i < all.length; i++) {
        assert.ok(all[i - 1]!.id > all[i]!.id, 'ids descend');
        assert.ok(Date.parse(all[i - 1]!.createdAt) >= Date.parse(all[i]!.createdAt), 'createdAt does not increase');
      }

      const paged: string[] = [];
      let after: string | null | undefined;
      for (let page = 0; page < 10; page++) {
        const { auditEvents } = await app.client.data(AuditEvents, { first: 2, after }, { token });
        assert.ok(auditEvents.edges.length <= 2);
        paged.push(...auditEvents.edges.map(({ node }) => node.id));
        if (!auditEvents.pageInfo.hasNextPage) break;
        after = auditEvents.pageInfo.endCursor;
      }
      assert.deepEqual(paged, all.map((event) => event.id));
    });

    it('records sign-ins, failed sign-ins, new users, key changes and refresh reuse', async () => {
      const { token, email, user, refreshToken } = await signUpTenant(app.client);
      const { user: member } = await addMember(app.client, token);
      await app.client.data(Login, { input: { email, password: PASSWORD } });
      assert.equal(errorCode(await app.client.request(Login, { input: { email, password: 'wrong password!' } })), 'UNAUTHENTICATED');
      const deactivated = await createKey(app.client, token);
      const deleted = await createKey(app.client, token);
      await app.client.data(DeactivateApiKey, { id: deactivated.apiKey.id }, { token });
      await app.client.data(DeleteApiKey, { id: deleted.apiKey.id }, { token });
      await app.client.data(Refresh, { refreshToken });
      assert.equal(errorCode(await app.client.request(Refresh, { refreshToken })), 'UNAUTHENTICATED');

      // The reuse revoked the sign-up's session, its access token included: read the log from another one.
      const { login } = await app.client.data(Login, { input: { email, password: PASSWORD } });
      const events = await auditLog(login.accessToken);
      const one = (type: string, match: (data: Record<string, unknown>) => boolean = () => true) => {
        const found = events.filter((event) => event.type === type && match(event.data as Record<string, unknown>));
        assert.equal(found.length, 1, `one ${type}`);
        return found[0]!;
      };
      const signIns = events.filter((event) => event.type === 'LOGIN_SUCCEEDED');
      assert.equal(signIns.length, 2);
      assert.ok(signIns.every((event) => event.actor.type === 'USER' && event.actor.id === user.id));
      const failed = one('LOGIN_FAILED');
      assert.deepEqual(failed.actor, { type: 'ANONYMOUS', id: null });
      assert.deepEqual(failed.data, { email, reason: 'wrong_password' });
      assert.deepEqual(one('USER_CREATED', (data) => data.userId === member.id).actor, { type: 'USER', id: user.id });
      one('API_KEY_CREATED', (data) => data.apiKeyId === deactivated.apiKey.id);
      one('API_KEY_DEACTIVATED', (data) => data.apiKeyId === deactivated.apiKey.id);
      one('API_KEY_DELETED', (data) => data.apiKeyId === deleted.apiKey.id);
      assert.equal((one('REFRESH_REUSE_DETECTED').data as { userId: string }).userId, user.id);
      assert.ok(!JSON.stringify(events).includes(PASSWORD) && !JSON.stringify(events).includes('wrong password!'));
    });

    it('caps first at 100 events per page', async () => {
      const { token } = await signUpTenant(app.client);
      for (let batch = 0; batch < 10; batch++) {
        await Promise.all(Array.from({ length: 10 }, () => createKey(app.client, token)));
      }
      const { auditEvents } = await app.client.data(AuditEvents, { first: 1000 }, { token });
      assert.equal(auditEvents.edges.length, 100);
      assert.equal(auditEvents.pageInfo.hasNextPage, true);
      const rest = await app.client.data(AuditEvents, { first: 1000, after: auditEvents.pageInfo.endCursor }, { token });
      assert.equal(rest.auditEvents.edges.length, 2); // 102 events: TENANT_CREATED, USER_CREATED, 100 keys
      assert.equal(rest.auditEvents.pageInfo.hasNextPage, false);
    });

    it("an admin of another tenant never sees a tenant's audit events", async () => {
      const tenantA = await signUpTenant(app.client, 'Alpha');
      await addMember(app.client, tenantA.token);
      await createKey(app.client, tenantA.token);
      await app.client.data(Login, { input: { email: tenantA.email, password: PASSWORD } });
      const tenantB = await signUpTenant(app.client, 'Beta');
      const idsA = new Set((await auditLog(tenantA.token)).map((event) => event.id));
      const eventsB = await auditLog(tenantB.token);
      assert.deepEqual(eventsB.map((event) => event.type).sort(), ['TENANT_CREATED', 'USER_CREATED']);
      assert.ok(eventsB.every((event) => !idsA.has(event.id) && event.actor.id === tenantB.user.id));
    });
  });
}
