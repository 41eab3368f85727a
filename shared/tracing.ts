import {
  defaultTextMapGetter,
  defaultTextMapSetter,
  isSpanContextValid,
  type Link,
  ROOT_CONTEXT,
  type Span,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';

/**
 * Tracing, publish → view → answer, with OpenTelemetry. Code everywhere uses the API only
 * (`tracer()`): without an SDK its spans are no-ops that cost next to nothing and inject no
 * header. An entry point starts the SDK with `startTracing` only when
 * OTEL_EXPORTER_OTLP_ENDPOINT is set; tests register their own provider (an in-memory exporter).
 */
export const TRACER_NAME = 'vista';

export function tracer(): Tracer {
  return trace.getTracer(TRACER_NAME);
}

/** Stateless: W3C Trace Context, the format of the CloudEvents distributed-tracing extension. */
const w3c = new W3CTraceContextPropagator();

/** The `traceparent` (and `tracestate`) headers that carry `span`'s context; none for a no-op span. */
export function traceHeaders(span: Span): Record<string, string> {
  const carrier: Record<string, string> = {};
  if (isSpanContextValid(span.spanContext())) {
    w3c.inject(trace.setSpan(ROOT_CONTEXT, span), carrier, defaultTextMapSetter);
  }
  return carrier;
}

/** A link to the producer's span from the `traceparent` a message carried, if it carried a valid one. */
export function linkFrom(traceparent: string | undefined): Link | undefined {
  if (!traceparent) return undefined;
  const context = trace.getSpanContext(w3c.extract(ROOT_CONTEXT, { traceparent }, defaultTextMapGetter));
  return context && isSpanContextValid(context) ? { context } : undefined;
}

/**
 * Starts the OpenTelemetry SDK for this process when `endpoint` (OTEL_EXPORTER_OTLP_ENDPOINT) is
 * set, exporting spans over OTLP/HTTP in batches to `<endpoint>/v1/traces`. Returns the
 * function that flushes and stops it (a no-op when tracing is off). The SDK is loaded only
 * when enabled.
 */
export async function startTracing(
  endpoint: string | undefined,
  serviceName: string,
): Promise<() => Promise<void>> {
  if (!endpoint) return async () => undefined;
  const [{ BasicTracerProvider, BatchSpanProcessor }, { OTLPTraceExporter }, { resourceFromAttributes }] =
    await Promise.all([
      import('@opentelemetry/sdk-trace-base'),
      import('@opentelemetry/exporter-trace-otlp-http'),
      import('@opentelemetry/resources'),
    ]);
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': serviceName }),
    spanProcessors: [
      new BatchSpanProcessor(new OTLPTraceExporter({ url: `${endpoint.replace(/\/+$/, '')}/v1/traces` })),
    ],
  });
  trace.setGlobalTracerProvider(provider);
  return async () => {
    await provider.shutdown();
    trace.disable();
  };
}
