import './scalars.ts';
import '../modules/tenants/schema.ts';
import '../modules/users/schema.ts';
import '../modules/auth/schema.ts';
import '../modules/api-keys/schema.ts';
import '../modules/audit/schema.ts';
import '../modules/webhooks/endpoints-schema.ts';
import '../modules/webhooks/deliveries-schema.ts';
import '../modules/interactions/schema.ts';
import '../modules/interactions/service-clients-schema.ts';
import '../modules/agents/schema.ts';
import '../modules/chats/chats-schema.ts';
import '../modules/chats/stream-schema.ts';
import { builder } from './builder.ts';

export const schema = builder.toSchema({ sortSchema: true });
