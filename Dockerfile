# The TrackOps app image, in two stages:
#   build    the full install, the Prisma clients and `npm run build` (deploy/build/build-dist.ts,
#            tsc into dist/). docker-compose.yml's migrate one-shot runs this stage (target: build):
#            it has the Prisma schemas, migrations and configs, and Prisma's native schema engine.
#   runtime  (the default target) the compiled JavaScript on a production-only install: no tsx, no
#            TypeScript compile at start, no dev dependency. docker-compose.yml picks the entry point:
#              node --require ./dist/lib/telemetry/preload.cjs dist/api/main.js
#                                                          | dist/worker/main.js | dist/consumers/main.js
# test/serial/compiled-image.test.ts runs that runtime (the same build and install) against the stack.

FROM node:20-bookworm-slim AS build

# OpenSSL for Prisma's native schema engine (`prisma migrate deploy` in the migrate service).
RUN apt-get update \
  && apt-get install -y --no-install-recommends openssl ca-certificates \
  && rm -rf /var/lib/apt/lists/*

WORKDIR /app
RUN chown node:node /app
USER node

# Dependencies first, so a source change does not re-run the install.
COPY --chown=node:node package.json package-lock.json ./
RUN npm ci --no-audit --no-fund

COPY --chown=node:node . .

# The Prisma clients (prisma/generated/, not in git). The config files may read the datasource URLs,
# so generate gets the local defaults of lib/config.ts; the real ones come from the environment at run time.
RUN export ORDERS_DATABASE_URL=postgresql://trackops_orders:trackops@127.0.0.1:5432/trackops_orders \
    INVENTORY_DATABASE_URL=postgresql://trackops_inventory:trackops@127.0.0.1:5432/trackops_inventory \
  && npx prisma generate --config prisma/orders/prisma.config.ts \
  && npx prisma generate --config prisma/inventory/prisma.config.ts \
  && npm run build

FROM node:20-bookworm-slim AS runtime

WORKDIR /app
RUN chown node:node /app
USER node

# No install scripts: nothing the compiled app loads needs one (the Prisma clients are generated
# TypeScript, compiled into dist/, and run on the Rust-free runtime of @prisma/client).
COPY --chown=node:node package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force

COPY --chown=node:node --from=build /app/dist ./dist

ENV NODE_ENV=production
# Listen on every interface: the container's ports are published to the host.
ENV HOST=0.0.0.0
EXPOSE 8080 9464 9465
CMD ["node", "--require", "./dist/lib/telemetry/preload.cjs", "dist/api/main.js"]
