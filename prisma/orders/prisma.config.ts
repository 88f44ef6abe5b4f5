import { defineConfig } from 'prisma/config';
import { databaseUrl, shadowDatabaseUrl, ordersContext } from '../contexts';

// Prisma 7 reads connection URLs from here, not from schema.prisma. Use with --config.
export default defineConfig({
  schema: ordersContext.schemaPath,
  migrations: { path: ordersContext.migrationsDir },
  datasource: {
    url: databaseUrl(ordersContext),
    shadowDatabaseUrl: shadowDatabaseUrl(ordersContext),
  },
});
