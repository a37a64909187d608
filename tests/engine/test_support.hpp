// Shared helpers of the engine scenario tests: an emulator with two lists and
// a client talking to it over loopback HTTP, sync runs, and the comparison of
// a sink's items with the emulator's truth.
#pragma once

#include "spsync/emulator/emulator.hpp"
#include "spsync/engine/sharepoint/credentials.hpp"
#include "spsync/engine/sharepoint/http_client.hpp"
#include "spsync/engine/sharepoint/sharepoint_client.hpp"
#include "spsync/engine/sync/state.hpp"
#include "spsync/engine/sync/sync_session.hpp"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <vector>

namespace spsync::test {

inline constexpr const char* kToken = "test-token-123";
inline constexpr int64_t kBig = 12000;  // above the 5000 list view threshold
inline constexpr int64_t kSmall = 300;  // below it

inline emulator::Options EmuOptions() {
  emulator::Options o;
  o.lists = {{"Orders", kBig}, {"Small", kSmall}};
  o.seed = 7;
  o.token = kToken;
  // Each keep-alive connection holds a server thread, and the engine opens
  // one per stream (8 by default): with fewer threads the extra connections
  // wait for a kept-alive one to close, which SharePoint never makes a client do.
  o.threads = 16;
  return o;
}

struct Env {
  emulator::Emulator emu;
  std::unique_ptr<engine::SharePointClient> client;

  explicit Env(emulator::Options o = EmuOptions()) : emu(std::move(o)) {
    emu.Start();
    SetRetry(8);
  }

  // A fresh client (e.g. with another retry policy), same emulator.
  void SetRetry(int max_attempts) {
    engine::ClientOptions co;
    co.site_url = SiteUrl();
    co.retry.max_attempts = max_attempts;
    co.retry.base_backoff = std::chrono::milliseconds(5);
    co.retry.max_backoff = std::chrono::milliseconds(50);
    client = std::make_unique<engine::SharePointClient>(
        co, std::make_shared<engine::HttpClient>(Http()), engine::BearerCredentials(kToken),
        std::make_shared<engine::ThrottleGate>());
  }

  engine::HttpOptions Http() const { return {}; }

  std::string SiteUrl() const { return emu.SiteUrl(); }

  engine::SessionResult Run(engine::Sink& sink, const std::string& list,
                            engine::SessionOptions options = {}, engine::SessionEvents events = {},
                            const engine::Deadline& deadline = engine::Deadline(),
                            engine::EntityConfig entity = {}) {
    entity.name = entity.name.empty() ? "orders" : entity.name;
    entity.list = list;
    options.sink_name = options.sink_name.empty() ? "test" : options.sink_name;
    options.sink_backoff = std::chrono::milliseconds(1);
    engine::SyncSession session(*client, sink, entity, options, events);
    return session.Run(deadline);
  }

  // The IDs of live items in order (the synthetic lists have gaps).
  std::vector<int64_t> Ids(const std::string& list) const {
    std::vector<int64_t> ids;
    emu.ForEachLiveItem(list, [&](int64_t id, std::string_view) { ids.push_back(id); });
    return ids;
  }

  std::map<int64_t, std::string> Truth(const std::string& list) const {
    std::map<int64_t, std::string> t;
    emu.ForEachLiveItem(list,
                        [&](int64_t id, std::string_view json) { t[id] = std::string(json); });
    return t;
  }
};

// The sink's raw JSON is the item as SharePoint sent it for the engine's
// $select: every property in it must equal the live item's (the truth has
// every field).
inline bool SameItem(const std::string& sink_raw, const std::string& truth_raw) {
  if (sink_raw == truth_raw) return true;
  try {
    Poco::JSON::Parser p1, p2;
    auto a = p1.parse(sink_raw).extract<Poco::JSON::Object::Ptr>();
    auto b = p2.parse(truth_raw).extract<Poco::JSON::Object::Ptr>();
    if (a->size() < 5) return false;  // not a real item
    for (const auto& [key, value] : *a) {
      if (!b->has(key)) return false;
      std::ostringstream x, y;
      Poco::JSON::Stringifier::stringify(value, x);
      Poco::JSON::Stringifier::stringify(b->get(key), y);
      if (x.str() != y.str()) return false;
    }
    return true;
  } catch (const std::exception&) {
    return false;
  }
}

inline const std::string& RawOf(const std::string& s) {
  return s;
}

// Sink contents (id -> raw JSON) equal the emulator's live items, byte for byte.
template <typename Items>
::testing::AssertionResult SameAsTruth(const std::map<int64_t, std::string>& truth,
                                       const Items& items) {
  std::ostringstream why;
  int problems = 0;
  for (const auto& [id, json] : truth) {
    auto it = items.find(id);
    if (it == items.end()) {
      if (problems++ < 5) why << "missing ID " << id << "; ";
    } else if (!SameItem(RawOf(it->second), json)) {
      if (problems++ < 5)
        why << "ID " << id << " differs: sink=" << RawOf(it->second).substr(0, 200)
            << " truth=" << json.substr(0, 200) << "; ";
    }
  }
  for (const auto& [id, item] : items)
    if (!truth.count(id) && problems++ < 10) why << "extra ID " << id << "; ";
  if (problems == 0 && items.size() == truth.size()) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << problems << " problems (sink " << items.size()
                                       << " items, truth " << truth.size() << "): " << why.str();
}

inline std::filesystem::path TempDir(const std::string& name) {
  std::random_device rd;
  auto p = std::filesystem::temp_directory_path() /
           ("spsync-engine-" + name + "-" + std::to_string(rd()));
  std::filesystem::create_directories(p);
  return p;
}

inline int64_t CeilDiv(int64_t a, int64_t b) {
  return (a + b - 1) / b;
}

}  // namespace spsync::test
