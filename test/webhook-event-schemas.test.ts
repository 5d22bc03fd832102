/**
 * The published webhook body schemas: generated from the types the code emits and committed;
 * every test receiver checks the bodies it gets against them (support/receiver.ts), so each event
 * the suite triggers proves its schema. This file proves the check itself can fail.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { SCHEMAS_FILE, webhookEventSchemasModule } from '../src/build/webhook-event-schemas.ts';
import { webhookSchemaViolation } from './support/webhook-schemas.ts';

const interaction = {
  type: 'interaction.created',
  timestamp: '2026-12-07T08:00:00.000Z',
  tenantId: '01a00000-0000-7000-8000-000000000001',
  data: {
    id: '01a00000-0000-7000-8000-000000000002',
    text: 'hello',
    speakerId: null,
    conversationId: null,
    occurredAt: '2026-12-07T08:00:00.000Z',
    createdAt: '2026-12-07T08:00:00.000Z',
  },
};

describe('webhook body schemas', () => {
  it('are what `npm run events:schemas` generates from the code today', () => {
    assert.equal(readFileSync(SCHEMAS_FILE, 'utf8'), webhookEventSchemasModule(), 'stale: run npm run events:schemas and commit the result');
  });

  it('accept a body of the shape the code emits, and name what is wrong with one that is not', () => {
    assert.equal(webhookSchemaViolation(JSON.stringify(interaction)), null);
    const { tenantId: _, ...withoutTenant } = interaction;
    assert.match(webhookSchemaViolation(JSON.stringify(withoutTenant)) ?? '', /must have required property 'tenantId'/);
    assert.match(webhookSchemaViolation(JSON.stringify({ ...interaction, data: { ...interaction.data, text: 42 } })) ?? '', /data\/text must be string/);
    assert.match(webhookSchemaViolation(JSON.stringify({ ...interaction, data: { ...interaction.data, extra: true } })) ?? '', /additional properties/);
    assert.match(webhookSchemaViolation(JSON.stringify({ ...interaction, type: 'user.verification_requested' })) ?? '', /no published schema/);
  });
});
