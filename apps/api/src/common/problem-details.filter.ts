import { type ArgumentsHost, Catch, type ExceptionFilter, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { mapError } from './error-mapping.js';
import { PROBLEM_CONTENT_TYPE } from './problem-details.js';

/** The one place where errors thrown by handlers, guards and pipes become responses. */
@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  private readonly logger = new Logger('Problem');

  catch(error: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    const mapped = mapError(error, request.url.split('?')[0] ?? '/', String(request.id));
    if (mapped.unexpected) {
      this.logger.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
    } else if (mapped.notice) {
      this.logger.warn(mapped.notice);
    }
    if (reply.sent) return;
    void reply.status(mapped.problem.status).headers(mapped.headers).type(PROBLEM_CONTENT_TYPE).send(mapped.problem);
  }
}
