#include "s3_read.hpp"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/JSON/Stringifier.h>

#include <algorithm>
#include <map>
#include <sstream>
#include <unordered_map>

#include "s3_layout.hpp"

namespace spsync::s3 {

using Poco::Dynamic::Var;
using spsync::sdk::AppendJsonString;
using spsync::sdk::Fatal;
using spsync::sdk::Retryable;
using spsync::sdk::StoredValue;
using spsync::sdk::View;

namespace {

std::string Stringify(const Var& v) {
  std::ostringstream out;
  Poco::JSON::Stringifier::stringify(v, out);
  return out.str();
}

// A JSON value as a value of `type`; NULL when absent or null.
StoredValue ToValue(const Var& v, int32_t type) {
  if (v.isEmpty()) return StoredValue::Null();
  try {
    switch (type) {
      case SPSYNC_VALUE_INTEGER:
        if (v.isInteger()) return StoredValue::Integer(v.convert<int64_t>());
        if (v.isNumeric()) return StoredValue::Integer(static_cast<int64_t>(v.convert<double>()));
        break;
      case SPSYNC_VALUE_REAL:
        if (v.isNumeric()) return StoredValue::Real(v.convert<double>());
        break;
      case SPSYNC_VALUE_BOOLEAN:
        if (v.isBoolean()) return StoredValue::Boolean(v.convert<bool>());
        break;
      case SPSYNC_VALUE_DATETIME:
        if (v.isString()) {
          std::string s = v.convert<std::string>();
          int64_t unix_seconds = 0;
          if (spsync::sdk::ParseIsoUtc(s, &unix_seconds))
            return StoredValue::DateTime(unix_seconds, std::move(s));
          return StoredValue::Text(std::move(s));
        }
        break;
      case SPSYNC_VALUE_JSON:
        return StoredValue::Json(Stringify(v));
      default:
        break;
    }
    if (v.isString()) return StoredValue::Text(v.convert<std::string>());
    return StoredValue::Text(Stringify(v));
  } catch (const Poco::Exception&) {
    return StoredValue::Text(Stringify(v));
  }
}

// The number after `"<name>":` at `pos` (which it advances), or false.
bool HeadNumber(std::string_view line, std::string_view name, size_t* pos, int64_t* out) {
  std::string key = "\"";
  key.append(name).append("\":");
  if (line.substr(*pos, key.size()) != key) return false;
  size_t i = *pos + key.size();
  bool neg = i < line.size() && line[i] == '-';
  if (neg) ++i;
  size_t start = i;
  int64_t v = 0;
  for (; i < line.size() && line[i] >= '0' && line[i] <= '9'; ++i) v = v * 10 + (line[i] - '0');
  if (i == start) return false;
  *out = neg ? -v : v;
  *pos = i;
  return true;
}

}  // namespace

std::string SchemaJson(const spsync::sdk::Schema& schema) {
  std::string out = "{\"format\":1,\"entity\":";
  AppendJsonString(out, schema.entity());
  out += ",\"listId\":";
  AppendJsonString(out, schema.list_id());
  out += ",\"listTitle\":";
  AppendJsonString(out, schema.list_title());
  out += ",\"fingerprint\":";
  AppendJsonString(out, schema.fingerprint());
  out += ",\"definition\":";
  AppendJsonString(out, schema.definition());
  out += ",\"fields\":[";
  for (size_t i = 0; i < schema.size(); ++i) {
    const spsync_field& f = schema.field(i);
    out += i == 0 ? "{\"name\":" : ",{\"name\":";
    AppendJsonString(out, View(f.name));
    out += ",\"title\":";
    AppendJsonString(out, View(f.title));
    out += ",\"spType\":";
    AppendJsonString(out, View(f.sp_type));
    out += ",\"valueType\":" + std::to_string(f.value_type) +
           ",\"role\":" + std::to_string(spsync::sdk::FieldRole(f)) + ",\"resolves\":";
    AppendJsonString(out, spsync::sdk::FieldResolves(f));
    out += ",\"definition\":";
    AppendJsonString(out, spsync::sdk::FieldDefinition(f));
    out += "}";
  }
  return out + "]}\n";
}

spsync::sdk::StoredSchema ParseSchemaJson(const std::string& json, const std::string& what) {
  spsync::sdk::StoredSchema out;
  try {
    Poco::JSON::Parser parser;
    auto obj = parser.parse(json).extract<Poco::JSON::Object::Ptr>();
    out.entity = obj->getValue<std::string>("entity");
    out.list_id = obj->getValue<std::string>("listId");
    out.list_title = obj->getValue<std::string>("listTitle");
    out.fingerprint = obj->getValue<std::string>("fingerprint");
    out.definition = obj->optValue<std::string>("definition", "");
    auto fields = obj->getArray("fields");
    for (size_t i = 0; fields && i < fields->size(); ++i) {
      auto f = fields->getObject(static_cast<unsigned>(i));
      spsync::sdk::StoredField field;
      field.name = f->getValue<std::string>("name");
      field.title = f->getValue<std::string>("title");
      field.sp_type = f->getValue<std::string>("spType");
      field.value_type = f->getValue<int32_t>("valueType");
      field.role = f->optValue<int32_t>("role", 0);
      field.resolves = f->optValue<std::string>("resolves", "");
      field.definition = f->optValue<std::string>("definition", "");
      out.fields.push_back(std::move(field));
    }
  } catch (const Poco::Exception& e) {
    throw Fatal(what + " is not a schema object: " + e.displayText());
  }
  return out;
}

Reader::Reader(Client& client, std::string base, long long committed_seq, std::string schema_key)
    : client_(client),
      base_(std::move(base)),
      committed_seq_(committed_seq),
      schema_key_(std::move(schema_key)) {}

const std::string& Reader::Part(uint32_t i) {
  for (const auto& c : cache_)
    if (c.first == i && !c.second.empty()) return c.second;
  const std::string& key = parts_[i];
  auto body = client_.Get(key);
  if (!body) throw Retryable(client_.Url(key) + " disappeared while reading back");
  auto& slot = cache_[cache_next_];
  cache_next_ = 1 - cache_next_;
  slot.first = i;
  slot.second = key.size() > 3 && key.compare(key.size() - 3, 3, ".gz") == 0 ? Gunzip(*body)
                                                                             : std::move(*body);
  return slot.second;
}

void Reader::Load() {
  if (loaded_) return;
  loaded_ = true;
  for (auto& c : cache_) c = {UINT32_MAX, std::string()};
  if (!schema_key_.empty()) {
    auto body = client_.Get(schema_key_);
    if (!body) throw Fatal(client_.Url(schema_key_) + ", named by the state, is missing");
    schema_ = ParseSchemaJson(*body, client_.Url(schema_key_));
    has_schema_ = true;
  }
  // Committed parts, in sequence order.
  std::vector<std::pair<long long, std::string>> data, versions;
  for (auto& key : client_.List(base_ + "data/")) {
    long long seq = PartSeq(key);
    if (seq > 0 && seq <= committed_seq_) data.emplace_back(seq, std::move(key));
  }
  const std::string vprefix = base_ + "versions/part-";
  for (auto& key : client_.List(base_ + "versions/")) {
    long long seq = SeqAfter(key, vprefix);
    if (seq > 0 && seq <= committed_seq_) versions.emplace_back(seq, std::move(key));
  }
  std::sort(data.begin(), data.end());
  std::sort(versions.begin(), versions.end());

  std::unordered_map<int64_t, Loc> live;
  std::map<std::pair<int64_t, int64_t>, Loc> latest;
  for (int kind = 0; kind < 2; ++kind) {
    for (auto& [seq, key] : kind == 0 ? data : versions) {
      const uint32_t part = static_cast<uint32_t>(parts_.size());
      parts_.push_back(key);
      const std::string& text = Part(part);
      size_t pos = 0;
      while (pos < text.size()) {
        size_t end = text.find('\n', pos);
        if (end == std::string::npos) end = text.size();
        std::string_view line(text.data() + pos, end - pos);
        Loc loc{0, 0, part, static_cast<uint32_t>(pos), static_cast<uint32_t>(end - pos)};
        if (!line.empty()) {
          if (kind == 0) {
            bool is_delete = false;
            long long id = 0;
            if (!RecordHead(line, &is_delete, &id))
              throw Fatal(client_.Url(key) + " holds a line that is not a sink record");
            loc.a = id;
            if (is_delete)
              live.erase(id);
            else
              live[id] = loc;
          } else {
            size_t p = 1;
            if (line.empty() || line[0] != '{' || !HeadNumber(line, "id", &p, &loc.a) ||
                line.substr(p, 1) != "," || (++p, !HeadNumber(line, "versionId", &p, &loc.b)))
              throw Fatal(client_.Url(key) + " holds a line that is not a version record");
            latest[{loc.a, loc.b}] = loc;
          }
        }
        pos = end + 1;
      }
    }
  }
  for (const auto& [id, loc] : live) items_.push_back(loc);
  std::sort(items_.begin(), items_.end(), [](const Loc& x, const Loc& y) { return x.a < y.a; });
  for (const auto& [key, loc] : latest) versions_.push_back(loc);
}

std::vector<StoredValue> Reader::Values(const std::string& record) const {
  std::vector<StoredValue> values;
  if (!has_schema_) return values;
  Poco::JSON::Parser parser;
  auto obj = parser.parse(record).extract<Poco::JSON::Object::Ptr>();
  Poco::JSON::Object::Ptr item =
      obj->has("item") && !obj->isNull("item") ? obj->getObject("item") : nullptr;
  Poco::JSON::Object::Ptr resolved = obj->has("resolved") ? obj->getObject("resolved") : nullptr;
  for (const auto& f : schema_.fields) {
    const bool is_resolved = f.role != SPSYNC_FIELD_PLAIN;
    Poco::JSON::Object::Ptr from = is_resolved ? resolved : item;
    values.push_back(from && from->has(f.name) ? ToValue(from->get(f.name), f.value_type)
                                               : StoredValue::Null());
  }
  return values;
}

bool Reader::Schema(spsync::sdk::StoredSchema& out) {
  Load();
  if (!has_schema_) return false;
  out = schema_;
  return true;
}

void Reader::Items(int64_t after_id, size_t max_count, std::vector<spsync::sdk::StoredItem>& out) {
  Load();
  auto it = std::upper_bound(items_.begin(), items_.end(), after_id,
                             [](int64_t id, const Loc& l) { return id < l.a; });
  for (; it != items_.end() && out.size() < max_count; ++it) {
    const std::string line = Line(*it);
    spsync::sdk::StoredItem item;
    item.id = it->a;
    // The item is last in the record (see the sink's Upsert), so its raw
    // JSON is the text after `,"item":`, without re-encoding it.
    const size_t at = line.find(",\"item\":");
    if (at != std::string::npos) item.raw_json = line.substr(at + 8, line.size() - at - 9);
    Poco::JSON::Parser parser;
    auto head = parser.parse(line.substr(0, at) + "}").extract<Poco::JSON::Object::Ptr>();
    item.modified = head->optValue<std::string>("modified", "");
    spsync::sdk::ParseIsoUtc(item.modified, &item.modified_unix);
    item.version = head->optValue<std::string>("version", "");
    item.values = Values(line);
    out.push_back(std::move(item));
  }
}

void Reader::Versions(int64_t after_item_id, int64_t after_version_id, size_t max_count,
                      std::vector<spsync::sdk::StoredVersion>& out) {
  Load();
  auto it = std::upper_bound(versions_.begin(), versions_.end(),
                             std::make_pair(after_item_id, after_version_id),
                             [](const std::pair<int64_t, int64_t>& key, const Loc& l) {
                               return key < std::make_pair(l.a, l.b);
                             });
  for (; it != versions_.end() && out.size() < max_count; ++it) {
    const std::string line = Line(*it);
    spsync::sdk::StoredVersion v;
    v.item_id = it->a;
    v.version_id = it->b;
    const size_t at = line.find(",\"item\":");
    if (at != std::string::npos) v.raw_json = line.substr(at + 8, line.size() - at - 9);
    Poco::JSON::Parser parser;
    auto head = parser.parse(line.substr(0, at) + "}").extract<Poco::JSON::Object::Ptr>();
    v.label = head->optValue<std::string>("label", "");
    v.modified = head->optValue<std::string>("modified", "");
    spsync::sdk::ParseIsoUtc(v.modified, &v.modified_unix);
    if (auto editor = head->getObject("editor")) {
      v.editor_id = editor->optValue<int64_t>("id", 0);
      v.editor_name = editor->optValue<std::string>("name", "");
      v.editor_email = editor->optValue<std::string>("email", "");
    }
    v.values = Values(line);
    out.push_back(std::move(v));
  }
}

}  // namespace spsync::s3
