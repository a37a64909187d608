// Fidelity check: PnPjs (@pnp/sp v4, unmodified) batching against the
// emulator's $batch: several items added and one read in one batch (writes
// go in a change set), an update in a second, and a missing item failing
// alone in a third.
// Usage: node pnpjs_batch.mjs <site url> <list title>
// Exits non-zero on any mismatch.
import { spfi, DefaultHeaders, DefaultInit } from "@pnp/sp";
import { BrowserFetchWithRetry, DefaultParse } from "@pnp/queryable";
import "@pnp/sp/webs/index.js";
import "@pnp/sp/lists/index.js";
import "@pnp/sp/items/index.js";
import "@pnp/sp/batching.js";

const [site, title] = process.argv.slice(2);
const sp = spfi(site).using(DefaultHeaders(), DefaultInit(), BrowserFetchWithRetry(), DefaultParse());

function check(condition, message) {
  if (!condition) {
    console.error("MISMATCH: " + message);
    process.exit(1);
  }
}

const [first] = await sp.web.lists.getByTitle(title).items.select("Id", "Title").top(1)();

// Five adds (one change set) and a read, in one $batch.
const [batched, execute] = sp.batched();
const list = batched.web.lists.getByTitle(title);
const adds = [];
for (let i = 0; i < 5; i++) adds.push(list.items.add({ Title: `Batched ${i}` }));
const read = list.items.getById(first.Id).select("Id", "Title")();
await execute();
const added = await Promise.all(adds);
for (let i = 0; i < 5; i++) {
  check(added[i].Title === `Batched ${i}`, `add ${i}: ${JSON.stringify(added[i])}`);
  check(i === 0 || added[i].Id === added[i - 1].Id + 1, `ids ${added.map((a) => a.Id)}`);
}
const readBack = await read;
check(readBack.Id === first.Id && readBack.Title === first.Title, `read ${JSON.stringify(readBack)}`);

// An update in a batch of its own (web.batched()).
const [webBatched, executeWeb] = sp.web.batched();
const update = webBatched.lists.getByTitle(title).items.getById(added[2].Id).update({ Title: "Batched and updated" });
await executeWeb();
await update;

// A missing item fails alone; the other read of the batch succeeds.
const [third, executeThird] = sp.batched();
const thirdList = third.web.lists.getByTitle(title);
const missing = thirdList.items.getById(999999)().then(() => 200, (e) => e.status);
const updated = thirdList.items.getById(added[2].Id).select("Title")();
await executeThird();
check(await missing === 404, `missing item: ${await missing}`);
check((await updated).Title === "Batched and updated", `updated ${JSON.stringify(await updated)}`);
console.log("ok: batched adds, reads, update, errors");
