import { SpanKind, SpanStatusCode, trace, type Attributes, type Span } from '@opentelemetry/api';

/** The app's tracer: spans go nowhere unless tracing is on (setup.ts registers a provider). */
export const tracer = trace.getTracer('convo-graph');

/**
 * Runs `work` in a span of its own (a child of the active one), ending it when `work` settles; a
 * throw marks it as an error. `work` sets what it learns (outcome, status) on the span.
 */
export function inSpan<T>(name: string, options: { kind?: SpanKind; attributes?: Attributes }, work: (span: Span) => Promise<T>): Promise<T> {
  return tracer.startActiveSpan(name, { kind: options.kind ?? SpanKind.INTERNAL, attributes: options.attributes }, async (span) => {
    try {
      return await work(span);
    } catch (error) {
      span.recordException(error as Error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error)?.message });
      throw error;
    } finally {
      span.end();
    }
  });
}

export { SpanKind, SpanStatusCode };
