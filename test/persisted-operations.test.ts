import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ApolloClient, HttpLink, InMemoryCache, type DocumentNode } from '@apollo/client';
import { createPersistedQueryLink } from '@apollo/client/link/persisted-queries';
import { print } from 'graphql';
import { startApp, type RunningApp } from './support/app.ts';
import { collect, wsClient } from './support/client.ts';
import { signUpTenant } from './support/fixtures.ts';
import { CreateApiKey, Me, OnAuditEvent } from './support/operations.ts';
import { backends } from './support/services.ts';
import { removeTempDir, tempDir } from './support/temp-dirs.ts';

const MANIFEST = fileURLToPath(new URL('./generated/persisted-documents.json', import.meta.url));
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

type Sent = { query?: string; hash?: string; status: number };

/**
 * Apollo Client as a frontend sets it up: the persisted-query link before an HttpLink, whose
 * requests (and their answers' statuses) are recorded. `fromManifest` hashes as graphql-codegen's
 * manifest does (`document.__meta__.hash`), otherwise Apollo hashes the printed query itself.
 */
function apollo(app: RunningApp, token: string, { fromManifest = false } = {}) {
  const sent: Sent[] = [];
  const recordingFetch: typeof fetch = async (input, init) => {
    const body = JSON.parse(String(init?.body)) as { query?: string; extensions?: { persistedQuery?: { sha256Hash: string } } };
    const response = await fetch(input, init);
    sent.push({ query: body.query, hash: body.extensions?.persistedQuery?.sha256Hash, status: response.status });
    return response;
  };
  const persisted = fromManifest
    ? createPersistedQueryLink({ generateHash: (document) => (document as DocumentNode & { __meta__: { hash: string } }).__meta__.hash })
    : createPersistedQueryLink({ sha256 });
  const http = new HttpLink({ uri: `${app.origin}/graphql`, headers: { authorization: `Bearer ${token}` }, fetch: recordingFetch });
  const client = new ApolloClient({ link: persisted.concat(http), cache: new InMemoryCache() });
  return { client, sent };
}

async function post(app: RunningApp, body: unknown, token?: string) {
  const headers = { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) };
  const response = await fetch(`${app.origin}/graphql`, { method: 'POST', headers, body: JSON.stringify(body) });
  return (await response.json()) as { data?: unknown; errors?: { message: string; extensions?: { code?: string } }[] };
}

