import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { defaultExtractPersistedOperationId, usePersistedOperations } from '@graphql-yoga/plugin-persisted-operations';
import { GraphQLError, Kind, parse, print, visit, type ASTNode, type DocumentNode, type SelectionNode } from 'graphql';
import type { Plugin } from 'graphql-yoga';

/** Documents one instance remembers for automatic persisted queries; past it, the least recently used go. */
const APQ_DOCUMENTS = 1_000;
/** A longer document is run but not remembered: the cache holds at most APQ_DOCUMENTS of these (32 MB). */
const MAX_APQ_DOCUMENT_CHARS = 32 * 1024;
const HASH_PREFIX = 'sha256:';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
/** Apollo's link sends the bare hex digest; graphql-codegen's manifest prefixes it with `sha256:`. */
const bareHash = (hash: string) => (hash.startsWith(HASH_PREFIX) ? hash.slice(HASH_PREFIX.length) : hash);

export class TrustedDocumentsError extends Error {
  override readonly name = 'TrustedDocumentsError';
}

/**
 * The operations a locked-down deployment runs, from graphql-codegen's `persisted-documents.json`
 * (`{ "sha256:<hex>": "<document>" }`). An operation is trusted when it comes by one of those
 * hashes, or when its text is one of those documents (however it is spaced or ordered), which is
 * how it must come over graphql-ws.
 */
export class TrustedDocuments {
  private readonly byHash = new Map<string, string>();
  private readonly shapes = new Set<string>();
  private readonly checked = new WeakMap<DocumentNode, boolean>();

  constructor(manifest: Record<string, string>) {
    for (const [hash, text] of Object.entries(manifest)) {
      if (typeof text !== 'string' || sha256(text) !== bareHash(hash)) {
        throw new TrustedDocumentsError(`The entry "${hash}" is not the SHA-256 of its document`);
      }
      let document: DocumentNode;
      try {
        document = parse(text);
      } catch (error) {
        throw new TrustedDocumentsError(`The entry "${hash}" is not a GraphQL document: ${(error as Error).message}`);
      }
      this.byHash.set(bareHash(hash), text);
      this.shapes.add(shapeOf(document));
    }
  }

  static load(file: string): TrustedDocuments {
    let manifest: unknown;
    try {
      manifest = JSON.parse(readFileSync(file, 'utf8'));
    } catch (error) {
      throw new TrustedDocumentsError(`TRUSTED_DOCUMENTS: cannot read ${file}: ${(error as Error).message}`);
    }
    if (!manifest || typeof manifest !== 'object' || Array.isArray(manifest)) {
      throw new TrustedDocumentsError(`TRUSTED_DOCUMENTS: ${file} is not a JSON object of hashes to documents`);
    }
    try {
      return new TrustedDocuments(manifest as Record<string, string>);
    } catch (error) {
      throw new TrustedDocumentsError(`TRUSTED_DOCUMENTS: ${file}: ${(error as Error).message}`);
    }
  }

  get size(): number {
    return this.byHash.size;
  }

  document(hash: string): string | null {
    return this.byHash.get(bareHash(hash)) ?? null;
  }

  isTrusted(document: DocumentNode): boolean {
    let trusted = this.checked.get(document);
    if (trusted === undefined) {
      trusted = this.shapes.has(shapeOf(document));
      this.checked.set(document, trusted);
    }
    return trusted;
  }
}

/**
 * The document in a canonical form: definitions, selections, arguments and variables sorted, and
 * `__typename` left out (Apollo Client adds it to every selection; graphql-codegen sorts what it
 * lists), so that the same operation compares equal however a client spelled it.
 */
