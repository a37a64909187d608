// The in-process API: lifecycle, direct mutations for tests (recorded in the
// change log exactly like REST writes), the controllable clock and statistics.
#include <Poco/Net/HTTPServer.h>

#include <stdexcept>

#include "http/auth.hpp"
#include "http/faults.hpp"
#include "http/server.hpp"
#include "impl.hpp"
#include "odata/format.hpp"
#include "odata/item_body.hpp"
#include "util.hpp"

namespace spsync::emulator {

using detail::ItemState;
using detail::ListState;

namespace {
constexpr const char* kCustomersList = "Customers";
constexpr int64_t kDefaultCustomers = 500;
constexpr const char* kUserInformationList = "User Information List";

// Lists were "created" some years before the synthetic snapshot date.
int64_t ListCreated(uint64_t seed, std::string_view title) {
  return 1546300800 +
         static_cast<int64_t>(detail::Hash(seed, detail::Lower(title)) % (365 * 86400));
}
}  // namespace

Emulator::Impl::Impl(Options o) : opt(std::move(o)), log(opt.seed) {
  if (opt.site.empty() || opt.site.front() != '/') opt.site = "/" + opt.site;
  while (opt.site.size() > 1 && opt.site.back() == '/') opt.site.pop_back();
  site_id = detail::MakeGuid(detail::Hash(opt.seed, "site"), detail::Hash(opt.seed, "site2"));
  web_id = detail::MakeGuid(detail::Hash(opt.seed, "web"), detail::Hash(opt.seed, "web2"));
  for (const auto& spec : opt.lists) {
    if (spec.title.empty() || spec.item_count < 0)
      throw std::invalid_argument("invalid list spec '" + spec.title + "'");
    for (const auto& l : lists)
      if (detail::IEquals(l->title(), spec.title))
        throw std::invalid_argument("duplicate list '" + spec.title + "'");
    lists.push_back(std::make_unique<ListState>(opt.seed, spec.title, spec.item_count, 0,
                                                ListCreated(opt.seed, spec.title)));
  }
  // Every site has the list the Customer lookups point at, and its people.
  if (!FindByTitle(kCustomersList))
    lists.push_back(std::make_unique<ListState>(opt.seed, kCustomersList, kDefaultCustomers, 0,
                                                ListCreated(opt.seed, kCustomersList)));
  lists.push_back(std::make_unique<ListState>(opt.seed, kUserInformationList, 0, 0,
                                              ListCreated(opt.seed, "") - 86400,
                                              detail::ListTemplate::kUserInformation));
  LinkLookups();
  const int64_t start = ListCreated(opt.seed, "") + 86400;
  for (const auto& f : opt.fields) {
    ListState& l = Require(f.list);
    try {
      l.AddField(f.title, f.type, start);
    } catch (const std::invalid_argument& e) {
      throw std::invalid_argument("field '" + f.title + "' of list '" + f.list + "': " + e.what());
    }
  }
  for (const auto& ix : opt.indexed) {
    ListState& l = Require(ix.list);
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
  return BaseUrl() + opt.site;
}

ListState* Emulator::Impl::UserList() const {
  for (const auto& l : lists)
    if (l->list_template() == detail::ListTemplate::kUserInformation) return l.get();
  return nullptr;
}

void Emulator::Impl::LinkLookups() {
  const ListState* customers = FindByTitle(kCustomersList);
  const std::string users = UserList() ? UserList()->id() : "";
  for (auto& l : lists) l->LinkLookups(customers, users);
}

ListState* Emulator::Impl::FindByTitle(std::string_view title) const {
  for (const auto& l : lists)
    if (detail::IEquals(l->title(), title)) return l.get();
  return nullptr;
}

ListState* Emulator::Impl::FindById(std::string_view id) const {
  std::string lower = detail::Lower(id);
  if (lower.size() == 38 && lower.front() == '{') lower = lower.substr(1, 36);
  for (const auto& l : lists)
    if (l->id() == lower) return l.get();
  return nullptr;
}

ListState& Emulator::Impl::Require(std::string_view title) const {
  ListState* l = FindByTitle(title);
  if (!l) throw std::invalid_argument("no list '" + std::string(title) + "'");
  return *l;
}

std::string Emulator::Impl::CurrentToken(const ListState& list) const {
  // The ticks are "now" and the number the content database's latest change,
  // as SharePoint returns them.
  detail::ChangeToken t{3, list.id(), detail::UnixToTicks(NowUnix()), log.latest_number()};
  return t.ToString();
}

int64_t Emulator::Impl::RetentionStartTicks() const {
  return detail::UnixToTicks(NowUnix() - int64_t{opt.change_retention_days} * 86400);
}

void Emulator::Impl::RecordItem(const ListState& list, int type, int64_t id) {
  log.Record(list.id(), detail::ChangeObject::kItem, type, id, list.ChangeUniqueId(id),
             detail::UnixToTicks(NowUnix()));
}

std::string Emulator::Impl::Recycle(ListState& list, int64_t id) {
  if (!list.IsLive(id)) throw std::out_of_range("item does not exist");
  list.SetState(id, ItemState::kRecycled, NowUnix());
  const uint64_t n = ++recycle_counter;
  std::string rid = detail::MakeGuid(detail::Hash3(opt.seed, static_cast<uint64_t>(id), n),
                                     detail::Hash(n, list.id()));
  recycle_bin[rid] = {list.id(), id};
  // SharePoint logs a recycle as a delete of the item.
  RecordItem(list, 3, id);
  return rid;
}

void Emulator::Impl::Restore(ListState& list, int64_t id) {
  if (list.State(id) != ItemState::kRecycled)
    throw std::out_of_range("item is not in the recycle bin");
  for (auto it = recycle_bin.begin(); it != recycle_bin.end(); ++it)
    if (it->second.first == list.id() && it->second.second == id) {
      recycle_bin.erase(it);
      break;
    }
  list.SetState(id, ItemState::kLive, NowUnix());
  RecordItem(list, 7, id);
}

Emulator::Emulator(Options options) : impl_(std::make_unique<Impl>(std::move(options))) {}

Emulator::~Emulator() {
  Stop();
}

void Emulator::Start() {
  if (impl_->server) return;
  impl_->server = StartServer(*impl_);
}

void Emulator::Stop() {
  if (!impl_->server) return;
  impl_->server->stopAll(true);
  impl_->server.reset();
}

uint16_t Emulator::port() const {
  return impl_->bound_port;
}
std::string Emulator::SiteUrl() const {
  return impl_->SiteUrl();
}
std::string Emulator::BaseUrl() const {
  return impl_->BaseUrl();
}

std::string Emulator::ListId(std::string_view title) const {
  std::shared_lock lock(impl_->mu);
  ListState* l = impl_->FindByTitle(title);
  return l ? l->id() : "";
}

int64_t Emulator::ItemCount(std::string_view list) const {
  std::shared_lock lock(impl_->mu);
  return impl_->Require(list).item_count();
}

std::string Emulator::CurrentChangeToken(std::string_view list) const {
  std::shared_lock lock(impl_->mu);
  return impl_->CurrentToken(impl_->Require(list));
}

int64_t Emulator::AddItem(std::string_view list, std::string_view fields_json) {
  std::unique_lock lock(impl_->mu);
  ListState& l = impl_->Require(list);
  auto assignments = detail::ParseItemBody(l, fields_json, false);
  int64_t id = l.Add(assignments, impl_->NowUnix());
  impl_->RecordItem(l, 1, id);
  return id;
}

void Emulator::UpdateItem(std::string_view list, int64_t id, std::string_view fields_json) {
  std::unique_lock lock(impl_->mu);
  ListState& l = impl_->Require(list);
  auto assignments = detail::ParseItemBody(l, fields_json, false);
  l.Update(id, assignments, impl_->NowUnix());
  impl_->RecordItem(l, 2, id);
}

void Emulator::RecycleItem(std::string_view list, int64_t id) {
  std::unique_lock lock(impl_->mu);
  impl_->Recycle(impl_->Require(list), id);
}

void Emulator::DeleteItem(std::string_view list, int64_t id) {
  std::unique_lock lock(impl_->mu);
  ListState& l = impl_->Require(list);
  if (!l.IsLive(id)) throw std::out_of_range("item does not exist");
  l.SetState(id, ItemState::kDeleted, impl_->NowUnix());
  impl_->RecordItem(l, 3, id);
}

void Emulator::RestoreItem(std::string_view list, int64_t id) {
  std::unique_lock lock(impl_->mu);
  impl_->Restore(impl_->Require(list), id);
}

void Emulator::AddField(std::string_view list, std::string_view title,
                        std::string_view type_as_string) {
  std::unique_lock lock(impl_->mu);
  ListState& l = impl_->Require(list);
  l.AddField(title, type_as_string, impl_->NowUnix());
  impl_->log.Record(l.id(), detail::ChangeObject::kField, 1, 0, l.fields().back().id,
                    detail::UnixToTicks(impl_->NowUnix()));
}

void Emulator::RecreateList(std::string_view title) {
  std::unique_lock lock(impl_->mu);
  for (auto& l : impl_->lists) {
    if (!detail::IEquals(l->title(), title)) continue;
    int gen = ++impl_->generations[detail::Lower(title)];
    int64_t now = impl_->NowUnix();
    impl_->log.Record(l->id(), detail::ChangeObject::kList, 3, 0, l->id(),
                      detail::UnixToTicks(now));
    int64_t count = l->item_count();
    std::string name = l->title();
    l = std::make_unique<ListState>(impl_->opt.seed, name, count, gen, now, l->list_template());
    impl_->LinkLookups();
    impl_->log.Record(l->id(), detail::ChangeObject::kList, 1, 0, l->id(),
                      detail::UnixToTicks(now));
    return;
  }
  throw std::invalid_argument("no list '" + std::string(title) + "'");
}

void Emulator::ForEachLiveItem(std::string_view list,
                               const std::function<void(int64_t, std::string_view)>& fn) const {
  std::shared_lock lock(impl_->mu);
  const ListState& l = impl_->Require(list);
  detail::Negotiated n{detail::Format::kNoMetadata, false, true};
  detail::ItemWriter w{&l, &n, impl_->SiteUrl(), {}, false, {}};
  std::string unknown;
  w.column_subset = detail::SelectColumns(l, {}, unknown);
  std::vector<std::string> values;
  std::string json;
  for (int64_t id = l.NextLive(1, 1, l.max_id(), true); id;
       id = l.NextLive(id + 1, 1, l.max_id(), true)) {
    l.Values(id, values);
    json.clear();
    w.Append(json, id, values, l.Version(id));
    fn(id, json);
  }
}

std::string Emulator::ItemJson(std::string_view list, int64_t id) const {
  std::shared_lock lock(impl_->mu);
  const ListState& l = impl_->Require(list);
  std::vector<std::string> values;
  if (!l.Values(id, values)) return "";
  detail::Negotiated n{detail::Format::kNoMetadata, false, true};
  detail::ItemWriter w{&l, &n, impl_->SiteUrl(), {}, false, {}};
  std::string unknown;
  w.column_subset = detail::SelectColumns(l, {}, unknown);
  std::string json;
  w.Append(json, id, values, l.Version(id));
  return json;
}

void Emulator::AdvanceClock(std::chrono::seconds by) {
  impl_->clock_offset += by.count();
}

std::chrono::system_clock::time_point Emulator::Now() const {
  return std::chrono::system_clock::time_point(std::chrono::seconds(impl_->NowUnix()));
}

Stats Emulator::GetStats() const {
  auto c = [&](RequestKind k) { return impl_->counts[static_cast<size_t>(k)].load(); };
  Stats s;
  s.total = impl_->total.load();
  s.list_metadata = c(RequestKind::kListMetadata);
  s.fields = c(RequestKind::kFields);
  s.items = c(RequestKind::kItems);
  s.item_by_id = c(RequestKind::kItemById);
  s.get_items = c(RequestKind::kGetItems);
  s.get_changes = c(RequestKind::kGetChanges);
  s.writes = c(RequestKind::kWrites);
  s.token = c(RequestKind::kToken);
  s.context_info = c(RequestKind::kContextInfo);
  s.throttled = impl_->throttled.load();
  s.faulted = impl_->faulted.load();
  return s;
}

void Emulator::ResetStats() {
  for (auto& c : impl_->counts) c = 0;
  impl_->total = 0;
  impl_->throttled = 0;
  impl_->faulted = 0;
}

void Emulator::SetFaults(FaultSpec spec) {
  impl_->faults->Set(std::move(spec));
}

void Emulator::FailNext(RequestKind kind, int count, FaultKind fault) {
  impl_->faults->FailNext(kind, count, fault);
}

}  // namespace spsync::emulator
