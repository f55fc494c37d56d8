#!/usr/bin/env bash
# Run once by the postgres image when its data volume is new, as the superuser it makes.
# Two roles (README, "Database roles"): supervision_owner owns the tables and runs migrations;
# supervision_app, which web, worker and beat use, owns nothing and is given what it needs by
# each migration. The superuser is for this script and for a person's emergencies only.
set -euo pipefail
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
  -v owner_password="$SUPERVISION_OWNER_PASSWORD" -v app_password="$SUPERVISION_APP_PASSWORD" <<'SQL'
CREATE ROLE supervision_owner LOGIN CREATEDB NOSUPERUSER NOCREATEROLE PASSWORD :'owner_password';
CREATE ROLE supervision_app LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'app_password';
CREATE DATABASE supervision OWNER supervision_owner;
REVOKE ALL ON DATABASE supervision FROM PUBLIC;
GRANT CONNECT ON DATABASE supervision TO supervision_app;
SQL
