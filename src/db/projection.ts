/**
 * The part of a Prisma query that decides which columns and relations come back.
 * Resolvers pass the one Pothos computed from the operation, so one query loads what it asks for.
 */
export type Projection<Include, Select> = { include?: Include; select?: Select };
