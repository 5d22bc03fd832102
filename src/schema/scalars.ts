import { GraphQLError } from 'graphql';
import { builder } from './builder.ts';
import { dateTimeScalar, jsonScalar } from './json-scalars.ts';

builder.scalarType('DateTime', {
  description:
    'A date and time. Output: an ISO 8601 string in UTC (e.g. 2026-11-24T10:00:00.000Z). ' +
    'Input: an RFC 3339 date-time with a time zone (Z or an offset).',
  specifiedByURL: 'https://www.rfc-editor.org/rfc/rfc3339',
  ...dateTimeScalar,
});
builder.scalarType('JSON', { description: 'Any JSON value.', specifiedByURL: 'https://www.rfc-editor.org/rfc/rfc8259', ...jsonScalar });

/** Yoga hands a GraphQL multipart request's files to resolvers as Web `File`s (its own implementation on Node). */
const isFile = (value: unknown): value is File =>
  typeof value === 'object' && value !== null && typeof (value as File).arrayBuffer === 'function' && typeof (value as File).size === 'number';

builder.scalarType('File', {
  description:
    'A file sent with the request as per the GraphQL multipart request specification ' +
    '(https://github.com/jaydenseric/graphql-multipart-request-spec). Input only.',
  serialize: () => {
    throw new GraphQLError('File is an input-only scalar');
  },
  parseValue: (value) => {
    if (!isFile(value)) throw new GraphQLError('Expected a file sent as a GraphQL multipart request', { extensions: { code: 'BAD_USER_INPUT' } });
    return value;
  },
  parseLiteral: () => {
    throw new GraphQLError('A file cannot be written in the query: send it as a GraphQL multipart request', { extensions: { code: 'BAD_USER_INPUT' } });
  },
});
