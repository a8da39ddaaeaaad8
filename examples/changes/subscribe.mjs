// Live changes from khuyencong over graphql-transport-ws, resumed from the last cursor after
// every disconnect, so no change is lost or repeated (README, "Change feed and live updates").
//
//   npm install
//   KC_URL=http://127.0.0.1:8080 KC_USER=national.officer KC_PASSWORD=khuyencong-demo \
//     node subscribe.mjs
//
// The cursor is kept in KC_CURSOR_FILE (default .cursor) once each change is handled: a
// restarted script goes on where it stopped. Set KC_ENTITIES=PROJECT,ALLOCATION to narrow.
import { readFile, writeFile } from "node:fs/promises";
import { createClient } from "graphql-ws";
import WebSocket from "ws";

const base = process.env.KC_URL ?? "http://127.0.0.1:8080";
const cursorFile = process.env.KC_CURSOR_FILE ?? ".cursor";
const entities = process.env.KC_ENTITIES?.split(",").map((s) => s.trim());
const limit = Number(process.env.KC_LIMIT ?? Infinity); // stop after this many (for tests)

const CHANGES = `subscription($after: String, $filter: ChangeFilter) {
  changes(after: $after, filter: $filter) {
    cursor entity id operation version changedAt provinceCode communeCode
  }
}`;

/** A fresh access token (they last 15 minutes; every connection signs in again). */
async function token() {
  const res = await fetch(`${base}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json" },
    body: JSON.stringify({
      query: "mutation($u: String!, $p: String!) { login(username: $u, password: $p) { accessToken } }",
      variables: { u: process.env.KC_USER, p: process.env.KC_PASSWORD },
    }),
  });
  const body = await res.json();
  if (body.errors) throw new Error(`login: ${body.errors[0].message}`);
  return body.data.login.accessToken;
}

async function loadCursor() {
  try {
    return (await readFile(cursorFile, "utf8")).trim() || null;
  } catch {
    return null; // no cursor yet: live changes from now on
  }
}

/** Handles one change; replace with the warehouse's upsert. */
async function handle(change) {
  console.log(JSON.stringify(change));
}

let cursor = await loadCursor();
let seen = 0;
for (let attempt = 0; seen < limit; attempt++) {
  // One client per connection, with no automatic retry: graphql-ws would re-send the first
  // `after` on reconnect and replay changes; resubscribing here passes the latest cursor.
  const client = createClient({
    url: base.replace(/^http/, "ws") + "/graphql/ws",
    webSocketImpl: WebSocket,
    connectionParams: async () => ({ Authorization: `Bearer ${await token()}` }),
    retryAttempts: 0,
    lazy: true,
  });
  try {
    const changes = client.iterate({
      query: CHANGES,
      variables: { after: cursor, filter: entities ? { entities } : null },
    });
    for await (const result of changes) {
      if (result.errors) throw new Error(JSON.stringify(result.errors));
      const change = result.data.changes;
      await handle(change);
      cursor = change.cursor;
      await writeFile(cursorFile, cursor); // only after the change is handled
      attempt = 0;
      if (++seen >= limit) break;
    }
  } catch (e) {
    // A close (4401 token expired, 4403 account disabled, network, restart of the server):
    // wait a little and resume from the last handled cursor.
    const wait = Math.min(30_000, 500 * 2 ** attempt);
    console.error(`disconnected (${e?.code ?? ""} ${e?.reason ?? e?.message ?? e}); resuming in ${wait} ms`);
    await new Promise((r) => setTimeout(r, wait));
  } finally {
    await client.dispose();
  }
}
