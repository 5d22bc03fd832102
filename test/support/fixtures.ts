import { randomUUID } from 'node:crypto';
import type { GraphQLClient } from './client.ts';
import { CreateApiKey, CreateUser, SignUp } from './operations.ts';

export const PASSWORD = 'correct horse battery staple';

/** A fresh tenant with its admin signed in. Emails are unique per call. */
export async function signUpTenant(client: GraphQLClient, name = 'Acme') {
  const email = `admin-${randomUUID().slice(0, 8)}@example.com`;
  const { signUp } = await client.data(SignUp, {
    input: { tenantName: name, email, password: PASSWORD, fullName: 'Ada Admin' },
  });
  return { email, token: signUp.accessToken, refreshToken: signUp.refreshToken, user: signUp.user, tenant: signUp.user.tenant };
}

/** A USER-role member of the admin's tenant, signed in. */
export async function addMember(client: GraphQLClient, adminToken: string) {
  const email = `member-${randomUUID().slice(0, 8)}@example.com`;
  const { createUser } = await client.data(CreateUser, { input: { email, password: PASSWORD, role: 'USER' } }, { token: adminToken });
  return { email, user: createUser };
}

export async function createKey(client: GraphQLClient, token: string, scopes?: string[]) {
  const { createApiKey } = await client.data(CreateApiKey, { input: { name: 'test key', scopes } }, { token });
  return { key: createApiKey.key, apiKey: createApiKey.apiKey };
}
