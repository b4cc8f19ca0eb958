#!/bin/sh
# Stand-in for Prisma's native schema engine, which Prisma downloads from its CDN
# and which this project does not need: `prisma generate` only checks that the
# path exists, and migrations are applied by tools/db/migrate.ts.
echo "Prisma's schema engine is not installed; apply migrations with tools/db/migrate (see README)." >&2
exit 1
