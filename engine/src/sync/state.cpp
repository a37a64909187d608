#include "spsync/engine/sync/state.hpp"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <sstream>
#include <stdexcept>

namespace spsync::engine {

namespace {
constexpr int kStateFormat = 1;

template <typename T>
T Field(const Poco::JSON::Object::Ptr& o, const char* key, T fallback) {
  return o->has(key) && !o->isNull(key) ? o->getValue<T>(key) : fallback;
}
}  // namespace

const char* ModeName(SyncMode mode) {
  return mode == SyncMode::kFull ? "full" : "incremental";
}

bool SamePosition(const SyncState& a, const SyncState& b) {
  return a.list_id == b.list_id && a.mode == b.mode && a.full_in_progress == b.full_in_progress &&
         a.forced_replay == b.forced_replay && a.page_last_id == b.page_last_id &&
         a.ranges == b.ranges && a.full_start_token == b.full_start_token &&
         a.prior_high_water_id == b.prior_high_water_id && a.change_token == b.change_token &&
         a.high_water_id == b.high_water_id && a.schema_fingerprint == b.schema_fingerprint &&
         a.fields == b.fields && a.export_job == b.export_job;
}

std::string EncodeState(const SyncState& s) {
  Poco::JSON::Object o(Poco::JSON_PRESERVE_KEY_ORDER);
  o.set("format", kStateFormat);
  o.set("entity", s.entity);
  o.set("listId", s.list_id);
  o.set("mode", std::string(ModeName(s.mode)));
  o.set("fullInProgress", s.full_in_progress);
  if (s.forced_replay) o.set("forcedReplay", true);
  o.set("pageLastId", s.page_last_id);
  if (!s.ranges.empty()) {
    Poco::JSON::Array ranges;
    for (const auto& r : s.ranges) {
      Poco::JSON::Array pair;
      pair.add(r.after);
      pair.add(r.last);  // INT64_MAX: the open end
      ranges.add(pair);
    }
    o.set("ranges", ranges);
  }
  if (s.export_job.active() || !s.export_job.rest_reason.empty()) {
    Poco::JSON::Object job(Poco::JSON_PRESERVE_KEY_ORDER);
    EncodeExportJob(s.export_job, job);
    o.set("exportJob", job);
  }
  o.set("fullStartToken", s.full_start_token);
  o.set("priorHighWaterId", s.prior_high_water_id);
  o.set("changeToken", s.change_token);
  o.set("highWaterId", s.high_water_id);
  o.set("lastSuccess", s.last_success_unix);
  o.set("lastFull", s.last_full_unix);
  o.set("failedSessions", s.failed_sessions);
  o.set("lastError", s.last_error);
  o.set("schemaFingerprint", s.schema_fingerprint);
  Poco::JSON::Array fields;
  for (const auto& f : s.fields) fields.add(f);
  o.set("fields", fields);
  o.set("listModified", s.list_modified);
  o.set("listDeleted", s.list_deleted);
  o.set("lastChangeCheck", s.last_change_check_unix);
  o.set("configFingerprint", s.config_fingerprint);
  o.set("itemsUpserted", s.items_upserted);
  o.set("itemsDeleted", s.items_deleted);
  o.set("sessions", s.sessions);
  std::ostringstream out;
  o.stringify(out);
  return out.str();
}

SyncState DecodeState(std::string_view bytes) {
  SyncState s;
  if (bytes.empty()) return s;
  Poco::JSON::Object::Ptr o;
  try {
    Poco::JSON::Parser parser;
    o = parser.parse(std::string(bytes)).extract<Poco::JSON::Object::Ptr>();
  } catch (const std::exception& e) {
    throw std::runtime_error(std::string("stored sync state is not valid JSON: ") + e.what());
  }
  if (o.isNull()) throw std::runtime_error("stored sync state is not a JSON object");
  int format = Field<int>(o, "format", 0);
  if (format != kStateFormat)
    throw std::runtime_error("stored sync state has format " + std::to_string(format) +
                             "; this spsync reads format " + std::to_string(kStateFormat));
  s.entity = Field<std::string>(o, "entity", "");
  s.list_id = Field<std::string>(o, "listId", "");
  s.mode = Field<std::string>(o, "mode", "full") == "incremental" ? SyncMode::kIncremental
                                                                  : SyncMode::kFull;
  s.full_in_progress = Field<bool>(o, "fullInProgress", false);
  s.forced_replay = Field<bool>(o, "forcedReplay", false);
  s.page_last_id = Field<int64_t>(o, "pageLastId", 0);
  if (auto ranges = o->getArray("ranges"); !ranges.isNull())
    for (size_t i = 0; i < ranges->size(); ++i) {
      auto pair = ranges->getArray(static_cast<unsigned>(i));
      if (pair.isNull() || pair->size() != 2)
        throw std::runtime_error("stored sync state has a malformed range");
      s.ranges.push_back({pair->getElement<int64_t>(0), pair->getElement<int64_t>(1)});
    }
  if (auto job = o->getObject("exportJob"); !job.isNull()) s.export_job = DecodeExportJob(*job);
  s.full_start_token = Field<std::string>(o, "fullStartToken", "");
  s.prior_high_water_id = Field<int64_t>(o, "priorHighWaterId", 0);
  s.change_token = Field<std::string>(o, "changeToken", "");
  s.high_water_id = Field<int64_t>(o, "highWaterId", 0);
  s.last_success_unix = Field<int64_t>(o, "lastSuccess", 0);
  s.last_full_unix = Field<int64_t>(o, "lastFull", 0);
  s.failed_sessions = Field<int64_t>(o, "failedSessions", 0);
  s.last_error = Field<std::string>(o, "lastError", "");
  s.schema_fingerprint = Field<std::string>(o, "schemaFingerprint", "");
  if (auto fields = o->getArray("fields"); !fields.isNull())
    for (size_t i = 0; i < fields->size(); ++i)
      s.fields.push_back(fields->getElement<std::string>(static_cast<unsigned>(i)));
  s.list_modified = Field<std::string>(o, "listModified", "");
  s.list_deleted = Field<std::string>(o, "listDeleted", "");
  s.last_change_check_unix = Field<int64_t>(o, "lastChangeCheck", 0);
  s.config_fingerprint = Field<std::string>(o, "configFingerprint", "");
  s.items_upserted = Field<int64_t>(o, "itemsUpserted", 0);
  s.items_deleted = Field<int64_t>(o, "itemsDeleted", 0);
  s.sessions = Field<int64_t>(o, "sessions", 0);
  return s;
}

}  // namespace spsync::engine
