import type { CodegenConfig } from '@graphql-codegen/cli';

/** Typed documents for the operations the tests and benchmarks send, from the committed schema. */
const config: CodegenConfig = {
  schema: 'schema.graphql',
  documents: ['test/**/*.ts', 'bench/**/*.ts', '!test/generated/**'],
  ignoreNoDocuments: true,
  generates: {
    'test/generated/': {
      preset: 'client',
      // persisted-documents.json: each operation by its SHA-256, as Apollo's persisted-query link sends it (the tests of TRUSTED_DOCUMENTS use it).
      presetConfig: { fragmentMasking: false, persistedDocuments: { hashAlgorithm: 'sha256' } },
      config: {
        useTypeImports: true,
        enumsAsTypes: true,
        emitLegacyCommonJSImports: false,
        scalars: { DateTime: 'string', JSON: 'unknown', File: 'File' },
      },
    },
  },
};

export default config;
