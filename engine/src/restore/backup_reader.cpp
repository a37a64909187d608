#include "backup_reader.hpp"

#include <Poco/JSON/Parser.h>

#include <stdexcept>

namespace spsync::engine::restore {

namespace {

std::string S(spsync_str s) {
  return std::string(s.data != nullptr ? s.data : "", s.len);
}

Poco::JSON::Object::Ptr ParseObject(const std::string& json, const std::string& what) {
  if (json.empty()) return nullptr;
  try {
    return Poco::JSON::Parser().parse(json).extract<Poco::JSON::Object::Ptr>();
  } catch (const std::exception& e) {
    throw std::runtime_error(what + " is not a JSON object: " + e.what());
  }
}

// Resolved names, e-mails and looked-up values are not in SharePoint's item
// JSON but in the sink's columns: put them into the object under their keys.
void OverlayResolved(const BackupSchema& schema, const spsync_value* values, size_t count,
                     Poco::JSON::Object& item) {
  for (size_t i = 0; i < count && i < schema.fields.size(); ++i) {
    const BackupField& f = schema.fields[i];
    if (f.role == SPSYNC_FIELD_PLAIN) continue;
    const spsync_value& v = values[i];
    if (v.type == SPSYNC_VALUE_TEXT) {
      item.set(f.key, S(v.s));
    } else if (v.type == SPSYNC_VALUE_JSON) {
      try {
        item.set(f.key, Poco::JSON::Parser().parse(S(v.s)));
      } catch (const std::exception&) {
        item.set(f.key, S(v.s));
      }
    }
  }
}

}  // namespace

std::string BackupField::Def(const char* name) const {
  if (definition.isNull() || !definition->has(name) || definition->isNull(name)) return "";
  return definition->get(name).convert<std::string>();
}

bool BackupField::DefTrue(const char* name) const {
  return !definition.isNull() && definition->optValue<bool>(name, false);
}

BackupReader::BackupReader(Sink& sink, std::string sink_name, std::string entity,
                           int64_t as_of_unix)
    : sink_(sink),
      sink_name_(std::move(sink_name)),
      entity_(std::move(entity)),
      as_of_(as_of_unix) {
  if (!sink_.info().read_back())
    throw std::runtime_error("sink '" + sink_name_ + "' (" + sink_.info().name +
                             ") cannot be read back, so it cannot be restored from (SQLite, CSV "
                             "and S3 can; Kafka cannot: README, \"Restore\")");
  if (as_of_ > 0 && !sink_.info().versions())
    throw std::runtime_error("sink '" + sink_name_ + "' (" + sink_.info().name +
                             ") keeps no version history, so it cannot restore items as of a "
                             "time (--as-of needs a sink with versions and `versions: true`)");
  std::string state;
  if (auto r = sink_.LoadState(entity_, &state); !r.ok()) Fail("loading the state", r);
  const spsync_schema* schema = nullptr;
  if (auto r = sink_.ReadSchema(&schema); !r.ok()) Fail("reading the schema", r);
  if (schema == nullptr)
    throw std::runtime_error("sink '" + sink_name_ + "' holds no backup of entity '" + entity_ +
                             "' (has it been synced into this sink?)");
  schema_.entity = entity_;
  schema_.list_id = S(schema->list_id);
  schema_.list_title = S(schema->list_title);
  if (schema->struct_size >= offsetof(spsync_schema, definition) + sizeof(spsync_str))
    schema_.definition = ParseObject(S(schema->definition), "the stored list definition");
  for (size_t i = 0; i < schema->field_count; ++i) {
    const spsync_field& f = *schema->fields[i];
    BackupField b;
    b.key = S(f.name);
    b.title = S(f.title);
    b.sp_type = S(f.sp_type);
    if (f.struct_size >= offsetof(spsync_field, definition) + sizeof(spsync_str)) {
      b.role = f.role;
      b.resolves = S(f.resolves);
      b.definition = ParseObject(S(f.definition), "the stored definition of field '" + b.key + "'");
    }
    schema_.fields.push_back(std::move(b));
  }
  if (as_of_ > 0) {
    // A sink that can keep versions may not hold any for this entity (it
    // was synced without `versions: true`): an as-of restore would write
    // nothing, so say why instead.
    const spsync_version* const* versions = nullptr;
    size_t count = 0;
    if (auto r = sink_.ReadVersions(0, 0, 1, &versions, &count); !r.ok())
      Fail("reading versions", r);
    if (count == 0)
      throw std::runtime_error("sink '" + sink_name_ + "' holds no version history of entity '" +
                               entity_ +
                               "', so it cannot restore items as of a time (sync with "
                               "`versions: true` to keep it)");
  }
}

void BackupReader::Fail(const std::string& what, const SinkResult& r) const {
  throw std::runtime_error("sink '" + sink_name_ + "', entity '" + entity_ + "': " + what +
                           " failed: " + (r.message.empty() ? "(no message)" : r.message));
}

std::vector<BackupItem> BackupReader::Next(size_t n) {
  return as_of_ > 0 ? NextAsOf(n) : NextLive(n);
}

std::vector<BackupItem> BackupReader::NextLive(size_t n) {
  const spsync_item* const* items = nullptr;
  size_t count = 0;
  if (auto r = sink_.ReadItems(after_id_, n, &items, &count); !r.ok()) Fail("reading items", r);
  std::vector<BackupItem> out;
  for (size_t i = 0; i < count; ++i) {
    BackupItem b;
    b.id = items[i]->id;
    b.values = ParseObject(S(items[i]->raw_json), "item " + std::to_string(b.id) + "'s JSON");
    if (b.values.isNull()) b.values = new Poco::JSON::Object;
    OverlayResolved(schema_, items[i]->values, items[i]->value_count, *b.values);
    b.modified = S(items[i]->modified);
    after_id_ = std::max(after_id_, b.id);
    out.push_back(std::move(b));
  }
  return out;
}

// Versions arrive in (item, version) order; an item's last version made at
// or before the time is the item as it was then. An item whose first
// version is later did not exist yet.
std::vector<BackupItem> BackupReader::NextAsOf(size_t n) {
  std::vector<BackupItem> out;
  while (out.size() < n && !versions_done_) {
    const spsync_version* const* versions = nullptr;
    size_t count = 0;
    if (auto r = sink_.ReadVersions(after_id_, after_version_, 256, &versions, &count); !r.ok())
      Fail("reading versions", r);
    if (count == 0) {
      versions_done_ = true;
      break;
    }
    for (size_t i = 0; i < count; ++i) {
      const spsync_version& v = *versions[i];
      after_id_ = v.item_id;
      after_version_ = v.version_id;
      if (pending_.id != 0 && pending_.id != v.item_id) {
        out.push_back(std::move(pending_));
        pending_ = {};
      }
      if (v.modified_unix > as_of_) continue;
      pending_.id = v.item_id;
      pending_.values = ParseObject(
          S(v.raw_json), "version " + S(v.label) + " of item " + std::to_string(v.item_id));
      if (pending_.values.isNull()) pending_.values = new Poco::JSON::Object;
      OverlayResolved(schema_, v.values, v.value_count, *pending_.values);
      pending_.modified = S(v.modified);
    }
  }
  if (versions_done_ && pending_.id != 0) {
    out.push_back(std::move(pending_));
    pending_ = {};
  }
  return out;
}

}  // namespace spsync::engine::restore
