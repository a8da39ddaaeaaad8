#!/bin/sh
# Pulls the change feed from khuyencong as NDJSON, resuming from the cursor this script keeps
# (README, "Change feed and live updates"). Run it as often as you like: every committed
# change arrives exactly once, with no overlap between pulls.
#
#   KC_URL=http://127.0.0.1:8080 KC_USER=national.officer KC_PASSWORD=khuyencong-demo ./pull.sh
#
# Needs curl and jq. Appends the changes to changes.ndjson and keeps the cursor in .cursor.
set -eu
base=${KC_URL:-http://127.0.0.1:8080}
cursor_file=${KC_CURSOR_FILE:-.pull-cursor}
out=${KC_OUT:-changes.ndjson}

token=$(curl -sf "$base/graphql" -H 'content-type: application/json' \
  -d "$(jq -nc --arg u "$KC_USER" --arg p "$KC_PASSWORD" \
    '{query: "mutation($u: String!, $p: String!) { login(username: $u, password: $p) { accessToken } }",
      variables: {u: $u, p: $p}}')" | jq -er .data.login.accessToken)

after=$(cat "$cursor_file" 2>/dev/null || true)
tmp=$(mktemp)
curl -sfG "$base/export/changes.ndjson" -H "Authorization: Bearer $token" \
  --data-urlencode "after=$after" ${KC_ENTITIES:+--data-urlencode "entities=$KC_ENTITIES"} >"$tmp"

# The last line is {"end": true, "cursor": …, "count": n}; a cut-off stream has no such line
# and is discarded whole (the next run pulls it again from the same cursor).
if tail -n 1 "$tmp" | jq -e '.end == true' >/dev/null; then
  sed '$d' "$tmp" >>"$out"
  tail -n 1 "$tmp" | jq -r .cursor >"$cursor_file.new" && mv "$cursor_file.new" "$cursor_file"
  echo "$(tail -n 1 "$tmp" | jq -r .count) changes; resume from $(cat "$cursor_file")" >&2
else
  echo "incomplete stream; nothing kept, run again" >&2
  rm -f "$tmp"
  exit 1
fi
rm -f "$tmp"
