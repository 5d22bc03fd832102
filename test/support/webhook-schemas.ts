/**
 * The published JSON Schema of each webhook body (webhookEventCatalogue's `schema`), compiled
 * once: every body a test receiver gets is checked against it, so each event any test triggers
 * proves the schema describes what is really sent.
 */
import { Ajv } from 'ajv';
import { webhookEventSchemas } from '../../src/modules/webhook-event-schemas.generated.ts';

const ajv = new Ajv({ allErrors: true, strict: true, validateFormats: false });
const validators = new Map(Object.entries(webhookEventSchemas).map(([type, schema]) => [type, ajv.compile(schema)]));

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
