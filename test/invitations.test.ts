import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { startApp, type RunningApp } from './support/app.ts';
import { assertCode, errorCode } from './support/client.ts';
import { INVITATIONS_PER_TEAM_PER_HOUR } from '../src/modules/invitations/service.ts';
import { addMember, createKey, PASSWORD, signUpTenant } from './support/fixtures.ts';
import { AuditEvents, Login, Me } from './support/operations.ts';
import { backends } from './support/services.ts';
import { AcceptInvitation, InvitationPreview, Invitations, InviteUser, RevokeInvitation } from './support/team-operations.ts';

const uniqueEmail = (label: string) => `${label}-${randomUUID().slice(0, 8)}@example.com`;

for (const backend of backends()) {
  describe(`invitations (${backend.name})`, { skip: backend.skip }, () => {
    let app: RunningApp;
    before(async () => {
      app = await startApp({ ...(await backend.env()), PUBLIC_URL: 'https://api.example.test' });
    });
    after(() => app?.stop());

    const invite = async (token: string, email: string, role: 'ADMIN' | 'USER' = 'USER') =>
      (await app.client.data(InviteUser, { input: { email, role } }, { token })).inviteUser;
    const statusOf = async (token: string, id: string) =>
      (await app.client.data(Invitations, {}, { token })).invitations.find((invitation) => invitation.id === id)?.status;

    it('an admin invites an address with a role; the invitee joins with their own password, once, and every step is audited', async () => {
      const admin = await signUpTenant(app.client, 'Inviting team');
      const email = uniqueEmail('newcomer');
      const created = await invite(admin.token, email.toUpperCase(), 'ADMIN');
      assert.match(created.token, /^inv_[A-Za-z0-9_-]{43}$/);
      assert.equal(created.acceptUrl, `https://api.example.test/accept-invitation?token=${created.token}`);
      assert.equal(created.mailed, false, 'this server sends no mail');
      assert.deepEqual(
        { email: created.invitation.email, role: created.invitation.role, status: created.invitation.status, by: created.invitation.invitedBy?.id },
        { email, role: 'ADMIN', status: 'PENDING', by: admin.user.id },
      );
      const days = (Date.parse(created.invitation.expiresAt) - Date.now()) / 86_400_000;
      assert.ok(days > 6.9 && days <= 7, `expires in a week, not ${days} days`);

      const { invitationPreview } = await app.client.data(InvitationPreview, { token: created.token });
      assert.deepEqual({ ...invitationPreview, expiresAt: undefined }, { email, role: 'ADMIN', teamName: 'Inviting team', expiresAt: undefined });

      const { acceptInvitation } = await app.client.data(AcceptInvitation, { input: { token: created.token, password: 'a new password of mine', fullName: 'Nia Newcomer' } });
      assert.deepEqual(
        { email: acceptInvitation.user.email, role: acceptInvitation.user.role, fullName: acceptInvitation.user.fullName, tenant: acceptInvitation.user.tenant.id },
        { email, role: 'ADMIN', fullName: 'Nia Newcomer', tenant: admin.tenant.id },
      );
      assert.equal((await app.client.data(Me, {}, { token: acceptInvitation.accessToken })).me.email, email);
      assert.equal((await app.client.data(Login, { input: { email, password: 'a new password of mine' } })).login.user.tenant.id, admin.tenant.id);

      assertCode(await app.client.request(AcceptInvitation, { input: { token: created.token, password: 'another password here' } }), 'UNAUTHENTICATED');
      assert.equal((await app.client.data(InvitationPreview, { token: created.token })).invitationPreview, null);
      assert.equal(await statusOf(admin.token, created.invitation.id), 'ACCEPTED');

      const { auditEvents } = await app.client.data(AuditEvents, { first: 20 }, { token: admin.token });
      const types = auditEvents.edges.map((edge) => edge.node.type);
      assert.ok(types.includes('INVITATION_CREATED') && types.includes('INVITATION_ACCEPTED'), types.join());
    });

    it('someone with an account in another team joins signed in as it, or with a password chosen now; the token never tests their other password', async () => {
      const signedIn = await signUpTenant(app.client, 'Their own team');
      const inviting = await signUpTenant(app.client, 'Second team');
      const first = await invite(inviting.token, signedIn.email);
      const joined = await app.client.data(AcceptInvitation, { input: { token: first.token } }, { token: signedIn.token });
      assert.equal(joined.acceptInvitation.user.tenant.id, inviting.tenant.id);
      // The same password now opens both accounts: a sign-in names the team.
      assertCode(await app.client.request(Login, { input: { email: signedIn.email, password: PASSWORD } }), 'BAD_USER_INPUT', 'tenantSlug');
      for (const team of [signedIn.tenant, inviting.tenant]) {
        const { login } = await app.client.data(Login, { input: { email: signedIn.email, password: PASSWORD, tenantSlug: team.slug } });
        assert.equal(login.user.tenant.id, team.id);
      }

      // Whoever holds an invitation to an address learns nothing of its other accounts: any good
      // new password is taken, the answer reads the same with or without one, and the other
      // account keeps its own password.
      const elsewhere = await signUpTenant(app.client, 'Third team');
      const forKnown = await invite(inviting.token, elsewhere.email);
      const forUnknown = await invite(inviting.token, uniqueEmail('unknown'));
      const weakKnown = await app.client.request(AcceptInvitation, { input: { token: forKnown.token, password: 'short' } });
      const weakUnknown = await app.client.request(AcceptInvitation, { input: { token: forUnknown.token, password: 'short' } });
      assert.equal(weakKnown.errors?.[0]?.message, weakUnknown.errors?.[0]?.message);
      const { acceptInvitation } = await app.client.data(AcceptInvitation, { input: { token: forKnown.token, password: 'a second password, new' } });
      assert.equal(acceptInvitation.user.tenant.id, inviting.tenant.id);
      assert.equal((await app.client.data(Login, { input: { email: elsewhere.email, password: 'a second password, new' } })).login.user.tenant.id, inviting.tenant.id);
      assert.equal((await app.client.data(Login, { input: { email: elsewhere.email, password: PASSWORD } })).login.user.tenant.id, elsewhere.tenant.id);

      const signedInAsOther = await app.client.request(AcceptInvitation, { input: { token: forUnknown.token } }, { token: elsewhere.token });
      assertCode(signedInAsOther, 'BAD_USER_INPUT', 'password');
      assert.equal(await statusOf(inviting.token, forUnknown.invitation.id), 'PENDING', "another address's session does not accept it");
    });

    it("the link's page shows the team's name as text, and refuses other methods and oversized forms", async () => {
      const admin = await signUpTenant(app.client, '<script>alert(1)</script> & Co');
      const created = await invite(admin.token, uniqueEmail('page'));
      const path = new URL(created.acceptUrl).pathname + new URL(created.acceptUrl).search;
      const page = await fetch(`${app.origin}${path}`);
      assert.equal(page.status, 200);
      assert.match(page.headers.get('content-security-policy') ?? '', /default-src 'none'/);
      const html = await page.text();
      assert.ok(html.includes('<h1>Join &#60;script&#62;alert(1)&#60;/script&#62; &#38; Co</h1>') && !html.includes('<script>'), html);
      assert.equal((await fetch(`${app.origin}${path}`, { method: 'PUT' })).status, 405);
      const huge = new URLSearchParams({ token: created.token, password: 'x'.repeat(5000) });
      assert.equal((await fetch(`${app.origin}/accept-invitation`, { method: 'POST', body: huge })).status, 413);
      assert.equal((await fetch(`${app.origin}/accept-invitation?token=inv_unknown`)).status, 404);
      assert.equal(await statusOf(admin.token, created.invitation.id), 'PENDING');
    });

    it('one invitation admits one person, however many accept it at once', async () => {
      const admin = await signUpTenant(app.client);
      const email = uniqueEmail('racer');
      const created = await invite(admin.token, email);
      const attempts = await Promise.all(
        Array.from({ length: 5 }, (_, index) => app.client.request(AcceptInvitation, { input: { token: created.token, password: `racing password ${index}` } })),
      );
      assert.equal(attempts.filter((attempt) => attempt.data?.acceptInvitation).length, 1);
      assert.ok(attempts.filter((attempt) => !attempt.data).every((attempt) => errorCode(attempt) === 'UNAUTHENTICATED'));
      assert.equal(await app.prisma().user.count({ where: { email } }), 1);
    });

    it(`lets a team send at most ${INVITATIONS_PER_TEAM_PER_HOUR} invitations an hour (each may mail an address of its choosing)`, async () => {
      const admin = await signUpTenant(app.client);
      const sent = await Promise.all(
        Array.from({ length: INVITATIONS_PER_TEAM_PER_HOUR + 2 }, (_, index) => app.client.request(InviteUser, { input: { email: uniqueEmail(`flood-${index}`) } }, { token: admin.token })),
      );
      assert.equal(sent.filter((result) => result.data?.inviteUser).length, INVITATIONS_PER_TEAM_PER_HOUR);
      assert.ok(sent.filter((result) => !result.data).every((result) => errorCode(result) === 'RATE_LIMITED'));
    });

    it('revokes open invitations; refuses expired ones, members, keys without users:write, other teams and bad input, storing nothing', async () => {
      const admin = await signUpTenant(app.client);
      const { email: memberEmail } = await addMember(app.client, admin.token);
      const { login } = await app.client.data(Login, { input: { email: memberEmail, password: PASSWORD } });
      const stranger = await signUpTenant(app.client, 'Stranger team');
      const reader = await createKey(app.client, admin.token, ['users:read']);

      const created = await invite(admin.token, uniqueEmail('revoked'));
      assertCode(await app.client.request(RevokeInvitation, { id: created.invitation.id }, { token: stranger.token }), 'NOT_FOUND');
      assertCode(await app.client.request(RevokeInvitation, { id: created.invitation.id }, { token: login.accessToken }), 'FORBIDDEN');
      const { revokeInvitation } = await app.client.data(RevokeInvitation, { id: created.invitation.id }, { token: admin.token });
      assert.equal(revokeInvitation.status, 'REVOKED');
      assertCode(await app.client.request(RevokeInvitation, { id: created.invitation.id }, { token: admin.token }), 'CONFLICT', 'id');
      assertCode(await app.client.request(AcceptInvitation, { input: { token: created.token, password: 'a fine new password' } }), 'UNAUTHENTICATED');

      const expiring = await invite(admin.token, uniqueEmail('expired'));
      await app.prisma().invitation.update({ where: { id: expiring.invitation.id }, data: { expiresAt: new Date(Date.now() - 1000) } });
      assertCode(await app.client.request(AcceptInvitation, { input: { token: expiring.token, password: 'a fine new password' } }), 'UNAUTHENTICATED');
      assert.equal(await statusOf(admin.token, expiring.invitation.id), 'EXPIRED');

      const email = uniqueEmail('once');
      assertCode(await app.client.request(InviteUser, { input: { email } }, { token: login.accessToken }), 'FORBIDDEN');
      assertCode(await app.client.request(InviteUser, { input: { email } }, { apiKey: reader.key }), 'FORBIDDEN');
      assertCode(await app.client.request(Invitations, {}, { token: login.accessToken }), 'FORBIDDEN');
      assertCode(await app.client.request(InviteUser, { input: { email: 'not an email' } }, { token: admin.token }), 'BAD_USER_INPUT', 'email');
      assertCode(await app.client.request(InviteUser, { input: { email: memberEmail } }, { token: admin.token }), 'CONFLICT', 'email');
      const open = await invite(admin.token, email);
      assertCode(await app.client.request(InviteUser, { input: { email } }, { token: admin.token }), 'CONFLICT', 'email');

      const weak = await app.client.request(AcceptInvitation, { input: { token: open.token, password: 'password123' } });
      assertCode(weak, 'BAD_USER_INPUT', 'password');
      assert.equal(await statusOf(admin.token, open.invitation.id), 'PENDING');
      assert.equal(await app.prisma().user.count({ where: { email } }), 0, 'no account was made');
      const { invitations } = await app.client.data(Invitations, {}, { token: stranger.token });
      assert.deepEqual(invitations, [], "another team's invitations are not listed");
    });
  });
}
