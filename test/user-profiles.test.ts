import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { print } from 'graphql';
import type { UploadMyAvatarMutation } from './generated/graphql.ts';
import { startApp, type RunningApp } from './support/app.ts';
import { assertCode, type GraphQLErrorShape } from './support/client.ts';
import { addMember, createKey, PASSWORD, signUpTenant } from './support/fixtures.ts';
import { images, pngOfSize } from './support/images.ts';
import { Login } from './support/operations.ts';
import { backends } from './support/services.ts';
import { Profile, RemoveMyAvatar, TeamMembers, UpdateMyProfile, UploadMyAvatar } from './support/team-operations.ts';

for (const backend of backends()) {
  describe(`profiles: name, preferences, picture, last sign-in (${backend.name})`, { skip: backend.skip }, () => {
    let app: RunningApp;
    before(async () => {
      app = await startApp(await backend.env());
    });
    after(() => app?.stop());

    /** A GraphQL multipart request, as Apollo's and urql's upload links send it. */
    const upload = async (token: string, bytes: Uint8Array, type = 'image/png') => {
      const form = new FormData();
      form.set('operations', JSON.stringify({ query: print(UploadMyAvatar), variables: { file: null } }));
      form.set('map', JSON.stringify({ 0: ['variables.file'] }));
      form.set('0', new File([new Uint8Array(bytes)], 'me.png', { type }));
      const response = await fetch(`${app.origin}/graphql`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: form });
      return (await response.json()) as { data?: UploadMyAvatarMutation | null; errors?: GraphQLErrorShape[] };
    };

    it('a member edits their own name and preferences; preferences are theirs alone to read', async () => {
      const admin = await signUpTenant(app.client);
      const { email } = await addMember(app.client, admin.token);
      const { login } = await app.client.data(Login, { input: { email, password: PASSWORD } });
      const preferences = { theme: 'dark', language: 'pt-BR', notifications: { hotLeads: true } };

      const { updateMyProfile } = await app.client.data(UpdateMyProfile, { input: { fullName: '  Bea Member ', preferences } }, { token: login.accessToken });
      assert.deepEqual({ fullName: updateMyProfile.fullName, preferences: updateMyProfile.preferences }, { fullName: 'Bea Member', preferences });
      const { me } = await app.client.data(Profile, {}, { token: login.accessToken });
      assert.deepEqual(me.preferences, preferences);
      assert.ok(me.lastLoginAt && Date.now() - Date.parse(me.lastLoginAt) < 60_000, 'login records when');

      const { users } = await app.client.data(TeamMembers, {}, { token: admin.token });
      const seenByAdmin = users.find((user) => user.id === me.id);
      assert.equal(seenByAdmin?.preferences, null, "an admin does not read a member's preferences");
      assert.equal(seenByAdmin?.lastLoginAt, me.lastLoginAt);

      const onlyName = await app.client.data(UpdateMyProfile, { input: { fullName: null } }, { token: login.accessToken });
      assert.deepEqual({ fullName: onlyName.updateMyProfile.fullName, preferences: onlyName.updateMyProfile.preferences }, { fullName: null, preferences });
    });

    it('refuses oversized or non-object preferences, blank names and API keys, storing nothing', async () => {
      const admin = await signUpTenant(app.client);
      await app.client.data(UpdateMyProfile, { input: { fullName: 'Ada', preferences: { theme: 'light' } } }, { token: admin.token });
      const refusals = [
        { input: { preferences: { blob: 'x'.repeat(9000) } }, field: 'preferences' },
        { input: { preferences: ['not', 'an', 'object'] }, field: 'preferences' },
        { input: { preferences: 'dark' }, field: 'preferences' },
        { input: { fullName: '   ' }, field: 'fullName' },
        { input: { fullName: 'x'.repeat(121), preferences: { theme: 'dark' } }, field: 'fullName' },
      ];
      for (const { input, field } of refusals) {
        assertCode(await app.client.request(UpdateMyProfile, { input }, { token: admin.token }), 'BAD_USER_INPUT', field);
      }
      const key = await createKey(app.client, admin.token, ['users:read', 'users:write']);
      assertCode(await app.client.request(UpdateMyProfile, { input: { fullName: 'By key' } }, { apiKey: key.key }), 'FORBIDDEN');
      assertCode(await app.client.request(RemoveMyAvatar, {}, { apiKey: key.key }), 'FORBIDDEN');
      const { me } = await app.client.data(Profile, {}, { token: admin.token });
      assert.deepEqual({ fullName: me.fullName, preferences: me.preferences }, { fullName: 'Ada', preferences: { theme: 'light' } });
    });

    it('uploads a picture judged by its bytes, serves it by its content address, and removes it', async () => {
      const admin = await signUpTenant(app.client);
      const uploaded = await upload(admin.token, images['image/png']);
      assert.equal(uploaded.errors, undefined, JSON.stringify(uploaded.errors));
      const url = uploaded.data!.uploadMyAvatar.avatarUrl!;
      const hash = createHash('sha256').update(images['image/png']).digest('hex');
      assert.equal(url, `/avatars/users/${uploaded.data!.uploadMyAvatar.id}/${hash}`);
      const served = await fetch(`${app.origin}${url}`);
      assert.equal(served.status, 200);
      assert.equal(served.headers.get('content-type'), 'image/png');
      assert.deepEqual(new Uint8Array(await served.arrayBuffer()), new Uint8Array(images['image/png']));
      assert.equal((await fetch(`${app.origin}/avatars/agents/${uploaded.data!.uploadMyAvatar.id}/${hash}`)).status, 404, "a user's picture is not an agent's");

      const notImage = await upload(admin.token, Buffer.from('GIF? no, plain text pretending'), 'image/gif');
      assert.equal(notImage.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT');
      const tooBig = await upload(admin.token, pngOfSize(2 * 1024 * 1024 + 1));
      assert.equal(tooBig.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT');
      assert.equal((await app.client.data(Profile, {}, { token: admin.token })).me.avatarUrl, url, 'a refused upload keeps the picture');

      const { removeMyAvatar } = await app.client.data(RemoveMyAvatar, {}, { token: admin.token });
      assert.equal(removeMyAvatar.avatarUrl, null);
      assert.equal((await fetch(`${app.origin}${url}`)).status, 404);
    });
  });
}
