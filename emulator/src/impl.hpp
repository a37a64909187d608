// The emulator's shared state (Emulator::Impl): the lists, the change log,
// the recycle bin, the clock, counters, faults and authentication. Every
// part of the emulator reaches the state through it.
//
// Thread-safety: `mu` guards lists, generations, log, recycle_bin and
// recycle_counter (shared for reads, exclusive for writes); the counters and
// clock_offset are atomics; faults and auth lock themselves; the rest is set
// before the server starts and read-only afterwards.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "model/change_log.hpp"
#include "model/synthetic_list.hpp"
#include "spsync/emulator/emulator.hpp"

namespace Poco::Net {
class HTTPServer;
}

namespace spsync::emulator {
namespace detail {
constexpr size_t kKindCount = static_cast<size_t>(RequestKind::kOther) + 1;
class Authenticator;  // http/auth.hpp
class FaultEngine;    // http/faults.hpp
}  // namespace detail

struct Emulator::Impl {
  explicit Impl(Options o);
  ~Impl();
  Options opt;
  mutable std::shared_mutex mu;
  std::vector<std::unique_ptr<detail::ListState>> lists;
  std::map<std::string, int> generations;  // lowercase title -> times recreated
  detail::ChangeLog log;
  std::map<std::string, std::pair<std::string, int64_t>> recycle_bin;  // id -> (list id, item)
  uint64_t recycle_counter = 0;
  std::atomic<int64_t> clock_offset{0};
  std::array<std::atomic<uint64_t>, detail::kKindCount> counts{};
  std::atomic<uint64_t> total{0}, throttled{0}, faulted{0};
  std::unique_ptr<detail::FaultEngine> faults;
  std::unique_ptr<detail::Authenticator> auth;
  std::unique_ptr<Poco::Net::HTTPServer> server;
  uint16_t bound_port = 0;
  std::string site_id, web_id;

  int64_t NowUnix() const;
  std::string SiteUrl() const;
  std::string BaseUrl() const;
  // Callers hold mu.
  detail::ListState* FindByTitle(std::string_view title) const;
  detail::ListState* FindById(std::string_view id) const;
  detail::ListState& Require(std::string_view title) const;  // throws std::invalid_argument
  detail::ListState* UserList() const;                       // the User Information List
  // Points every list's lookups at the Customers list and its person fields
  // at the User Information List; again whenever a list is replaced.
  void LinkLookups();
  std::string CurrentToken(const detail::ListState& list) const;
  int64_t RetentionStartTicks() const;
  void RecordItem(const detail::ListState& list, int type, int64_t id);
  std::string Recycle(detail::ListState& list, int64_t id);
  void Restore(detail::ListState& list, int64_t id);
};

}  // namespace spsync::emulator
