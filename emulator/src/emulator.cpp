// The in-process API: lifecycle, direct mutations for tests (recorded in the
// change log exactly like REST writes), lists created, renamed and deleted as
// over REST, the controllable clock and statistics.
#include <Poco/Net/HTTPServer.h>

#include <stdexcept>

#include "api/attachments.hpp"
#include "http/cost_model.hpp"
#include "http/faults.hpp"
#include "http/server.hpp"
#include "impl.hpp"
#include "model/webhook_hub.hpp"
#include "odata/format.hpp"
#include "odata/item_body.hpp"
#include "rest_error.hpp"
#include "util.hpp"

namespace spsync::emulator {

using detail::ItemState;
using detail::ListState;
using detail::WebState;

Emulator::Emulator(Options options) : impl_(std::make_unique<Impl>(std::move(options))) {}

Emulator::~Emulator() {
  Stop();
}

void Emulator::Start() {
  if (impl_->server) return;
  impl_->server = StartServer(*impl_);
  impl_->webhooks->Start();
}

void Emulator::Stop() {
  impl_->webhooks->Stop();
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

std::string Emulator::WebUrl(std::string_view web) const {
  return impl_->WebUrl(impl_->RequireWeb(web));
}

std::string Emulator::WebId(std::string_view web) const {
  return impl_->RequireWeb(web).id;
}

std::string Emulator::ListId(const ListRef& list) const {
  std::shared_lock lock(impl_->mu);
  ListState* l = impl_->RequireWeb(list.web).FindByTitle(list.title);
  return l ? l->id() : "";
}

int64_t Emulator::ItemCount(const ListRef& list) const {
  std::shared_lock lock(impl_->mu);
  return impl_->Require(list).item_count();
}

std::string Emulator::CurrentChangeToken(const ListRef& list) const {
  std::shared_lock lock(impl_->mu);
  return impl_->CurrentToken(impl_->Require(list));
}

int64_t Emulator::AddItem(const ListRef& list, std::string_view fields_json) {
  std::unique_lock lock(impl_->mu);
  ListState& l = impl_->Require(list);
  auto assignments = detail::ParseItemBody(l, fields_json, false);
  int64_t id = l.Add(assignments, impl_->NowUnix());
  impl_->RecordItem(l, 1, id);
  return id;
}

void Emulator::UpdateItem(const ListRef& list, int64_t id, std::string_view fields_json) {
  std::unique_lock lock(impl_->mu);
  ListState& l = impl_->Require(list);
  auto assignments = detail::ParseItemBody(l, fields_json, false);
  l.Update(id, assignments, impl_->NowUnix());
  impl_->RecordItem(l, 2, id);
}

void Emulator::RecycleItem(const ListRef& list, int64_t id) {
  std::unique_lock lock(impl_->mu);
  impl_->Recycle(impl_->Require(list), id);
}

void Emulator::DeleteItem(const ListRef& list, int64_t id) {
  std::unique_lock lock(impl_->mu);
  ListState& l = impl_->Require(list);
  if (!l.IsLive(id)) throw std::out_of_range("item does not exist");
  l.SetState(id, ItemState::kDeleted, impl_->NowUnix());
  impl_->RecordItem(l, 3, id);
}

void Emulator::RestoreItem(const ListRef& list, int64_t id) {
  std::unique_lock lock(impl_->mu);
  impl_->Restore(impl_->Require(list), id);
}

namespace {
// The item's attachment of that name (any case), or nullptr.
const detail::AttachmentFile* FindFile(const std::vector<detail::AttachmentFile>& files,
                                       std::string_view name) {
  for (const auto& f : files)
    if (detail::IEquals(f.name, name)) return &f;
  return nullptr;
}
}  // namespace

void Emulator::AddAttachment(const ListRef& list, int64_t id, std::string_view file_name,
                             std::string_view bytes) {
  std::unique_lock lock(impl_->mu);
  ListState& l = impl_->Require(list);
  if (!l.IsLive(id)) throw std::invalid_argument("item " + std::to_string(id) + " is not live");
  l.PutAttachment(id,
                  detail::AttachmentFile{std::string(file_name), static_cast<int64_t>(bytes.size()),
                                         std::make_shared<const std::string>(bytes), 0},
                  impl_->NowUnix());
  impl_->RecordItem(l, 2, id);
}

void Emulator::AddSyntheticAttachment(const ListRef& list, int64_t id, std::string_view file_name,
                                      int64_t size) {
  std::unique_lock lock(impl_->mu);
  ListState& l = impl_->Require(list);
  if (!l.IsLive(id)) throw std::invalid_argument("item " + std::to_string(id) + " is not live");
  if (size < 0) throw std::invalid_argument("negative attachment size");
  l.PutAttachment(
      id,
      detail::AttachmentFile{std::string(file_name), size, nullptr, l.AttachmentKey(id, file_name)},
      impl_->NowUnix());
  impl_->RecordItem(l, 2, id);
}

void Emulator::DeleteAttachment(const ListRef& list, int64_t id, std::string_view file_name) {
  std::unique_lock lock(impl_->mu);
  ListState& l = impl_->Require(list);
  if (!l.IsLive(id)) throw std::invalid_argument("item " + std::to_string(id) + " is not live");
  if (!l.RemoveAttachment(id, file_name, impl_->NowUnix()))
    throw std::invalid_argument("item " + std::to_string(id) + " has no attachment '" +
                                std::string(file_name) + "'");
  impl_->RecordItem(l, 2, id);
}

std::vector<AttachmentInfo> Emulator::Attachments(const ListRef& list, int64_t id) const {
  std::shared_lock lock(impl_->mu);
  const ListState& l = impl_->Require(list);
  std::vector<AttachmentInfo> out;
  if (!l.IsLive(id)) return out;
  for (const auto& f : l.AttachmentFiles(id))
    out.push_back({f.name, f.size, detail::AttachmentUrl(l, id, f.name)});
  return out;
}

std::string Emulator::AttachmentBytes(const ListRef& list, int64_t id,
                                      std::string_view file_name) const {
  std::shared_lock lock(impl_->mu);
  const ListState& l = impl_->Require(list);
  auto files = l.IsLive(id) ? l.AttachmentFiles(id) : std::vector<detail::AttachmentFile>{};
  const detail::AttachmentFile* f = FindFile(files, file_name);
  if (!f)
    throw std::invalid_argument("item " + std::to_string(id) + " has no attachment '" +
                                std::string(file_name) + "'");
  if (f->bytes) return *f->bytes;
  std::string bytes(static_cast<size_t>(f->size), '\0');
  detail::SyntheticBytes(f->key, 0, bytes.size(), bytes.data());
  return bytes;
}

int64_t Emulator::VersionCount(const ListRef& list, int64_t id) const {
  std::shared_lock lock(impl_->mu);
  return static_cast<int64_t>(impl_->Require(list).VersionValues(id).size());
}

void Emulator::AddField(const ListRef& list, std::string_view title,
                        std::string_view type_as_string) {
  std::unique_lock lock(impl_->mu);
  ListState& l = impl_->Require(list);
  l.AddField(title, type_as_string, impl_->NowUnix());
  impl_->RecordField(l, 1, l.fields().back().id);
}

void Emulator::RecreateList(const ListRef& list) {
  std::unique_lock lock(impl_->mu);
  impl_->RecreateList(impl_->Require(list));
}

namespace {
// A RestError as the in-process API reports it.
[[noreturn]] void Rethrow(const detail::RestError& e, std::string_view what) {
  throw std::invalid_argument(std::string(what) + ": " + e.what());
}
}  // namespace

std::string Emulator::CreateList(std::string_view web, const ListSpec& spec) {
  std::unique_lock lock(impl_->mu);
  WebState& w = impl_->RequireWeb(web);
  try {
    return impl_->CreateList(w, spec).id();
  } catch (const detail::RestError& e) {
    Rethrow(e, "list '" + spec.title + "' in web '" + w.url + "'");
  }
}

std::string Emulator::DeleteList(const ListRef& list) {
  std::unique_lock lock(impl_->mu);
  try {
    return impl_->RecycleList(impl_->Require(list));
  } catch (const detail::RestError& e) {
    Rethrow(e, "list '" + list.title + "'");
  }
}

void Emulator::RestoreList(std::string_view recycle_bin_id) {
  std::unique_lock lock(impl_->mu);
  try {
    impl_->RestoreRecycled(std::string(recycle_bin_id));
  } catch (const detail::RestError& e) {
    Rethrow(e, "recycle bin item '" + std::string(recycle_bin_id) + "'");
  } catch (const std::out_of_range&) {
    throw std::invalid_argument("no recycle bin item '" + std::string(recycle_bin_id) + "'");
  }
}

void Emulator::RenameList(const ListRef& list, std::string_view new_title) {
  std::unique_lock lock(impl_->mu);
  try {
    impl_->RenameList(impl_->Require(list), std::string(new_title));
  } catch (const detail::RestError& e) {
    Rethrow(e, "list '" + list.title + "'");
  }
}

void Emulator::ForEachLiveItem(const ListRef& list,
                               const std::function<void(int64_t, std::string_view)>& fn) const {
  std::shared_lock lock(impl_->mu);
  const ListState& l = impl_->Require(list);
  detail::Negotiated n{detail::Format::kNoMetadata, false, true};
  detail::ItemWriter w{&l, &n, impl_->WebUrl(*l.web()), {}, false, {}};
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

std::string Emulator::ItemJson(const ListRef& list, int64_t id) const {
  std::shared_lock lock(impl_->mu);
  const ListState& l = impl_->Require(list);
  std::vector<std::string> values;
  if (!l.Values(id, values)) return "";
  detail::Negotiated n{detail::Format::kNoMetadata, false, true};
  detail::ItemWriter w{&l, &n, impl_->WebUrl(*l.web()), {}, false, {}};
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
  s.discovery = c(RequestKind::kDiscovery);
  s.attachments = c(RequestKind::kAttachments);
  s.versions = c(RequestKind::kVersions);
  s.file_info = c(RequestKind::kFileInfo);
  s.throttled = impl_->throttled.load();
  s.faulted = impl_->faulted.load();
  s.peak_in_flight = impl_->peak_in_flight.load();
  s.ru_spent = impl_->budget->spent();
  s.ru_throttled = impl_->budget->refused();
  return s;
}

void Emulator::ResetStats() {
  for (auto& c : impl_->counts) c = 0;
  impl_->total = 0;
  impl_->throttled = 0;
  impl_->faulted = 0;
  impl_->peak_in_flight = impl_->in_flight.load();
  impl_->budget->ResetCounters();
}

void Emulator::SetFaults(FaultSpec spec) {
  impl_->faults->Set(std::move(spec));
}

void Emulator::FailNext(RequestKind kind, int count, FaultKind fault) {
  impl_->faults->FailNext(kind, count, fault);
}

void Emulator::SetLatency(LatencySpec spec) {
  impl_->latency->Set(spec);
}

void Emulator::SetBudget(BudgetSpec spec) {
  impl_->budget->Set(spec);
}

std::vector<SubscriptionInfo> Emulator::Subscriptions(const ListRef& list) const {
  std::string list_id;
  {
    std::shared_lock lock(impl_->mu);
    list_id = impl_->Require(list).id();
  }
  std::vector<SubscriptionInfo> out;
  for (auto& s : impl_->webhooks->ForList(list_id))
    out.push_back({s.id, s.list_id, s.notification_url, s.client_state,
                   std::chrono::system_clock::time_point(std::chrono::seconds(s.expiration))});
  return out;
}

void Emulator::RemoveSubscription(std::string_view id) {
  impl_->webhooks->Remove("", id);
}

void Emulator::SetWebhooks(WebhookSpec spec) {
  impl_->webhooks->SetSpec(spec);
}

WebhookStats Emulator::GetWebhookStats() const {
  return impl_->webhooks->stats();
}

void Emulator::DeliverWebhooksNow() {
  impl_->webhooks->DeliverNow();
}

}  // namespace spsync::emulator
