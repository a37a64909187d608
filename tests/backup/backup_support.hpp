// Helpers of the complete-backup tests (issue 14): an emulator with Orders
// and its Customers lookup target over loopback HTTP, sessions into the real
// SQLite plugin, and reading the table back.
#pragma once

#include "spsync/emulator/emulator.hpp"
#include "spsync/engine/sharepoint/credentials.hpp"
#include "spsync/engine/sharepoint/http_client.hpp"
#include "spsync/engine/sharepoint/sharepoint_client.hpp"
#include "spsync/engine/sync/sync_session.hpp"
#include "spsync/plugins/loaded_plugin.hpp"
#include "spsync/plugins/plugin_finder.hpp"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <sqlite3.h>

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

namespace spsync::backup_test {

inline constexpr const char* kToken = "backup-token";

inline emulator::Options Lists(std::vector<emulator::ListSpec> lists, uint64_t seed = 23) {
  emulator::Options o;
  o.lists = std::move(lists);
  o.seed = seed;
  o.token = kToken;
  // Enough server threads for every connection a session keeps open: the
  // full sync's streams, the version fetches in flight, the resolver.
  o.threads = 16;
  return o;
}

struct Env {
  emulator::Emulator emu;
  std::shared_ptr<engine::HttpClient> http =
      std::make_shared<engine::HttpClient>(engine::HttpOptions{});
  std::unique_ptr<engine::SharePointClient> client;

  explicit Env(emulator::Options o) : emu(std::move(o)) {
    emu.Start();
    engine::ClientOptions co;
    co.site_url = emu.SiteUrl();
    co.retry.base_backoff = std::chrono::milliseconds(5);
    co.retry.max_backoff = std::chrono::milliseconds(50);
    client = std::make_unique<engine::SharePointClient>(co, http, engine::BearerCredentials(kToken),
                                                        std::make_shared<engine::ThrottleGate>());
  }

  engine::SessionResult Run(engine::Sink& sink, engine::EntityConfig entity,
                            engine::SessionEvents events = {},
                            engine::SessionOptions options = {}) {
    options.sink_name = "db";
    options.sink_backoff = std::chrono::milliseconds(1);
    engine::SyncSession session(*client, sink, entity, options, events);
    return session.Run(engine::Deadline());
  }

  // A REST call to the emulator as any client makes it; the body as JSON.
  Poco::JSON::Object::Ptr Rest(const std::string& method, const std::string& path,
                               const std::string& body = "") {
    engine::HttpRequest r;
    r.method = method;
    r.url = emu.SiteUrl() + "/_api/" + path;
    r.body = body;
    r.headers = {{"Authorization", std::string("Bearer ") + kToken},
                 {"Accept", "application/json;odata=nometadata"},
                 {"Content-Type", "application/json;odata=nometadata"}};
    auto resp = http->Send(r);
    EXPECT_LT(resp.status, 300) << path << ": " << resp.body;
    Poco::JSON::Parser p;
    return p.parse(resp.body).extract<Poco::JSON::Object::Ptr>();
  }

  // Adds a colleague to the site (web/ensureuser); returns the user ID.
  int64_t EnsureUser(const std::string& email) {
    return Rest("POST", "web/ensureuser", "{\"logonName\":\"i:0#.f|membership|" + email + "\"}")
        ->getValue<int64_t>("Id");
  }

  struct Person {
    std::string name, email;
  };
  // Every user of the site, by ID (the system account included).
  std::map<int64_t, Person> People() {
    std::map<int64_t, Person> out;
    auto users = Rest("GET", "web/siteusers")->getArray("value");
    for (size_t i = 0; i < users->size(); ++i) {
      auto u = users->getObject(static_cast<unsigned>(i));
      out[u->getValue<int64_t>("Id")] = {u->getValue<std::string>("Title"),
                                         u->optValue<std::string>("Email", "")};
    }
    auto system = Rest("GET", "web/getuserbyid(1073741823)");
    out[1073741823] = {system->getValue<std::string>("Title"),
                       system->optValue<std::string>("Email", "")};
    return out;
  }

  std::vector<int64_t> Ids(const std::string& list) const {
    std::vector<int64_t> ids;
    emu.ForEachLiveItem(list, [&](int64_t id, std::string_view) { ids.push_back(id); });
    return ids;
  }
};

inline std::filesystem::path TempDir(const std::string& name) {
  std::random_device rd;
  auto p = std::filesystem::temp_directory_path() /
           ("spsync-backup-" + name + "-" + std::to_string(rd()));
  std::filesystem::create_directories(p);
  return p;
}

inline std::unique_ptr<engine::Sink> OpenSqlite(const std::string& path) {
  plugins::PluginFinder finder({SPSYNC_PLUGIN_BUILD_DIR});
  return finder.Load("sqlite")->Open({{"path", path}});
}

// Rows of `sql` as strings (NULL as nullopt).
using Row = std::vector<std::optional<std::string>>;
inline std::vector<Row> Query(const std::string& db_path, const std::string& sql) {
  std::vector<Row> rows;
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    ADD_FAILURE() << "cannot open " << db_path;
    sqlite3_close(db);
    return rows;
  }
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr) != SQLITE_OK) {
    ADD_FAILURE() << sql << ": " << sqlite3_errmsg(db);
  } else {
    while (sqlite3_step(st) == SQLITE_ROW) {
      Row row;
      for (int c = 0; c < sqlite3_column_count(st); ++c) {
        if (sqlite3_column_type(st, c) == SQLITE_NULL) {
          row.emplace_back(std::nullopt);
        } else {
          const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(st, c));
          row.emplace_back(std::string(text ? text : ""));
        }
      }
      rows.push_back(std::move(row));
    }
  }
  sqlite3_finalize(st);
  sqlite3_close(db);
  return rows;
}

inline Poco::JSON::Object::Ptr ParseObject(const std::string& json) {
  Poco::JSON::Parser p;
  return p.parse(json).extract<Poco::JSON::Object::Ptr>();
}

}  // namespace spsync::backup_test
