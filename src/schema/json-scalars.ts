import { GraphQLError, Kind, type ValueNode } from 'graphql';

/**
 * The DateTime and JSON scalars, small enough to keep here rather than load a library of sixty
 * scalars at every start for two of them.
 */

/** RFC 3339 date-time with a time zone: `2026-11-24T10:00:00Z`, `2026-11-24T10:00:00.123+01:00`. */
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/i;

function badInput(message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'BAD_USER_INPUT' } });
}

export const dateTimeScalar = {
  serialize(value: unknown): string {
    const date = value instanceof Date ? value : typeof value === 'string' || typeof value === 'number' ? new Date(value) : null;
    if (!date || Number.isNaN(date.getTime())) throw new GraphQLError(`DateTime cannot represent ${String(value)}`);
    return date.toISOString();
  },
  parseValue(value: unknown): Date {
    if (typeof value !== 'string' || !DATE_TIME.test(value)) {
      throw badInput(`DateTime must be an RFC 3339 date-time string with a time zone, such as 2026-11-24T10:00:00Z; got ${JSON.stringify(value)}`);
    }
    const date = new Date(value);
    if (Number.isNaN(date.getTime())) throw badInput(`DateTime ${value} is not a real date`);
    return date;
  },
  parseLiteral(node: ValueNode): Date {
    if (node.kind !== Kind.STRING) throw badInput('DateTime must be written as a string');
    return dateTimeScalar.parseValue(node.value);
  },
};

export const jsonScalar = {
  serialize: (value: unknown) => value,
  parseValue: (value: unknown) => value,
  parseLiteral(node: ValueNode, variables?: Record<string, unknown> | null): unknown {
    switch (node.kind) {
      case Kind.STRING:
      case Kind.BOOLEAN:
        return node.value;
      case Kind.INT:
      case Kind.FLOAT:
        return Number(node.value);
      case Kind.NULL:
        return null;
      case Kind.LIST:
        return node.values.map((item) => jsonScalar.parseLiteral(item, variables));
      case Kind.OBJECT:
        return Object.fromEntries(node.fields.map((field) => [field.name.value, jsonScalar.parseLiteral(field.value, variables)]));
      case Kind.VARIABLE:
        return variables?.[node.name.value];
      default:
        throw badInput('JSON cannot represent this value');
    }
  },
};
