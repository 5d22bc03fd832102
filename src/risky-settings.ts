import type { Config } from './config.ts';

/**
 * Settings that are allowed but risky in production, each as one sentence for the start-up log;
 * none outside production, where the defaults favour exploring.
 */
export function riskySettings(config: Config): string[] {
  if (config.env !== 'production') return [];
  const risks: string[] = [];
  if (config.graphiql) risks.push('GRAPHIQL is on: anyone who reaches the server can explore the schema in a browser');
  if (config.introspection) risks.push('GRAPHQL_INTROSPECTION is on: the whole schema is public');
  if (config.demoAgent) risks.push('DEMO_AGENT is on: the built-in demo agent and demo model answer on /demo-agent and /demo-agent/v1');
  if (config.allowPrivateUrls.length) {
    risks.push(`ALLOW_PRIVATE_URLS lets user-given URLs reach private addresses (${config.allowPrivateUrls.join(', ')})`);
  }
  if (!config.publicUrl.startsWith('https://')) risks.push(`PUBLIC_URL (${config.publicUrl}) is not https: links in QR codes and emails go out in the clear`);
  const plainOrigins = config.corsOrigins.filter((origin) => !origin.startsWith('https://'));
  if (plainOrigins.length) risks.push(`CORS_ORIGINS lets pages served without https send credentials (${plainOrigins.join(', ')})`);
  if (config.metrics.enabled && !config.metrics.port) {
    risks.push('METRICS is on without METRICS_PORT: /metrics is served on the public port; serve it on a port of its own, or keep it from the internet');
  }
  if (['debug', 'trace'].includes(config.logLevel)) risks.push(`LOG_LEVEL=${config.logLevel} logs request details meant for debugging`);
  return risks;
}
