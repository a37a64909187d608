// The emulator's shared state (Emulator::Impl, impl.hpp): building it, finding
// webs and lists, change tokens, the change log records, and the life of lists
// and items (creation, rename, recycle bin, recreation) that REST handlers and
// the in-process API share.
#include <Poco/Net/HTTPServer.h>

#include <stdexcept>

#include "estate.hpp"
#include "http/auth.hpp"
#include "http/cost_model.hpp"
#include "http/faults.hpp"
#include "impl.hpp"
#include "model/webhook_hub.hpp"
#include "rest_error.hpp"
#include "util.hpp"

namespace spsync::emulator {

using detail::ItemState;
using detail::ListState;
using detail::SiteState;
using detail::WebState;

namespace {
constexpr const char* kCustomersList = "Customers";
}  // namespace

Emulator::Impl::Impl(Options o) : opt(std::move(o)), log(opt.seed) {
  detail::BuildSites(*this);
  const int64_t start = primary->created + 2 * 86400;
  for (const auto& f : opt.fields) {
    ListState& l = Require(ListRef(f.web, f.list));
    try {
      l.AddField(f.title, f.type, start);
    } catch (const std::invalid_argument& e) {
      throw std::invalid_argument("field '" + f.title + "' of list '" + f.list + "': " + e.what());
    }
  }
  for (const auto& ix : opt.indexed) {
    ListState& l = Require(ListRef(ix.web, ix.list));
    try {
      l.SetIndexed(ix.field, true, start);
    } catch (const std::invalid_argument&) {
      throw std::invalid_argument("no field '" + ix.field + "' in list '" + ix.list + "' to index");
    }
  }
  auth = std::make_unique<detail::Authenticator>(opt, [this] { return NowUnix(); });
  FaultSpec f = opt.faults;
  faults = std::make_unique<detail::FaultEngine>();
  faults->Set(std::move(f));
  latency = std::make_unique<detail::LatencyModel>();
  latency->Set(opt.latency);
  budget = std::make_unique<detail::ResourceBudget>();
  budget->Set(opt.budget);
  webhooks = std::make_unique<detail::WebhookHub>(opt.webhooks, auth->TenantId(),
                                                  [this] { return NowUnix(); });
}

Emulator::Impl::~Impl() = default;

int64_t Emulator::Impl::NowUnix() const {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
             .count() +
         clock_offset.load();
}

std::string Emulator::Impl::BaseUrl() const {
  return "http://" + opt.host + ":" + std::to_string(bound_port);
}
std::string Emulator::Impl::SiteUrl() const {
  return WebUrl(*primary);
}
std::string Emulator::Impl::WebUrl(const WebState& web) const {
  return BaseUrl() + (web.url == "/" ? "" : web.url);
}

WebState* Emulator::Impl::FindWeb(std::string_view url) const {
  std::string key = detail::Lower(url);
  while (key.size() > 1 && key.back() == '/') key.pop_back();
  if (key.empty()) key = "/";
  auto it = webs_by_url.find(key);
  return it == webs_by_url.end() ? nullptr : it->second;
}

WebState& Emulator::Impl::RequireWeb(std::string_view url) const {
  if (url.empty()) return *primary;
  WebState* web = FindWeb(url);
  if (!web) throw std::invalid_argument("no web '" + std::string(url) + "'");
  return *web;
}

void Emulator::Impl::LinkLookups(WebState& web) {
  const ListState* customers = web.FindByTitle(kCustomersList);
  const ListState* users = web.site->UserList();
  const std::string users_id = users ? users->id() : "";
  // A lookup reaches only lists of its own web: without a Customers list
  // there, a list's Customer lookup points at the list itself.
  for (auto& l : web.lists) l->LinkLookups(customers ? customers : l.get(), users_id);
}

ListState& Emulator::Impl::Require(const ListRef& ref) const {
  WebState& web = RequireWeb(ref.web);
  ListState* l = web.FindByTitle(ref.title);
  if (!l) {
    if (ref.web.empty()) throw std::invalid_argument("no list '" + ref.title + "'");
    throw std::invalid_argument("no list '" + ref.title + "' in web '" + web.url + "'");
  }
  return *l;
}

std::string Emulator::Impl::CurrentToken(const ListState& list) const {
  // The ticks are "now" and the number the content database's latest change,
  // as SharePoint returns them.
  detail::ChangeToken t{3, list.id(), detail::UnixToTicks(NowUnix()), log.latest_number()};
  return t.ToString();
}
std::string Emulator::Impl::CurrentToken(const WebState& web) const {
  detail::ChangeToken t{2, web.id, detail::UnixToTicks(NowUnix()), log.latest_number()};
  return t.ToString();
}
std::string Emulator::Impl::CurrentToken(const SiteState& site) const {
  detail::ChangeToken t{1, site.id, detail::UnixToTicks(NowUnix()), log.latest_number()};
  return t.ToString();
}

int64_t Emulator::Impl::RetentionStartTicks() const {
  return detail::UnixToTicks(NowUnix() - int64_t{opt.change_retention_days} * 86400);
}

namespace {
detail::ChangeOrigin OriginOf(const ListState& list) {
  const WebState* web = list.web();
  return {web->site->id, web->id, list.id()};
}
}  // namespace

void Emulator::Impl::RecordItem(const ListState& list, int type, int64_t id) {
  log.Record(OriginOf(list), detail::ChangeObject::kItem, type, id, list.ChangeUniqueId(id),
             detail::UnixToTicks(NowUnix()));
  webhooks->OnItemChange(list.id());  // every item change notifies the list's subscribers
}

void Emulator::Impl::RecordField(const ListState& list, int type, const std::string& field_id) {
  log.Record(OriginOf(list), detail::ChangeObject::kField, type, 0, field_id,
             detail::UnixToTicks(NowUnix()));
}

void Emulator::Impl::RecordList(const ListState& list, int type) {
  detail::ListSnapshot snapshot{list.title(), list.ServerRelativeUrl(list.web()->url),
                                list.shape().base_template, list.hidden()};
  log.Record(OriginOf(list), detail::ChangeObject::kList, type, 0, list.id(),
             detail::UnixToTicks(NowUnix()), std::move(snapshot));
}

namespace {
// SharePoint's answer to a second list of the same title in a web
// [unconfirmed: code and status].
detail::RestError DuplicateTitle() {
  return detail::RestError(500, "-2130575342, Microsoft.SharePoint.SPException",
                           "A list, survey, discussion board, or document library with the "
                           "specified title already exists in this Web site.  Please choose "
                           "another title.");
}
}  // namespace

ListState& Emulator::Impl::CreateList(WebState& web, const ListSpec& spec) {
  if (spec.title.empty())
    throw detail::RestError(400, "-2147024809, System.ArgumentException",
                            "Value does not fall within the expected range.");
  if (web.FindByTitle(spec.title)) throw DuplicateTitle();
  const int generation = ++generations[detail::Lower(web.ListIdentity(spec.title))];
  detail::AddListToWeb(*this, web, spec, generation, NowUnix());
  ListState& l = *web.lists.back();
  const ListState* customers = web.FindByTitle(kCustomersList);
  const ListState* users = web.site->UserList();
  l.LinkLookups(customers ? customers : &l, users ? users->id() : "");
  RecordList(l, 1);
  return l;
}

std::string Emulator::Impl::RecycleList(ListState& list) {
  if (list.list_template() == detail::ListTemplate::kUserInformation || list.shape().is_catalog)
    // SharePoint refuses to delete lists its site needs [unconfirmed: wording].
    throw detail::RestError(500, "-2130575330, Microsoft.SharePoint.SPException",
                            "This list cannot be deleted.");
  WebState& web = *const_cast<WebState*>(list.web());
  RecordList(list, 3);
  const uint64_t n = ++recycle_counter;
  std::string rid = detail::MakeGuid(detail::Hash3(opt.seed, 0, n), detail::Hash(n, list.id()));
  detail::RecycledEntry entry{web.site, &web, list.id(), 0, nullptr};
  for (auto it = web.lists.begin(); it != web.lists.end(); ++it)
    if (it->get() == &list) {
      entry.list = std::move(*it);
      web.lists.erase(it);
      break;
    }
  recycle_bin[rid] = std::move(entry);
  return rid;
}

void Emulator::Impl::RenameList(ListState& list, std::string title) {
  if (title.empty())
    throw detail::RestError(400, "-2147024809, System.ArgumentException",
                            "Value does not fall within the expected range.");
  ListState* other = list.web()->FindByTitle(title);
  if (other && other != &list) throw DuplicateTitle();
  list.SetTitle(std::move(title), NowUnix());
  // A list property change: logged as an update of the list [guess: type].
  RecordList(list, 2);
}

void Emulator::Impl::RestoreRecycled(const std::string& recycle_id, const SiteState* site) {
  auto it = recycle_bin.find(detail::Lower(recycle_id));
  if (it == recycle_bin.end() || (site && it->second.site != site))
    throw std::out_of_range("no such recycle bin item");
  detail::RecycledEntry& e = it->second;
  if (!e.list) {
    ListState* l = e.web->FindById(e.list_id);
    if (!l) throw detail::RestError(404, "-1, System.ArgumentException", "List does not exist.");
    Restore(*l, e.item);  // erases the entry
    return;
  }
  if (e.web->FindByTitle(e.list->title())) throw DuplicateTitle();
  ListState& l = *e.list;
  e.web->lists.push_back(std::move(e.list));
  recycle_bin.erase(it);
  RecordList(l, 7);
}

void Emulator::Impl::RecreateList(ListState& old) {
  WebState& web = *const_cast<WebState*>(old.web());
  const int gen = ++generations[detail::Lower(web.ListIdentity(old.title()))];
  RecordList(old, 3);
  for (auto& slot : web.lists) {
    if (slot.get() != &old) continue;
    auto fresh = std::make_unique<ListState>(opt.seed, web.ListIdentity(old.title()), old.title(),
                                             old.item_count(), gen, NowUnix(), old.shape());
    fresh->set_web(&web);
    // The old list stays alive: lists in the recycle bin may still look it up.
    retired_lists.push_back(std::move(slot));
    slot = std::move(fresh);
    const ListState* retired = retired_lists.back().get();
    ListState* successor = slot.get();
    // Lookups that pointed at the old list point at its successor.
    auto relink = [&](const ListState* target, const std::string& users) {
      return std::make_pair(target == retired ? successor : target,
                            users == retired->id() ? successor->id() : users);
    };
    for (auto& w : web.site->webs)
      for (auto& l : w->lists) {
        const ListState* from = l.get() == successor ? retired : l.get();
        auto [target, users] = relink(from->lookup_target(), from->user_list_id());
        l->LinkLookups(target, users);
      }
    RecordList(*successor, 1);
    return;
  }
}

std::string Emulator::Impl::Recycle(ListState& list, int64_t id) {
  if (!list.IsLive(id)) throw std::out_of_range("item does not exist");
  list.SetState(id, ItemState::kRecycled, NowUnix());
  const uint64_t n = ++recycle_counter;
  std::string rid = detail::MakeGuid(detail::Hash3(opt.seed, static_cast<uint64_t>(id), n),
                                     detail::Hash(n, list.id()));
  WebState* web = const_cast<WebState*>(list.web());
  recycle_bin[rid] = detail::RecycledEntry{web->site, web, list.id(), id, nullptr};
  // SharePoint logs a recycle as a delete of the item.
  RecordItem(list, 3, id);
  return rid;
}

void Emulator::Impl::Restore(ListState& list, int64_t id) {
  if (list.State(id) != ItemState::kRecycled)
    throw std::out_of_range("item is not in the recycle bin");
  for (auto it = recycle_bin.begin(); it != recycle_bin.end(); ++it)
    if (!it->second.list && it->second.list_id == list.id() && it->second.item == id) {
      recycle_bin.erase(it);
      break;
    }
  list.SetState(id, ItemState::kLive, NowUnix());
  RecordItem(list, 7, id);
}

}  // namespace spsync::emulator
