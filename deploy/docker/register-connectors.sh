#!/bin/sh
# The connect-init one-shot of docker-compose.yml: registers every <dir>/<name>.json as the Kafka
# Connect connector <name>, as deploy/stack/components/connect.ts does for the local stack.
#   - ${NAME} placeholders (upper case) are filled from this environment; an unset one is an error.
#     Kafka's own ${provider:key} references (e.g. ${env:DEBEZIUM_DB_PASSWORD}) are left for the
#     worker to resolve.
#   - PUT /connectors/<name>/config creates or updates the connector.
#   - Then it waits until the connector and all its tasks are RUNNING; a FAILED one fails this job.
# Needs only sh, sed, grep and curl. Usage: register-connectors.sh [dir], KAFKA_CONNECT_URL set.
set -eu

dir="${1:-/trackops/debezium}"
connect_url="${KAFKA_CONNECT_URL:?KAFKA_CONNECT_URL must be set}"
timeout_s="${CONNECTOR_RUNNING_TIMEOUT_S:-120}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# A value as it must appear inside a JSON string, then escaped for a sed replacement (delimiter |).
escape_value() {
  printf '%s' "$1" | sed -e 's/[\\"]/\\&/g' -e 's/[|&\\]/\\&/g'
}

render() {
  file="$1"
  out="$2"
  cp "$file" "$out"
  for placeholder in $(grep -o '\${[A-Z][A-Z0-9_]*}' "$file" | sed -e 's/^\${//' -e 's/}$//' | sort -u); do
    if ! value="$(printenv "$placeholder")"; then
      echo "$file: no value for \${$placeholder} (set it in connect-init's environment)" >&2
      return 1
    fi
    case "$value" in
      *'
'*)
        echo "$file: the value of $placeholder spans several lines" >&2
        return 1
        ;;
    esac
    sed -i -e "s|\\\${$placeholder}|$(escape_value "$value")|g" "$out"
  done
}

wait_for_running() {
  connector="$1"
  deadline=$(($(date +%s) + timeout_s))
  restarted=no
  while :; do
    status="$(curl -sS "$connect_url/connectors/$connector/status" || true)"
    compact="$(printf '%s' "$status" | tr -d ' \n\t')"
    case "$compact" in
      *'"state":"FAILED"'*)
        if [ "$restarted" = yes ]; then
          echo "connector $connector failed: $status" >&2
          return 1
        fi
        # A connector that failed earlier (say Postgres was still starting) gets one restart.
        restarted=yes
        curl -sS -o /dev/null -X POST "$connect_url/connectors/$connector/restart?includeTasks=true&onlyFailed=true" || true
        ;;
      *'"tasks":[]'*) ;;
      *'"state":"RUNNING"'*)
        # RUNNING, and no connector or task in any other state.
        if ! printf '%s' "$compact" | grep -o '"state":"[A-Z]*"' | grep -qv '"state":"RUNNING"'; then
          echo "connector $connector RUNNING"
          return 0
        fi
        ;;
    esac
    if [ "$(date +%s)" -ge "$deadline" ]; then
      echo "connector $connector not RUNNING after ${timeout_s}s: $status" >&2
      return 1
    fi
    sleep 2
  done
}

found=no
for file in "$dir"/*.json; do
  [ -e "$file" ] || continue
  found=yes
  name="$(basename "$file" .json)"
  render "$file" "$work/$name.json"
  response="$work/$name.response"
  code="$(curl -sS -o "$response" -w '%{http_code}' -X PUT -H 'Content-Type: application/json' \
    --data-binary "@$work/$name.json" "$connect_url/connectors/$name/config")"
  case "$code" in
    200) echo "connector $name updated" ;;
    201) echo "connector $name created" ;;
    *)
      echo "PUT /connectors/$name/config: HTTP $code $(cat "$response")" >&2
      exit 1
      ;;
  esac
  wait_for_running "$name"
done

if [ "$found" = no ]; then
  echo "no connector configs (*.json) in $dir" >&2
  exit 1
fi
