// The emulator's shared state (Emulator::Impl): the site collections, their
// webs and lists, the change log, the recycle bins, the clock, counters,
// faults and authentication. Every part of the emulator reaches the state
// through it.
//
// Thread-safety: `mu` guards every web's lists, generations, log, retired_lists,
// recycle_bin and recycle_counter (shared for reads, exclusive for writes);
// the counters and clock_offset are atomics; faults, latency, budget, auth and
// webhooks lock themselves; the site tree (sites, webs_by_url, primary) and the rest is set
// before the server starts and read-only afterwards.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "model/change_log.hpp"
#include "model/synthetic_list.hpp"
#include "model/webs.hpp"
#include "spsync/emulator/emulator.hpp"

namespace Poco::Net {
class HTTPServer;
}

namespace spsync::emulator {
namespace detail {
constexpr size_t kKindCount = static_cast<size_t>(RequestKind::kOther) + 1;
class Authenticator;   // http/auth.hpp
class FaultEngine;     // http/faults.hpp
class LatencyModel;    // http/cost_model.hpp
class ResourceBudget;  // http/cost_model.hpp
class WebhookHub;      // model/webhook_hub.hpp
class MigrationJobs;   // api/migration_jobs.hpp

// One row of a site collection's recycle bin: a recycled item, or a whole
// list (kept alive here, so lookups into it stay valid until it comes back).
struct RecycledEntry {
  const SiteState* site = nullptr;
  WebState* web = nullptr;
  std::string list_id;
  int64_t item = 0;  // 0 for a recycled list
  std::unique_ptr<ListState> list;
};
}  // namespace detail

struct Emulator::Impl {
  explicit Impl(Options o);
  ~Impl();
  Options opt;
  mutable std::shared_mutex mu;
  std::vector<std::unique_ptr<detail::SiteState>> sites;
  detail::WebState* primary = nullptr;                   // the first site's root web
  std::map<std::string, detail::WebState*> webs_by_url;  // lowercase server-relative URL
  // lowercase list identity -> lists of that identity created since start
  // (each gets a new GUID and new items).
  std::map<std::string, int> generations;
  detail::ChangeLog log;
  std::map<std::string, detail::RecycledEntry> recycle_bin;  // recycle bin item id ->
  // Lists replaced by RecreateList, kept because recycled lists may look them up.
  std::vector<std::unique_ptr<detail::ListState>> retired_lists;
  uint64_t recycle_counter = 0;
  std::atomic<int64_t> clock_offset{0};
  std::array<std::atomic<uint64_t>, detail::kKindCount> counts{};
  std::atomic<uint64_t> total{0}, throttled{0}, faulted{0};
  // API requests being answered now, and the most at once since the last reset.
  std::atomic<uint64_t> in_flight{0}, peak_in_flight{0};
  std::unique_ptr<detail::FaultEngine> faults;
  std::unique_ptr<detail::LatencyModel> latency;
  std::unique_ptr<detail::ResourceBudget> budget;
  std::unique_ptr<detail::Authenticator> auth;
  std::unique_ptr<detail::WebhookHub> webhooks;  // locks itself; RecordItem feeds it
  std::unique_ptr<Poco::Net::HTTPServer> server;
  uint16_t bound_port = 0;
  // Migration Export jobs and their worker threads (api/migration_jobs.cpp),
  // created by the first migration call; declared last so it is destroyed
  // (its workers stopped and joined) before the state they read.
  std::mutex migration_mu;
  std::shared_ptr<detail::MigrationJobs> migration;

  int64_t NowUnix() const;
  std::string SiteUrl() const;  // the primary web's absolute URL
  std::string BaseUrl() const;
  std::string WebUrl(const detail::WebState& web) const;  // absolute
  // The web at a server-relative URL (any case, trailing slash allowed); nullptr if none.
  detail::WebState* FindWeb(std::string_view url) const;
  // As FindWeb, "" meaning the primary web; throws std::invalid_argument naming the URL.
  detail::WebState& RequireWeb(std::string_view url) const;
  // Callers hold mu. Throws std::invalid_argument naming the web and the title.
  detail::ListState& Require(const ListRef& ref) const;
  // Points the web's lists' lookups at its Customers list (or at themselves)
  // and their person fields at the site's User Information List; again
  // whenever a list of the web is replaced.
  void LinkLookups(detail::WebState& web);
  std::string CurrentToken(const detail::ListState& list) const;
  std::string CurrentToken(const detail::WebState& web) const;    // scope 2
  std::string CurrentToken(const detail::SiteState& site) const;  // scope 1
  int64_t RetentionStartTicks() const;

  // Callers hold mu exclusively. Lists as a client creates, deletes, renames
  // them; RestError with SharePoint's answer for a duplicate title.
  detail::ListState& CreateList(detail::WebState& web, const ListSpec& spec);
  std::string RecycleList(detail::ListState& list);  // returns the recycle bin item id
  void RenameList(detail::ListState& list, std::string title);
  // Restores a recycled item or list; std::out_of_range if the id is unknown
  // (or belongs to another site collection than `site`, when given).
  void RestoreRecycled(const std::string& recycle_id, const detail::SiteState* site = nullptr);
  // Replaces a list by a new one of the same title (new GUID, new items).
  void RecreateList(detail::ListState& list);

  void RecordItem(const detail::ListState& list, int type, int64_t id);
  void RecordField(const detail::ListState& list, int type, const std::string& field_id);
  void RecordList(const detail::ListState& list, int type);
  std::string Recycle(detail::ListState& list, int64_t id);
  void Restore(detail::ListState& list, int64_t id);
};

}  // namespace spsync::emulator
