import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startApp, type RunningApp } from './support/app.ts';
import { errorCode } from './support/client.ts';
import { PASSWORD, signUpTenant } from './support/fixtures.ts';
import { Login, Logout, Me, Refresh, SignUp } from './support/operations.ts';
import { backends } from './support/services.ts';

for (const backend of backends()) {
  describe(`sign-up, login, refresh and logout (${backend.name})`, { skip: backend.skip }, () => {
    let app: RunningApp;
    before(async () => {
      app = await startApp(await backend.env());
    });
    after(() => app?.stop());

    it('signs up a tenant whose first user is an admin, and answers me with the access token', async () => {
      const { token, user, tenant, email } = await signUpTenant(app.client, 'Café Crème');
      assert.equal(user.role, 'ADMIN');
      assert.equal(tenant.slug, 'cafe-creme');
      const { me } = await app.client.data(Me, {}, { token });
      assert.equal(me.email, email);
      assert.equal(me.tenant.id, tenant.id);
    });

    it('rejects bad sign-up input with the offending field and stores nothing', async () => {
      const cases = [
        [{ tenantName: '', email: 'x@example.com', password: PASSWORD }, 'tenantName'],
        [{ tenantName: 'A'.repeat(101), email: 'x@example.com', password: PASSWORD }, 'tenantName'],
        [{ tenantName: 'Acme', email: 'not-an-email', password: PASSWORD }, 'email'],
        [{ tenantName: 'Acme', email: 'x@example.com', password: 'short' }, 'password'],
      ] as const;
      for (const [input, field] of cases) {
        const result = await app.client.request(SignUp, { input });
        assert.equal(errorCode(result), 'BAD_USER_INPUT', JSON.stringify(input));
        assert.equal(result.errors?.[0]?.extensions?.field, field);
      }
      const login = await app.client.request(Login, { input: { email: 'x@example.com', password: PASSWORD } });
      assert.equal(errorCode(login), 'UNAUTHENTICATED');
    });

    it('logs in, and refuses a wrong password without saying which part was wrong', async () => {
      const { email } = await signUpTenant(app.client);
      const ok = await app.client.data(Login, { input: { email: email.toUpperCase(), password: PASSWORD } });
      assert.equal(ok.login.user.email, email);
      const wrong = await app.client.request(Login, { input: { email, password: 'wrong password!' } });
      const unknown = await app.client.request(Login, { input: { email: `nobody-${email}`, password: PASSWORD } });
      assert.equal(errorCode(wrong), 'UNAUTHENTICATED');
      assert.equal(wrong.errors?.[0]?.message, unknown.errors?.[0]?.message);
    });

    it('rotates refresh tokens and revokes the whole family when a used one comes back', async () => {
      const { refreshToken } = await signUpTenant(app.client);
      const first = await app.client.data(Refresh, { refreshToken });
      const second = await app.client.data(Refresh, { refreshToken: first.refresh.refreshToken });
      const reuse = await app.client.request(Refresh, { refreshToken });
      assert.equal(errorCode(reuse), 'UNAUTHENTICATED');
      assert.match(reuse.errors![0]!.message, /reuse/i);
      const afterReuse = await app.client.request(Refresh, { refreshToken: second.refresh.refreshToken });
      assert.equal(errorCode(afterReuse), 'UNAUTHENTICATED');
    });

    it('logout revokes the refresh token', async () => {
      const { token, refreshToken } = await signUpTenant(app.client);
      const { logout } = await app.client.data(Logout, {}, { token });
      assert.equal(logout, true);
      assert.equal(errorCode(await app.client.request(Refresh, { refreshToken })), 'UNAUTHENTICATED');
    });
  });
}
