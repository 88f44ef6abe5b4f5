# The TrackOps app image: the API, the Temporal worker and the CDC consumers all run from their
# TypeScript source with tsx, as the local stack runs them (deploy/stack/components/app-process.ts).
# docker-compose.yml picks the entry point per service:
#   node --import tsx api/main.ts | worker/main.ts | consumers/main.ts
FROM node:20-bookworm-slim

# OpenSSL for Prisma's native schema engine (`prisma migrate deploy` in the migrate service).
RUN apt-get update \
  && apt-get install -y --no-install-recommends openssl ca-certificates \
  && rm -rf /var/lib/apt/lists/*

WORKDIR /app
RUN chown node:node /app
USER node

# Dependencies first, so a source change does not re-run the install. The full install, dev
# dependencies included: it is what `bin/trackops` installs, and Prisma's engines come with it.
COPY --chown=node:node package.json package-lock.json ./
RUN npm ci --no-audit --no-fund

COPY --chown=node:node . .

# The Prisma clients (prisma/generated/, not in git). The config files may read the datasource URLs,
# so generate gets the local defaults of lib/config.ts; the real ones come from the environment at run time.
RUN export ORDERS_DATABASE_URL=postgresql://trackops_orders:trackops@127.0.0.1:5432/trackops_orders \
    INVENTORY_DATABASE_URL=postgresql://trackops_inventory:trackops@127.0.0.1:5432/trackops_inventory \
  && npx prisma generate --config prisma/orders/prisma.config.ts \
  && npx prisma generate --config prisma/inventory/prisma.config.ts

ENV NODE_ENV=production
# Listen on every interface: the container's ports are published to the host.
ENV HOST=0.0.0.0
EXPOSE 8080 9464 9465
CMD ["node", "--import", "tsx", "api/main.ts"]