for (const backend of backends()) {
  describe(`automatic persisted queries (${backend.name})`, { skip: backend.skip }, () => {
    let app: RunningApp;
    let admin: Awaited<ReturnType<typeof signUpTenant>>;
    before(async () => {
      app = await startApp(await backend.env());
      admin = await signUpTenant(app.client);
    });
    after(() => app?.stop());

    it("works with Apollo Client's link: a miss, its fallback with the query, then the hash alone", async () => {
      const { client, sent } = apollo(app, admin.token);
      const first = await client.query({ query: Me, fetchPolicy: 'network-only' });
      assert.equal(first.data?.me.email, admin.email);
      const second = await client.query({ query: Me, fetchPolicy: 'network-only' });
      assert.equal(second.data?.me.email, admin.email);
      // Apollo's cache adds __typename to the query it sends and hashes.
      const query = sent[1]?.query ?? '';
      assert.match(query, /^query Me \{/);
      const hash = sha256(query);
      assert.deepEqual(sent, [
        { query: undefined, hash, status: 200 },
        { query, hash, status: 200 },
        { query: undefined, hash, status: 200 },
      ]);
    });

    it('answers PERSISTED_QUERY_NOT_FOUND for an unknown hash, and refuses a query sent with the hash of another', async () => {
      assert.deepEqual((await post(app, {})).errors?.map((error) => [error.message, error.extensions?.code]), [['Must provide query string.', 'BAD_REQUEST']]);
      const unknown = await post(app, { extensions: { persistedQuery: { version: 1, sha256Hash: sha256('{ nothing }') } } });
      assert.deepEqual(unknown.errors?.map((error) => [error.message, error.extensions?.code]), [['PersistedQueryNotFound', 'PERSISTED_QUERY_NOT_FOUND']]);
      const query = '{ __typename }';
      const mismatched = await post(app, { query, extensions: { persistedQuery: { version: 1, sha256Hash: sha256('{ me { id } }') } } });
      assert.equal(mismatched.errors?.[0]?.extensions?.code, 'PERSISTED_QUERY_HASH_MISMATCH');
      assert.equal(mismatched.data, undefined);
      const stillUnknown = await post(app, { extensions: { persistedQuery: { version: 1, sha256Hash: sha256('{ me { id } }') } } }, admin.token);
      assert.equal(stillUnknown.errors?.[0]?.extensions?.code, 'PERSISTED_QUERY_NOT_FOUND', 'a mismatched pair must not be remembered');
    });

    it('runs but does not remember an invalid query, nor one over 32 KB', async () => {
      const invalid = '{ noSuchField }';
      const persisted = (query: string) => ({ version: 1, sha256Hash: sha256(query) });
      assert.equal((await post(app, { query: invalid, extensions: { persistedQuery: persisted(invalid) } })).errors?.[0]?.extensions?.code, 'GRAPHQL_VALIDATION_FAILED');
      assert.equal((await post(app, { extensions: { persistedQuery: persisted(invalid) } })).errors?.[0]?.extensions?.code, 'PERSISTED_QUERY_NOT_FOUND');
      const large = `{ __typename ${'\n'.repeat(33 * 1024)}}`;
      assert.deepEqual((await post(app, { query: large, extensions: { persistedQuery: persisted(large) } })).data, { __typename: 'Query' });
      assert.equal((await post(app, { extensions: { persistedQuery: persisted(large) } })).errors?.[0]?.extensions?.code, 'PERSISTED_QUERY_NOT_FOUND');
      const small = '{ __typename }';
      await post(app, { query: small, extensions: { persistedQuery: persisted(small) } });
      assert.deepEqual((await post(app, { extensions: { persistedQuery: persisted(small) } })).data, { __typename: 'Query' });
    });
  });

  describe(`trusted documents (${backend.name})`, { skip: backend.skip }, () => {
    let app: RunningApp;
    let admin: Awaited<ReturnType<typeof signUpTenant>>;
    before(async () => {
      app = await startApp({ ...(await backend.env()), TRUSTED_DOCUMENTS: MANIFEST });
      admin = await signUpTenant(app.client);
    });
    after(() => app?.stop());

    it('runs a listed operation by its manifest hash alone, as Apollo Client sends it', async () => {
      const { client, sent } = apollo(app, admin.token, { fromManifest: true });
      const { data } = await client.query({ query: Me, fetchPolicy: 'network-only' });
      assert.equal(data?.me.email, admin.email);
      assert.equal(sent.length, 1);
      assert.equal(sent[0]!.query, undefined);
      assert.match(sent[0]!.hash!, /^sha256:[0-9a-f]{64}$/);
    });

    it('runs a listed operation sent as text, however spelled, and refuses any other, by text or by an unknown hash', async () => {
      const listed = await post(app, { query: print(Me) }, admin.token);
      assert.equal((listed.data as { me: { email: string } }).me.email, admin.email);
      const respelled = 'query Me { me { __typename tenant { slug name id } role isActive fullName email id } }';
      assert.equal(((await post(app, { query: respelled }, admin.token)).data as { me: { email: string } }).me.email, admin.email);
      const other = await post(app, { query: '{ me { id email } }' }, admin.token);
      assert.equal(other.data, undefined);
      assert.deepEqual(other.errors?.map((error) => error.extensions?.code), ['PERSISTED_QUERY_NOT_TRUSTED']);
      const introspection = await post(app, { query: '{ __schema { types { name } } }' });
      assert.equal(introspection.errors?.[0]?.extensions?.code, 'PERSISTED_QUERY_NOT_TRUSTED');
      const unknown = await post(app, { extensions: { persistedQuery: { version: 1, sha256Hash: sha256('{ me { id email } }') } } }, admin.token);
      assert.equal(unknown.errors?.[0]?.extensions?.code, 'PERSISTED_QUERY_NOT_FOUND');
    });

    it('applies over graphql-ws too: a listed subscription runs, another operation is refused', async () => {
      const { client } = wsClient(app.wsUrl, { authorization: `Bearer ${admin.token}` });
      try {
        const refused = await new Promise<readonly { extensions?: { code?: string } }[]>((resolve) => {
          client.subscribe({ query: '{ me { id email } }' }, { next: (result) => resolve(result.errors ?? []), error: (errors) => resolve(errors as never), complete: () => {} });
        });
        assert.equal(refused[0]?.extensions?.code, 'PERSISTED_QUERY_NOT_TRUSTED');
        const audit = collect(client, OnAuditEvent);
        for (let attempt = 0; audit.events.length === 0 && attempt < 20; attempt++) {
          await app.client.data(CreateApiKey, { input: { name: `trusted ${attempt}` } }, { token: admin.token });
          await audit.next(1, 300).catch(() => {});
        }
        assert.ok(audit.events.length > 0, `no audit event: ${JSON.stringify(audit.errors)}`);
      } finally {
        await client.dispose();
      }
    });

    it('refuses to start on a manifest entry whose hash is not its document, naming it', async () => {
      const dir = await tempDir('trusted');
      try {
        const file = join(dir, 'persisted-documents.json');
        await writeFile(file, JSON.stringify({ [`sha256:${sha256('{ a }')}`]: '{ b }' }));
        await assert.rejects(startApp({ ...(await backend.env()), TRUSTED_DOCUMENTS: file }), /TRUSTED_DOCUMENTS: .*"sha256:[0-9a-f]+" is not the SHA-256 of its document/);
      } finally {
        await removeTempDir(dir);
      }
    });
  });
}
