/**
 * OpenTelemetry for the process, when an OTLP endpoint is configured: spans go out in batches over
 * OTLP/HTTP to OTEL_EXPORTER_OTLP_TRACES_ENDPOINT (or OTEL_EXPORTER_OTLP_ENDPOINT + /v1/traces),
 * with OTEL_EXPORTER_OTLP_HEADERS and the other standard OTEL_* settings as the exporter reads
 * them. Prisma reports its queries (@prisma/instrumentation); the app's own spans are the
 * GraphQL operations (http/use-operation-spans.ts), agent calls and webhook attempts (spans.ts).
 * Loaded only when tracing is on, before the app.
 */
import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, ParentBasedSampler, SamplingDecision, TracerProvider, type Sampler } from '@opentelemetry/sdk-trace';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import { PrismaInstrumentation, registerInstrumentations } from '@prisma/instrumentation';

export type Tracing = { shutdown(): Promise<void> };

/**
 * Traces start at the app's own spans (operations, agent calls, webhook attempts): a database
 * query outside them is the workers' polling, a trace of one span every second per worker.
 */
const fromAppSpans: Sampler = {
  shouldSample: (_context, _traceId, spanName) => ({
    decision: spanName.startsWith('prisma:') ? SamplingDecision.NOT_RECORD : SamplingDecision.RECORD_AND_SAMPLED,
  }),
  toString: () => 'FromAppSpans',
};

export type TracingSettings = { serviceName: string; exportDelayMs: number };

export function startTracing({ serviceName, exportDelayMs }: TracingSettings): Tracing {
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: serviceName }),
    sampler: new ParentBasedSampler({ root: fromAppSpans }),
    spanProcessors: [new BatchSpanProcessor({ exporter: new OTLPTraceExporter(), scheduledDelayMillis: exportDelayMs })],
  });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(provider);
  const unregister = registerInstrumentations({ tracerProvider: provider, instrumentations: [new PrismaInstrumentation()] });
  return {
    /** Sends the spans still waiting, then stops. */
    async shutdown() {
      unregister();
      await provider.shutdown();
    },
  };
}
