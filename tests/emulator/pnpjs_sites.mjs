// Fidelity check: PnPjs (@pnp/sp v4, unmodified) reads several sites and
// webs of one emulator and creates, renames, recycles, restores and deletes
// lists the way an application would.
// Usage: node pnpjs_sites.mjs <first site url> <its subweb url> <second site url>
// Exits non-zero on any mismatch.
import { spfi, DefaultHeaders, DefaultInit } from "@pnp/sp";
import { BrowserFetchWithRetry, DefaultParse } from "@pnp/queryable";
import "@pnp/sp/webs/index.js";
import "@pnp/sp/sites/index.js";
import "@pnp/sp/lists/index.js";
import "@pnp/sp/items/index.js";
import "@pnp/sp/recycle-bin/index.js";

const [siteUrl, subwebUrl, otherUrl] = process.argv.slice(2);
const connect = (url) => spfi(url).using(DefaultHeaders(), DefaultInit(), BrowserFetchWithRetry(), DefaultParse());
const sp = connect(siteUrl);
const sub = connect(subwebUrl);
const other = connect(otherUrl);

function check(condition, message) {
  if (!condition) {
    console.error("MISMATCH: " + message);
    process.exit(1);
  }
}
const titles = (lists) => lists.map((l) => l.Title).sort().join(",");

// Discovery as a client writes it: visible generic lists with their URLs.
const visible = await sp.web.lists.select("Id", "Title", "Hidden", "BaseTemplate", "RootFolder/ServerRelativeUrl")
  .expand("RootFolder").filter("Hidden eq false and BaseTemplate eq 100")();
check(titles(visible) === "Big,Customers,Tasks", `visible lists ${titles(visible)}`);
const big = visible.find((l) => l.Title === "Big");
check(big.RootFolder.ServerRelativeUrl === new URL(siteUrl).pathname + "/Lists/Big", `RootFolder ${JSON.stringify(big.RootFolder)}`);
const all = await sp.web.lists.select("Title", "Hidden", "BaseTemplate")();
const users = all.find((l) => l.Title === "User Information List");
check(users && users.Hidden === true && users.BaseTemplate === 112, `User Information List ${JSON.stringify(users)}`);
check(all.some((l) => l.Title === "Style Library") && all.length > visible.length + 5, `system lists ${titles(all)}`);

// Subwebs, a subweb's lists, its parent, the site collection.
const webs = await sp.web.webs.select("Title", "ServerRelativeUrl")();
check(webs.length === 1 && webs[0].ServerRelativeUrl === new URL(subwebUrl).pathname, `webs ${JSON.stringify(webs)}`);
const subLists = await sub.web.lists.select("Title").filter("Hidden eq false")();
check(subLists.some((l) => l.Title === "Notes") && !subLists.some((l) => l.Title === "Big" || l.Title === "Customers"),
  `subweb lists ${titles(subLists)}`);
const notes = await sub.web.lists.getByTitle("Notes").items.select("Id", "Title")();
check(notes.length === 7, `subweb items ${notes.length}`);
const parent = await sub.web.getParentWeb();
const parentData = await parent.select("Title", "ServerRelativeUrl")();
check(parentData.ServerRelativeUrl === new URL(siteUrl).pathname, `parent web ${JSON.stringify(parentData)}`);
const siteInfo = await sub.site.select("Id", "Url")();
const rootWeb = await sub.site.rootWeb.select("Url")();
check(siteInfo.Url === siteUrl && rootWeb.Url === siteUrl, `site ${JSON.stringify(siteInfo)} rootWeb ${JSON.stringify(rootWeb)}`);

// A second site collection on the same host.
const remote = await other.web.lists.getByTitle("Remote").items.select("Id")();
check(remote.length === 3, `second site items ${remote.length}`);
const otherSite = await other.site.select("Id")();
check(otherSite.Id !== siteInfo.Id, "two site collections, two ids");
let missing = false;
try {
  await other.web.lists.getByTitle("Big")();
} catch (e) {
  missing = e.status === 404;
}
check(missing, "a list of the first site is not in the second");
console.log("ok: lists, webs, subweb, second site");

// Lists created, renamed, recycled, restored and deleted through PnPjs.
const added = await sp.web.lists.add("Created by PnPjs", "made by the fidelity test", 100);
const addedData = added.data ?? added;
check(/^[0-9a-f-]{36}$/.test(addedData.Id) && addedData.Title === "Created by PnPjs", `lists.add ${JSON.stringify(addedData)}`);
const created = sp.web.lists.getById(addedData.Id);
await created.items.add({ Title: "first" });
await created.update({ Title: "Renamed by PnPjs" });
const renamed = await created.select("Title", "ItemCount", "RootFolder/ServerRelativeUrl").expand("RootFolder")();
check(renamed.Title === "Renamed by PnPjs" && renamed.ItemCount === 1, `renamed ${JSON.stringify(renamed)}`);
check(renamed.RootFolder.ServerRelativeUrl.endsWith("/Lists/CreatedbyPnPjs"), `url kept ${renamed.RootFolder.ServerRelativeUrl}`);
let duplicate = false;
try {
  await sp.web.lists.add("Renamed by PnPjs");
} catch (e) {
  duplicate = e.status === 500;
}
check(duplicate, "a second list of the same title is refused");
const recycleId = await created.recycle();
check(typeof recycleId === "string" && recycleId.length === 36, `recycle ${JSON.stringify(recycleId)}`);
await sp.web.recycleBin.getById(recycleId).restore();
const back = await sp.web.lists.getById(addedData.Id).select("Title")();
check(back.Title === "Renamed by PnPjs", "restored from the recycle bin");
await sp.web.lists.getById(addedData.Id).delete();
const after = await sp.web.lists.select("Id").filter(`Id eq '${addedData.Id}'`)();
check(after.length === 0, "deleted");
console.log("ok: add, update, recycle, restore, delete");
