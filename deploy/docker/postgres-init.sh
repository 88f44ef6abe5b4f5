#!/bin/sh
# Mounted into /docker-entrypoint-initdb.d by docker-compose.yml: the postgres image runs it once, as
# the superuser, when the data volume is empty. It creates what deploy/stack/components/postgres.ts
# creates for the local stack (test/deploy/docker-compose.test.ts checks the two agree):
#   - per bounded context, a LOGIN CREATEDB role and a database it owns (CREATEDB: Prisma's
#     migrate diff needs a shadow database of its own);
#   - debezium, a LOGIN REPLICATION role that is a member of both app roles, so it acts as the
#     tables' owner: it may read them for snapshots, create the filtered publication and write its
#     heartbeat row, and nothing else.
# Passwords come from TRACKOPS_DB_PASSWORD and DEBEZIUM_DB_PASSWORD, with the local stack's defaults.
set -eu

psql -v ON_ERROR_STOP=1 --no-psqlrc --username "${POSTGRES_USER:-postgres}" --dbname "${POSTGRES_DB:-postgres}" \
  -v app_password="${TRACKOPS_DB_PASSWORD:-trackops}" \
  -v debezium_password="${DEBEZIUM_DB_PASSWORD:-debezium}" <<'SQL'
CREATE ROLE trackops_orders WITH LOGIN CREATEDB PASSWORD :'app_password';
CREATE DATABASE trackops_orders OWNER trackops_orders;

CREATE ROLE trackops_inventory WITH LOGIN CREATEDB PASSWORD :'app_password';
CREATE DATABASE trackops_inventory OWNER trackops_inventory;

CREATE ROLE debezium WITH LOGIN REPLICATION PASSWORD :'debezium_password';
GRANT trackops_orders TO debezium;
GRANT trackops_inventory TO debezium;
SQL
