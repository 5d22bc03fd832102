import { GraphQLError } from 'graphql';
import { DateTimeResolver, JSONResolver } from 'graphql-scalars';
import { builder } from './builder.ts';

builder.addScalarType('DateTime', DateTimeResolver, {
  description: 'A date and time, as an ISO 8601 string in UTC (e.g. 2026-11-24T10:00:00.000Z).',
});
builder.addScalarType('JSON', JSONResolver, { description: 'Any JSON value.' });

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
