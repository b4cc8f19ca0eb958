/**
 * Counts and times every Cognito call (by operation and outcome, the SDK's
 * retries included) and, with tracing on, wraps it in a client span whose
 * HTTP requests carry `traceparent`. Installed once per SDK client.
 */
import type { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import { SpanKind, context, trace } from '@opentelemetry/api';
import { Metrics } from './metrics.js';
import { Tracing } from './tracing.js';

export function instrumentCognitoClient(client: CognitoIdentityProviderClient, metrics: Metrics, tracing: Tracing): void {
  client.middlewareStack.add(
    (next, handlerContext) => async (args) => {
      const operation = String(handlerContext.commandName ?? 'unknown').replace(/Command$/, '');
      const stopTimer = metrics.cognitoDuration.startTimer({ operation });
      const span = tracing.startSpan(`cognito ${operation}`, SpanKind.CLIENT, { 'rpc.system': 'aws-api', 'rpc.service': 'CognitoIdentityProvider', 'rpc.method': operation });
      try {
        const result = span ? await context.with(trace.setSpan(context.active(), span), () => next(args)) : await next(args);
        metrics.cognitoCalls.inc({ operation, outcome: 'ok' });
        return result;
      } catch (error) {
        metrics.cognitoCalls.inc({ operation, outcome: Metrics.errorName(error) });
        if (span) Tracing.recordError(span, error);
        throw error;
      } finally {
        stopTimer();
        span?.end();
      }
    },
    { step: 'initialize', name: 'gatehouseTelemetry' },
  );
  if (!tracing.enabled) return;
  client.middlewareStack.add(
    (next) => async (args) => {
      const request = args.request as { headers?: Record<string, string> } | undefined;
      if (request?.headers) tracing.inject(request.headers);
      return next(args);
    },
    { step: 'build', name: 'gatehouseTraceparent' },
  );
}
