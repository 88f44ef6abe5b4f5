import { defineConfig } from 'prisma/config';
import { databaseUrl, shadowDatabaseUrl, inventoryContext } from '../contexts';

// Prisma 7 reads connection URLs from here, not from schema.prisma. Use with --config.
export default defineConfig({
  schema: inventoryContext.schemaPath,
  migrations: { path: inventoryContext.migrationsDir },
  datasource: {
    url: databaseUrl(inventoryContext),
    shadowDatabaseUrl: shadowDatabaseUrl(inventoryContext),
  },
});
