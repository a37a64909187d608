// Fidelity check: PnPjs (@pnp/sp v4, unmodified) manages a list's webhook
// subscriptions against the emulator the way an application does, with a
// real receiver (a Node http server here) answering the validation handshake
// and getting the notification of a change made through PnPjs.
// Usage: node pnpjs_webhooks.mjs <site url> <list title>
// Exits non-zero on any mismatch.
import http from "node:http";
import { spfi, DefaultHeaders, DefaultInit } from "@pnp/sp";
import { BrowserFetchWithRetry, DefaultParse } from "@pnp/queryable";
import "@pnp/sp/webs/index.js";
import "@pnp/sp/lists/index.js";
import "@pnp/sp/items/index.js";
import "@pnp/sp/subscriptions/index.js";

const [siteUrl, title] = process.argv.slice(2);
const sp = spfi(siteUrl).using(DefaultHeaders(), DefaultInit(), BrowserFetchWithRetry(), DefaultParse());

function check(condition, message) {
  if (!condition) {
    console.error("MISMATCH: " + message);
    process.exit(1);
  }
}

// The receiver: echoes validationtoken as text/plain, records notifications.
const notifications = [];
let notified = () => {};
const server = http.createServer((req, res) => {
  const token = new URL(req.url, "http://x").searchParams.get("validationtoken");
  let body = "";
  req.on("data", (chunk) => (body += chunk));
  req.on("end", () => {
    if (token !== null) {
      res.writeHead(200, { "Content-Type": "text/plain" });
      res.end(token);
      return;
    }
    notifications.push(JSON.parse(body));
    res.writeHead(200);
    res.end();
    notified();
  });
});
await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
const hook = `http://127.0.0.1:${server.address().port}/api/webhook`;

const list = sp.web.lists.getByTitle(title);
const { Id: listId } = await list.select("Id")();
const in30Days = new Date(Date.now() + 30 * 86400 * 1000).toISOString();
const created = await list.subscriptions.add(hook, in30Days, "pnp-state");
check(created.id && created.resource === listId, `created ${JSON.stringify(created)}`);
check(created.notificationUrl === hook && created.clientState === "pnp-state", `created ${JSON.stringify(created)}`);

const all = await list.subscriptions();
check(all.length === 1 && all[0].id === created.id, `listed ${JSON.stringify(all)}`);
const one = await list.subscriptions.getById(created.id)();
check(one.id === created.id && one.resource === listId, `getById ${JSON.stringify(one)}`);

const in90Days = new Date(Date.now() + 90 * 86400 * 1000).toISOString();
await list.subscriptions.getById(created.id).update(in90Days);
const renewed = await list.subscriptions.getById(created.id)();
check(renewed.expirationDateTime.slice(0, 16) === in90Days.slice(0, 16), `renewed ${JSON.stringify(renewed)}`);

let tooLong = false;
try {
  await list.subscriptions.add(hook, new Date(Date.now() + 200 * 86400 * 1000).toISOString());
} catch (e) {
  tooLong = e.status === 400;
}
check(tooLong, "a 200-day subscription was not refused with 400");

// A change through PnPjs reaches the receiver.
const arrived = new Promise((resolve) => (notified = resolve));
await list.items.add({ Title: "from PnPjs" });
let timer;
const timeout = new Promise((resolve) => (timer = setTimeout(() => resolve("timeout"), 10000)));
check((await Promise.race([arrived, timeout])) !== "timeout", "no notification within 10 s");
clearTimeout(timer);
const entry = notifications[0].value[0];
check(entry.subscriptionId === created.id && entry.resource === listId && entry.clientState === "pnp-state",
  `notification ${JSON.stringify(notifications[0])}`);

await list.subscriptions.getById(created.id).delete();
const after = await list.subscriptions();
check(after.length === 0, `after delete ${JSON.stringify(after)}`);
server.close();
console.log("ok: subscriptions add, list, getById, update, delete, notification");
