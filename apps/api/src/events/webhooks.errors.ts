import { NotFoundError, ValidationFailedError } from '../common/domain-error.js';

export const webhookNotFound = () => new NotFoundError('webhook endpoint', 'webhook_not_found');
export const deliveryNotFound = () => new NotFoundError('webhook delivery', 'webhook_delivery_not_found');
export const invalidWebhookUrl = (message: string) => new ValidationFailedError([{ path: 'url', message }]);
