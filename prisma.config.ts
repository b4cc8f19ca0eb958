// Prisma CLI configuration. Gatehouse applies migrations with tools/db/migrate.ts
// (see its header); this file keeps `prisma migrate status/deploy` usable where
// Prisma's schema engine can be downloaded, against the owner role's URL.
import { defineConfig } from 'prisma/config';

export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  datasource: { url: process.env['DATABASE_MIGRATION_URL'] ?? 'postgresql://unset/migration-url-not-configured' },
});