function shapeOf(document: DocumentNode): string {
  const byPrint = <Node extends ASTNode>(nodes: readonly Node[] | undefined) =>
    nodes && [...nodes].map((node) => [print(node), node] as const).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, node]) => node);
  const canonical = visit(document, {
    SelectionSet: {
      leave: (node) => ({ ...node, selections: byPrint(node.selections.filter((selection) => !isBareTypename(selection)))! }),
    },
    Field: { leave: (node) => ({ ...node, arguments: byPrint(node.arguments) }) },
    Directive: { leave: (node) => ({ ...node, arguments: byPrint(node.arguments) }) },
    OperationDefinition: { leave: (node) => ({ ...node, variableDefinitions: byPrint(node.variableDefinitions) }) },
  });
  return byPrint(canonical.definitions)!.map((definition) => print(definition)).join('\n');
}

const isBareTypename = (selection: SelectionNode) => selection.kind === Kind.FIELD && selection.name.value === '__typename' && !selection.alias;

/** What recent clients sent with their hash, for automatic persisted queries. */
class RecentDocuments {
  private readonly documents = new Map<string, string>();

  get(hash: string): string | null {
    const text = this.documents.get(hash);
    if (text === undefined) return null;
    this.documents.delete(hash);
    this.documents.set(hash, text);
    return text;
  }

  remember(hash: string, text: string): void {
    this.documents.delete(hash);
    this.documents.set(hash, text);
    if (this.documents.size > APQ_DOCUMENTS) this.documents.delete(this.documents.keys().next().value!);
  }
}

const NOT_FOUND = { message: 'PersistedQueryNotFound', extensions: { code: 'PERSISTED_QUERY_NOT_FOUND' } };
/** Neither a query nor a hash: what Yoga answers without the plugin. */
const NO_QUERY = { message: 'Must provide query string.', extensions: { code: 'BAD_REQUEST', http: { status: 400 } } };

/**
 * Apollo's automatic persisted queries, or with `trusted`, trusted documents only.
 * - Without: a request may send a hash alone; a hash this instance has not seen answers
 *   PERSISTED_QUERY_NOT_FOUND, and the client sends the query with its hash, which is checked
 *   and remembered. Any query may still come as text.
 * - With: hashes are looked up in the manifest, and any operation, whichever transport it came
 *   by, is refused as a validation error (PERSISTED_QUERY_NOT_TRUSTED) unless it is one of its documents.
 */
export function persistedOperations<Context extends Record<string, unknown>>(trusted?: TrustedDocuments): Plugin<Context>[] {
  const recent = new RecentDocuments();
  const lookUp = usePersistedOperations<Context>({
    allowArbitraryOperations: true,
    getPersistedOperation: (hash) => (trusted ? trusted.document(hash) : recent.get(bareHash(hash))),
    customErrors: { notFound: NOT_FOUND, keyNotFound: NO_QUERY },
  });
  if (trusted) {
    const onlyTrusted: Plugin<Context> = {
      onValidate: ({ params, setResult }) => {
        if (!trusted.isTrusted(params.documentAST)) {
          setResult([new GraphQLError('This operation is not one of the trusted documents', { extensions: { code: 'PERSISTED_QUERY_NOT_TRUSTED' } })]);
        }
      },
    };
    return [lookUp, onlyTrusted];
  }
  // A query sent with its hash is remembered once it passed validation: only documents this server runs take room.
  const sentWithHash = new WeakMap<object, { hash: string; query: string }>();
  const remember: Plugin<Context> = {
    onParams: ({ params, request, setResult, context }) => {
      const hash = defaultExtractPersistedOperationId(params, request, context);
      if (!hash || typeof params.query !== 'string') return;
      if (sha256(params.query) !== bareHash(hash)) {
        setResult({ errors: [new GraphQLError('The persisted query hash is not the SHA-256 of the query', { extensions: { code: 'PERSISTED_QUERY_HASH_MISMATCH' } })] });
        return;
      }
      if (params.query.length <= MAX_APQ_DOCUMENT_CHARS) sentWithHash.set(context, { hash: bareHash(hash), query: params.query });
    },
    onValidate: ({ context }) => {
      const sent = sentWithHash.get(context);
      if (!sent) return;
      return ({ valid }) => {
        if (valid) recent.remember(sent.hash, sent.query);
      };
    },
  };
  return [remember, lookUp];
}
