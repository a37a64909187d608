#include "spsync/engine/sync/versions.hpp"

#include "spsync/engine/sharepoint/sharepoint_client.hpp"
#include "spsync/engine/sharepoint/sharepoint_error.hpp"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/JSON/Stringifier.h>
#include <simdjson.h>

#include <algorithm>
#include <exception>
#include <future>
#include <sstream>

namespace spsync::engine {

namespace {

namespace od = simdjson::ondemand;

spsync_str Keep(std::deque<std::string>& strings, std::string s) {
  const std::string& kept = strings.emplace_back(std::move(s));
  return {kept.data(), kept.size()};
}

std::string Stringify(const Poco::Dynamic::Var& v) {
  std::ostringstream out;
  Poco::JSON::Stringifier::stringify(v, out);
  return out.str();
}

// The raw JSON spans of the objects of a collection (`value` or `d.results`).
std::vector<std::string_view> ObjectSpans(std::string& body) {
  body.reserve(body.size() + simdjson::SIMDJSON_PADDING);
  od::parser parser;
  od::document doc;
  std::vector<std::string_view> spans;
  auto fail = [](const char* what) { throw MalformedBody(std::string("versions: ") + what); };
  simdjson::padded_string_view input(body.data(), body.size(), body.capacity());
  if (parser.iterate(input).get(doc)) fail("not JSON");
  od::object root;
  if (doc.get_object().get(root)) fail("not an object");
  auto collect = [&](od::array arr) {
    for (auto element : arr) {
      od::object o;
      std::string_view raw;
      if (element.get_object().get(o) || o.raw_json().get(raw)) fail("a version is not an object");
      spans.push_back(raw);
    }
  };
  bool found = false;
  for (auto member : root) {
    std::string_view key;
    if (member.unescaped_key().get(key)) fail("bad key");
    if (key == "value") {
      od::array arr;
      if (member.value().get_array().get(arr)) fail("value is not an array");
      collect(arr);
      found = true;
    } else if (key == "d") {
      od::object d;
      if (member.value().get_object().get(d)) fail("d is not an object");
      for (auto dm : d) {
        std::string_view dkey;
        if (dm.unescaped_key().get(dkey)) fail("bad key");
        if (dkey != "results") continue;
        od::array arr;
        if (dm.value().get_array().get(arr)) fail("results is not an array");
        collect(arr);
        found = true;
      }
    }
  }
  if (!found) fail("no collection (no `value`)");
  return spans;
}

// One value of a version, typed as the schema's field.
spsync_value ValueOf(const Poco::Dynamic::Var& v, const SchemaField& f,
                     std::deque<std::string>& strings) {
  spsync_value out{};
  if (v.isEmpty()) return out;  // NULL
  try {
    switch (f.value_type) {
      case SPSYNC_VALUE_TEXT:
        if (v.isString()) {
          out.type = SPSYNC_VALUE_TEXT;
          out.s = Keep(strings, v.extract<std::string>());
          return out;
        }
        break;
      case SPSYNC_VALUE_INTEGER:
        if (v.isInteger()) {
          out.type = SPSYNC_VALUE_INTEGER;
          out.i = v.convert<int64_t>();
          return out;
        }
        break;
      case SPSYNC_VALUE_REAL:
        if (v.isNumeric()) {
          out.type = SPSYNC_VALUE_REAL;
          out.r = v.convert<double>();
          return out;
        }
        break;
      case SPSYNC_VALUE_BOOLEAN:
        if (v.isBoolean()) {
          out.type = SPSYNC_VALUE_BOOLEAN;
          out.i = v.extract<bool>() ? 1 : 0;
          return out;
        }
        break;
      case SPSYNC_VALUE_DATETIME:
        if (v.isString()) {
          out.s = Keep(strings, v.extract<std::string>());
          out.type = ParseIsoUtc({out.s.data, out.s.len}, &out.i) ? SPSYNC_VALUE_DATETIME
                                                                  : SPSYNC_VALUE_TEXT;
          return out;
        }
        break;
      default:
        break;
    }
  } catch (const std::exception&) {
    // A value that does not convert is kept as its JSON text, as in item pages.
  }
  out.type = SPSYNC_VALUE_JSON;
  out.s = Keep(strings, Stringify(v));
  return out;
}

}  // namespace

void ParseVersions(const EntitySchema& schema, int64_t item_id, std::string body,
                   ItemVersions* out) {
  out->item_id = item_id;
  out->body = std::move(body);
  out->strings.clear();
  out->versions.clear();
  out->values.clear();
  out->pointers.clear();
  const auto& fields = schema.fields();
  const size_t n = fields.size();
  std::vector<std::string_view> spans = ObjectSpans(out->body);
  out->values.resize(spans.size() * n);
  for (size_t k = 0; k < spans.size(); ++k) {
    Poco::JSON::Object::Ptr o;
    try {
      Poco::JSON::Parser parser;
      o = parser.parse(std::string(spans[k])).extract<Poco::JSON::Object::Ptr>();
    } catch (const std::exception& e) {
      throw MalformedBody(std::string("a version is not JSON: ") + e.what());
    }
    spsync_version v{};
    v.struct_size = sizeof(spsync_version);
    v.item_id = item_id;
    v.version_id = o->optValue<int64_t>("VersionId", 0);
    v.label = Keep(out->strings, o->optValue<std::string>("VersionLabel", ""));
    std::string made =
        o->optValue<std::string>("Created", o->optValue<std::string>("Modified", ""));
    v.modified = Keep(out->strings, made);
    ParseIsoUtc(made, &v.modified_unix);
    // The editor: a lookup object (LookupId, LookupValue, Email) as
    // SharePoint writes person fields in versions, or a plain EditorId.
    if (Poco::JSON::Object::Ptr editor = o->getObject("Editor"); !editor.isNull()) {
      v.editor_id = editor->optValue<int64_t>("LookupId", 0);
      v.editor_name = Keep(out->strings, editor->optValue<std::string>("LookupValue", ""));
      v.editor_email = Keep(out->strings, editor->optValue<std::string>("Email", ""));
    } else if (o->has("EditorId") && o->get("EditorId").isInteger()) {
      v.editor_id = o->getValue<int64_t>("EditorId");
    }
    v.raw_json = {spans[k].data(), spans[k].size()};
    spsync_value* values = out->values.data() + k * n;
    for (size_t f = 0; f < n; ++f) {
      const SchemaField& field = fields[f];
      if (field.role != SPSYNC_FIELD_PLAIN) continue;  // resolved values: items only
      if (o->has(field.key)) {
        values[f] = ValueOf(o->get(field.key), field, out->strings);
        continue;
      }
      // `CustomerId` of an item is `Customer: {LookupId, LookupValue}` in a version.
      const std::string& key = field.key;
      if (key.size() > 2 && key.compare(key.size() - 2, 2, "Id") == 0 &&
          field.value_type == SPSYNC_VALUE_INTEGER) {
        Poco::JSON::Object::Ptr lookup = o->getObject(key.substr(0, key.size() - 2));
        if (!lookup.isNull()) {
          if (lookup->has("LookupId")) {
            values[f].type = SPSYNC_VALUE_INTEGER;
            values[f].i = lookup->getValue<int64_t>("LookupId");
          }
        }
      }
    }
    v.values = n ? values : nullptr;
    v.value_count = n;
    out->versions.push_back(v);
  }
  for (const auto& v : out->versions) out->pointers.push_back(&v);
}

VersionWriter::VersionWriter(SharePointClient& client, std::string list_id,
                             const EntitySchema& schema, const Deadline& deadline,
                             std::function<void(const spsync_version* const*, size_t)> write,
                             std::function<void(const std::string&)> requested, size_t parallel)
    : client_(client),
      list_id_(std::move(list_id)),
      schema_(schema),
      deadline_(deadline),
      write_(std::move(write)),
      requested_(std::move(requested)),
      parallel_(std::max<size_t>(1, parallel)) {
  for (size_t f = 0; f < schema_.fields().size(); ++f)
    if (schema_.fields()[f].key == "EditorId" && schema_.fields()[f].role == SPSYNC_FIELD_PLAIN)
      editor_field_ = static_cast<int>(f);
}

ItemVersions VersionWriter::Fetch(int64_t item_id) {
  std::string url = client_.ListApi(list_id_) + "/items(" + std::to_string(item_id) + ")/versions";
  if (requested_) requested_(url);
  ItemVersions out;
  try {
    client_.Get(url, "reading the versions of item " + std::to_string(item_id), deadline_,
                [&](HttpResponse& r) { ParseVersions(schema_, item_id, std::move(r.body), &out); });
  } catch (const SharePointError& e) {
    // Deleted since it was read: no versions to keep (its deletion reaches
    // the sink through the change log).
    if (e.kind() != ErrorKind::kNotFound) throw;
    out = ItemVersions{};
  }
  return out;
}

void VersionWriter::WriteOne(const spsync_item& item) {
  spsync_version v{};
  v.struct_size = sizeof(spsync_version);
  v.item_id = item.id;
  v.version_id = 512;  // 1.0: major 1, minor 0
  v.label = item.version;
  v.modified = item.modified;
  v.modified_unix = item.modified_unix;
  if (editor_field_ >= 0 && item.values[editor_field_].type == SPSYNC_VALUE_INTEGER)
    v.editor_id = item.values[editor_field_].i;
  v.raw_json = item.raw_json;
  v.values = item.values;
  v.value_count = item.value_count;
  const spsync_version* p = &v;
  write_(&p, 1);
  ++written_;
}

void VersionWriter::Write(const ItemPage& page) {
  std::deque<std::future<ItemVersions>> inflight;
  size_t next = 0;
  auto single = [](const spsync_item& item) {
    return std::string_view(item.version.data, item.version.len) == "1.0";
  };
  auto launch = [&] {
    while (next < page.items.size() && inflight.size() < parallel_) {
      const spsync_item& item = page.items[next++];
      if (single(item)) continue;
      ++requests_;
      inflight.push_back(
          std::async(std::launch::async, [this, id = item.id] { return Fetch(id); }));
    }
  };
  // Items with one version are written as they come; the rest in the order
  // their requests were made. Every future is waited for, even on failure.
  std::exception_ptr failure;
  for (const auto& item : page.items) {
    if (single(item)) {
      if (!failure) WriteOne(item);
      continue;
    }
    launch();
    if (inflight.empty()) break;
    try {
      ItemVersions got = inflight.front().get();
      inflight.pop_front();
      if (!failure && !got.pointers.empty()) {
        write_(got.pointers.data(), got.pointers.size());
        written_ += static_cast<int64_t>(got.pointers.size());
      }
    } catch (...) {
      inflight.pop_front();
      if (!failure) failure = std::current_exception();
      next = page.items.size();  // launch nothing more
    }
  }
  for (auto& f : inflight) {
    try {
      f.get();
    } catch (...) {
    }
  }
  if (failure) std::rethrow_exception(failure);
}

}  // namespace spsync::engine
