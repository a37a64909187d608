// Fidelity check: PnPjs (@pnp/sp v4, unmodified) against the emulator.
// Usage: node pnpjs_fidelity.mjs <site url> <big list title> <expected item count>
// Exits non-zero on any mismatch.
import { spfi, DefaultHeaders, DefaultInit } from "@pnp/sp";
import { BrowserFetchWithRetry, DefaultParse } from "@pnp/queryable";
import "@pnp/sp/webs/index.js";
import "@pnp/sp/lists/index.js";
import "@pnp/sp/items/index.js";

const [site, title, expectedText] = process.argv.slice(2);
const expected = Number(expectedText);
const sp = spfi(site).using(DefaultHeaders(), DefaultInit(), BrowserFetchWithRetry(), DefaultParse());

function check(condition, message) {
  if (!condition) {
    console.error("MISMATCH: " + message);
    process.exit(1);
  }
}

const list = sp.web.lists.getByTitle(title);
const props = await list.select("Id", "Title", "ItemCount", "CurrentChangeToken", "ListItemEntityTypeFullName")();
check(props.Title === title, `Title ${props.Title}`);
check(props.ItemCount === expected, `ItemCount ${props.ItemCount} != ${expected}`);
check(/^[0-9a-f-]{36}$/.test(props.Id), `Id ${props.Id}`);
const startToken = props.CurrentChangeToken.StringValue;
check(startToken.startsWith(`1;3;${props.Id};`), `CurrentChangeToken ${startToken}`);

const byId = await sp.web.lists.getById(props.Id).select("Title")();
check(byId.Title === title, "getById");

let seen = 0;
let pages = 0;
let lastId = 0;
for await (const page of list.items.select("Id", "Title", "Modified").top(5000).orderBy("Id")) {
  pages++;
  for (const item of page) {
    check(item.Id > lastId, `IDs not increasing: ${item.Id} after ${lastId}`);
    check(typeof item.Title === "string", `Title of ${item.Id}`);
    lastId = item.Id;
    seen++;
  }
}
check(seen === expected, `paged ${seen} items, expected ${expected}`);
check(pages === Math.ceil(expected / 5000), `pages ${pages}`);

const added = await list.items.add({ Title: "Added by PnPjs", Quantity: 3 });
check(added.Id === lastId + 1, `added Id ${added.Id}, expected ${lastId + 1}`);
check(added.Title === "Added by PnPjs", "added Title");
await list.items.getById(added.Id).update({ Title: "Updated by PnPjs" });
const reread = await list.items.getById(added.Id)();
check(reread.Title === "Updated by PnPjs", `reread Title ${reread.Title}`);
check(reread.OData__UIVersionString === "2.0", `version ${reread.OData__UIVersionString}`);

const changes = await list.getChanges({
  Item: true, Add: true, Update: true, DeleteObject: true,
  ChangeTokenStart: { StringValue: startToken },
});
check(Array.isArray(changes) && changes.length === 2, `changes ${JSON.stringify(changes)}`);
check(changes[0].ChangeType === 1 && changes[0].ItemId === added.Id, "first change is the add");
check(changes[1].ChangeType === 2 && changes[1].ItemId === added.Id, "second change is the update");

const after = await list.select("ItemCount")();
check(after.ItemCount === expected + 1, `ItemCount after add ${after.ItemCount}`);
console.log(`ok: ${seen} items in ${pages} pages, add/update/getChanges verified`);
