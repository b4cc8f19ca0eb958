import { Module } from '@nestjs/common';
import { TenantsModule } from '../../tenants/tenants.module.js';
import { SynchronousHooks } from './synchronous-hooks.service.js';

/**
 * Calling synchronous hooks (the identity flows use it). Their configuration
 * is read through the tenants context's HookRegistry (privileged client) and
 * written by its administration routes (tenants/hooks).
 */
@Module({ imports: [TenantsModule], providers: [SynchronousHooks], exports: [SynchronousHooks] })
export class HooksModule {}
