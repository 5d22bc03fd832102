/**
 * The published JSON Schema of each webhook body (webhookEventCatalogue's `schema`), compiled
 * once: every body a test receiver gets is checked against it, so each event any test triggers
 * proves the schema describes what is really sent. Published objects are open, so that adding a
 * field breaks no receiver; here they are closed, so that nothing unpublished is sent either.
 */
import { Ajv } from 'ajv';
import { webhookEventSchemas } from '../../src/modules/webhook-event-schemas.generated.ts';

const ajv = new Ajv({ allErrors: true, strict: true, validateFormats: false });
const validators = new Map(Object.entries(webhookEventSchemas).map(([type, schema]) => [type, ajv.compile(closed(schema) as object)]));

/** The schema with every object that lists its properties refusing any other. */
function closed(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(closed);
  if (!schema || typeof schema !== 'object') return schema;
  const copy = Object.fromEntries(Object.entries(schema).map(([key, value]) => [key, key === 'const' || key === 'enum' ? value : closed(value)]));
  return 'properties' in copy && !('additionalProperties' in copy) ? { ...copy, additionalProperties: false } : copy;
}

/** Why `body` does not match the schema of its type, or null when it does. */
export function webhookSchemaViolation(body: string): string | null {
  let parsed: { type?: unknown };
  try {
    parsed = JSON.parse(body) as { type?: unknown };
  } catch {
    return 'not JSON';
  }
  const type = String(parsed.type);
  const validate = validators.get(type);
  if (!validate) return `no published schema for type ${JSON.stringify(parsed.type)}`;
  return validate(parsed) ? null : `${type}: ${ajv.errorsText(validate.errors)}`;
}
