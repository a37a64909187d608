// Fidelity check: PnPjs (@pnp/sp v4, unmodified) against the emulator.
// Usage: node pnpjs_fidelity.mjs <site url> <big list title> <expected item count>
// Exits non-zero on any mismatch.
import { spfi, DefaultHeaders, DefaultInit } from "@pnp/sp";
import { BrowserFetchWithRetry, DefaultParse } from "@pnp/queryable";
import "@pnp/sp/webs/index.js";
import "@pnp/sp/lists/index.js";
import "@pnp/sp/items/index.js";
import "@pnp/sp/site-users/web.js";
import "@pnp/sp/fields/index.js";
import "@pnp/sp/attachments/index.js";

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

// Attachments and versions of the added item, read as PnPjs reads them.
const item = list.items.getById(added.Id);
const odd = "Zürich #1 50% O'Brien.txt";
await item.attachmentFiles.add("hello world.txt", "Hello from PnPjs");
await item.attachmentFiles.add(odd, "odd name");
const files = await item.attachmentFiles();
check(files.length === 2 && files[0].FileName === "hello world.txt" && files[1].FileName === odd,
  `attachmentFiles ${JSON.stringify(files)}`);
check(files[1].ServerRelativeUrl.endsWith(`/Attachments/${added.Id}/${odd}`), `ServerRelativeUrl ${files[1].ServerRelativeUrl}`);
check(await item.attachmentFiles.getByName("hello world.txt").getText() === "Hello from PnPjs", "getText");
check(await item.attachmentFiles.getByName(odd).getText() === "odd name", "getText of an odd name");
const buffer = await item.attachmentFiles.getByName("hello world.txt").getBuffer();
check(Buffer.from(buffer).toString() === "Hello from PnPjs", "getBuffer");
const withFiles = await item.select("Id", "Attachments", "AttachmentFiles").expand("AttachmentFiles")();
check(withFiles.Attachments === true && withFiles.AttachmentFiles.length === 2, `expanded ${JSON.stringify(withFiles)}`);
await item.attachmentFiles.getByName(odd).delete();
check((await item.attachmentFiles()).length === 1, "delete an attachment");
const versions = await item.versions();
check(versions.length === 5, `versions ${versions.length}`);
check(versions.map((v) => v.VersionLabel).join() === "5.0,4.0,3.0,2.0,1.0", `labels ${versions.map((v) => v.VersionLabel)}`);
check(versions[0].IsCurrentVersion === true && versions[1].IsCurrentVersion === false, "IsCurrentVersion");
check(versions[3].Title === "Updated by PnPjs" && versions[4].Title === "Added by PnPjs", "version titles");
const second = await item.versions.getById(1024)();
check(second.VersionLabel === "2.0" && second.Title === "Updated by PnPjs", `getById ${JSON.stringify(second)}`);
console.log("ok: attachments and versions");

// Expanded projections: nested objects, the same people getUserById returns.
const withAuthors = await list.items.select("Id", "Title", "AuthorId", "Author/Title", "Author/EMail")
  .expand("Author").top(20)();
check(withAuthors.length === 20, `expanded page ${withAuthors.length}`);
for (const item of withAuthors) {
  check(item.Author && typeof item.Author.Title === "string", `Author of ${item.Id}: ${JSON.stringify(item.Author)}`);
  if (item.AuthorId === 1073741823) continue;
  const author = await sp.web.getUserById(item.AuthorId)();
  check(author.Title === item.Author.Title, `Author/Title ${item.Author.Title} != ${author.Title}`);
  check(author.Email === item.Author.EMail, `Author/EMail ${item.Author.EMail} != ${author.Email}`);
}

// Site users, by e-mail and by login name, and ensureUser.
const users = await sp.web.siteUsers();
check(users.length >= 30, `siteUsers ${users.length}`);
const someone = users.find((u) => u.Email);
const byMail = await sp.web.siteUsers.getByEmail(someone.Email)();
check(byMail.Id === someone.Id, `getByEmail ${byMail.Id} != ${someone.Id}`);
const ensured = await sp.web.ensureUser("i:0#.f|membership|pnp.tester@contoso.com");
const ensuredData = ensured.data ?? ensured;
check(ensuredData.Title === "Pnp Tester" && ensuredData.Id > users.length - 1, `ensureUser ${JSON.stringify(ensuredData)}`);
const me = await sp.web.currentUser();
check(me.Title === "SharePoint App", `currentUser ${me.Title}`);

// A lookup into the Customers list, read like any other list.
// (No filter on CustomerId: Big is over the threshold and the column is not indexed.)
const orders = (await list.items.select("Id", "CustomerId", "Customer/Title").expand("Customer")
  .top(20)()).filter((o) => o.CustomerId !== null);
check(orders.length >= 5, `lookup page ${orders.length}`);
for (const order of orders) {
  const customer = await sp.web.lists.getByTitle("Customers").items.getById(order.CustomerId).select("Title")();
  check(customer.Title === order.Customer.Title, `Customer/Title ${order.Customer.Title} != ${customer.Title}`);
}
const customerField = await list.fields.getByInternalNameOrTitle("Customer").select("LookupList", "LookupField")();
const customers = await sp.web.lists.getByTitle("Customers").select("Id")();
check(customerField.LookupList === `{${customers.Id}}` && customerField.LookupField === "Title",
  `Customer field ${JSON.stringify(customerField)}`);

// The field indexed at start (--indexed Big:Status) allows a narrow filter on it.
const status = await list.fields.getByInternalNameOrTitle("Status")();
check(status.Indexed === true, `Status.Indexed ${status.Indexed}`);
const completed = await list.items.select("Id", "Status").filter("Status eq 'Completed'").top(10)();
check(completed.length === 10 && completed.every((i) => i.Status === "Completed"), "filter on an indexed column");
console.log("ok: projections, site users, lookup, indexed field");
