// The read-back round trip every sink that declares SPSYNC_CAP_READ_BACK is
// held to, through the real C ABI: three sessions write items with hard
// values (delimiters, quotes, line breaks, non-ASCII, formula-like text,
// NULLs), versions and attachments (one of several MB, one of unknown size,
// an empty one, hard names), delete, re-add, replace and change the schema;
// the third session is never persisted. A fresh instance then reads it all
// back and every item, version and byte must be exactly what was persisted,
// in every batch size, with nothing of the unpersisted session.
//
// What a sink cannot keep (a CSV keeps no raw JSON) is stated per sink in a
// Fidelity, never by loosening the comparison of what it does keep.
#pragma once

#include <Poco/JSON/Parser.h>
#include <Poco/JSON/Stringifier.h>
#include <spsync/sdk/text.hpp>

#include <cinttypes>
#include <cstdio>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "attachment_kit.hpp"
#include "attachment_ops.hpp"
#include "sink_test_support.hpp"

namespace spsync::test::readback {

// What a sink keeps, where the ABI lets it keep less.
struct Fidelity {
  // raw_json of items and versions comes back as written (else: an object
  // the sink builds from the stored fields, checked for its ID).
  bool raw_json = true;
  // An item's modified and version (etag) come back (else: empty).
  bool item_modified_version = true;
  // An empty text reads back as NULL (a CSV cell cannot tell them apart).
  bool empty_text_is_null = false;
  // JSON values are rebuilt from the item's JSON: compared as JSON, not as
  // bytes (key order and escapes may differ).
  bool json_semantic = false;
  // Versions given with raw_json only (value_count == 0) are kept.
  bool raw_only_versions = true;
  // Deleted items keep their rows (and attachments): a soft-deleting sink.
  bool deleted_keep_attachments = false;
};

constexpr int64_t kItems = 240;

// The fields of session 1; session 2 appends "Priority".
inline std::vector<FieldDef> Fields(bool with_priority) {
  std::vector<FieldDef> f = {
      {"Title", "Title", "Text", SPSYNC_VALUE_TEXT, SPSYNC_FIELD_PLAIN, "",
       "{\"TypeAsString\":\"Text\",\"InternalName\":\"Title\",\"Required\":true,"
       "\"MaxLength\":255}"},
      {"Notes", "Notes, \"long\"", "Note", SPSYNC_VALUE_TEXT},
      {"Amount", "Amount", "Number", SPSYNC_VALUE_REAL},
      {"Quantity", "Quantity", "Integer", SPSYNC_VALUE_INTEGER},
      {"Due", "Due date", "DateTime", SPSYNC_VALUE_DATETIME},
      {"Done", "Done", "Boolean", SPSYNC_VALUE_BOOLEAN},
      {"Status", "Status", "Choice", SPSYNC_VALUE_TEXT, SPSYNC_FIELD_PLAIN, "",
       "{\"TypeAsString\":\"Choice\",\"Required\":false,\"Choices\":[\"Open\",\"Done, "
       "really\",\"\\u00c9t\\u00e9\"]}"},
      {"Tags", "Tags", "MultiChoice", SPSYNC_VALUE_JSON},
      {"AuthorId", "Author", "User", SPSYNC_VALUE_INTEGER, SPSYNC_FIELD_PLAIN, "",
       "{\"TypeAsString\":\"User\",\"LookupList\":\"UserInfo\"}"},
      {"Author.Title", "Author", "User", SPSYNC_VALUE_TEXT, SPSYNC_FIELD_USER_NAME, "AuthorId"},
      {"Author.EMail", "Author e-mail", "User", SPSYNC_VALUE_TEXT, SPSYNC_FIELD_USER_EMAIL,
       "AuthorId"},
  };
  if (with_priority) f.push_back({"Priority", "Priority", "Integer", SPSYNC_VALUE_INTEGER});
  return f;
}

// Texts that break naive CSV, JSON or SQL handling.
inline std::string HardText(int64_t id, int generation) {
  static const char* const kTexts[] = {
      "plain",
      "comma, separated, cells",
      "a \"quoted\" word and a lone \" quote",
      "line one\nline two\r\nline three\rend",
      "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e \xe2\x9c\x93 caf\xc3\xa9 \xf0\x9f\x98\x80",
      "=SUM(A1:A9)",
      "'starts with an apostrophe",
      "-5",
      "  spaces around  ",
      "tab\there;semicolon|pipe",
      "\\backslash\\ and /slash/",
      "{\"looks\":\"like json\"}",
  };
  if (id % 17 == 0) return "";
  const size_t n = sizeof(kTexts) / sizeof(kTexts[0]);
  const std::string base = kTexts[static_cast<size_t>(id + generation) % n];
  // Mostly unique per item; every 13th is the bare text ("-5", "=SUM...").
  return id % 13 == 0 ? base : base + " #" + std::to_string(id) + "." + std::to_string(generation);
}

// An ISO-8601 instant and its Unix seconds.
inline V When(int64_t id) {
  const int64_t unix = 1704067200 + id * 86461;  // from 2024-01-01, not whole days
  return V::Date(unix, Iso(unix));
}

// Values of item `id` as written in `generation` (1 or 2), aligned to
// Fields(with_priority).
inline std::vector<V> ItemValues(int64_t id, int generation, bool with_priority) {
  std::vector<V> v;
  v.push_back(id % 11 == 0 ? V::Null() : V::Text(HardText(id, generation)));
  v.push_back(id % 4 == 0 ? V::Null() : V::Text(kNote + std::to_string(id)));
  v.push_back(id % 7 == 0 ? V::Null() : V::Real(static_cast<double>(id) * 1.25 + 0.1 * generation));
  v.push_back(V::Int(id * 1000 - 500000 + generation));
  v.push_back(id % 5 == 0 ? V::Null() : When(id + generation));
  v.push_back(V::Bool((id + generation) % 2 == 0));
  v.push_back(id % 3 == 0 ? V::Text("Done, really") : V::Text("Open"));
  v.push_back(id % 6 == 0 ? V::Null()
                          : V::Json("[\"Red\",\"Blue, dark\",\"\\\"q\\\"\",\"caf\xc3\xa9\"]"));
  const bool author = id % 9 != 0;
  v.push_back(author ? V::Int(12) : V::Null());
  v.push_back(author ? V::Text("Grace \"Amazing\" Hopper, Jr.") : V::Null());
  v.push_back(author ? V::Text("grace@contoso.com") : V::Null());
  if (with_priority) v.push_back(generation == 2 ? V::Int(id % 4) : V::Null());
  return v;
}

// A JSON number that parses back to exactly `r`.
inline std::string JsonReal(double r) {
  char buf[40];
  std::snprintf(buf, sizeof(buf), "%.17g", r);
  return buf;
}

// The item's JSON as SharePoint would send it: the plain fields by name
// (resolved fields are not in it), plus ID and the etag.
inline std::string RawJson(int64_t id, const std::vector<FieldDef>& fields,
                           const std::vector<V>& values, const std::string& etag) {
  std::string out = "{\"odata.etag\":";
  spsync::sdk::AppendJsonString(out, etag);
  out += ",\"ID\":" + std::to_string(id);
  for (size_t i = 0; i < fields.size(); ++i) {
    if (fields[i].role != SPSYNC_FIELD_PLAIN) continue;
    out += ',';
    spsync::sdk::AppendJsonString(out, fields[i].name);
    out += ':';
    const V& v = values[i];
    switch (v.type) {
      case SPSYNC_VALUE_TEXT:
      case SPSYNC_VALUE_DATETIME:
        spsync::sdk::AppendJsonString(out, v.s);
        break;
      case SPSYNC_VALUE_INTEGER:
        out += std::to_string(v.i);
        break;
      case SPSYNC_VALUE_REAL:
        out += JsonReal(v.r);
        break;
      case SPSYNC_VALUE_BOOLEAN:
        out += v.i != 0 ? "true" : "false";
        break;
      case SPSYNC_VALUE_JSON:
        out += v.s;
        break;
      default:
        out += "null";
    }
  }
  return out + "}";
}

inline std::string Canonical(const std::string& json) {
  Poco::JSON::Parser parser;
  std::ostringstream out;
  Poco::JSON::Stringifier::stringify(parser.parse(json), out);
  return out.str();
}

struct ExpectedItem {
  std::vector<V> values;  // aligned to the newest schema
  std::string raw, modified, version;
};

struct ExpectedVersion {
  std::vector<V> values;  // aligned to the newest schema, or empty (raw only)
  std::string label, raw, modified, editor_name, editor_email;
  int64_t editor_id = 0;
};

struct ExpectedFile {
  uint64_t seed = 0;
  size_t size = 0;
};

// What the persisted sessions leave, and what the unpersisted one must not.
struct Model {
  std::map<int64_t, ExpectedItem> items;
  std::map<std::pair<int64_t, int64_t>, ExpectedVersion> versions;
  std::map<std::pair<int64_t, std::string>, ExpectedFile> files;
  std::set<int64_t> deleted;  // items that must not come back
  std::set<std::pair<int64_t, std::string>> gone_files;
};

// Upserts items `ids` in `generation` and records them in `model` (unless
// `record` is false: the unpersisted session).
inline void WriteItems(Instance& inst, const std::vector<int64_t>& ids, int generation,
                       bool with_priority, Model* model, bool record = true) {
  const auto fields = Fields(with_priority);
  Batch batch;
  for (int64_t id : ids) {
    auto values = ItemValues(id, generation, with_priority);
    const std::string etag = "\"" + std::to_string(generation) + "\"";
    const std::string modified = Iso(1706688000 + id * 60 + generation);
    std::string raw = RawJson(id, fields, values, etag);
    if (record) {
      ExpectedItem e{values, raw, modified, etag};
      // Aligned to the newest schema, which has Priority.
      if (!with_priority) e.values.push_back(V::Null());
      model->items[id] = std::move(e);
      model->deleted.erase(id);
    }
    batch.Add(ItemDef(id, std::move(values), std::move(raw), modified, etag));
  }
  Result r = inst.Upsert(batch.items());
  ASSERT_TRUE(r.ok()) << r.message;
}

inline VersionDef Version(int64_t item, int64_t version_id, int generation, bool with_priority,
                          bool raw_only) {
  VersionDef d{item,
               version_id,
               std::to_string(version_id / 512) + "." + std::to_string(version_id % 512),
               {}};
  auto values = ItemValues(item + version_id, generation, with_priority);
  d.raw = RawJson(item, Fields(with_priority), values, "\"" + std::to_string(version_id) + "\"");
  if (!raw_only) d.values = std::move(values);
  d.editor_name = version_id % 1024 == 0 ? "" : "\xc3\x89milie \"Ed\", Jr.";
  d.editor_email = version_id % 1024 == 0 ? "" : "emilie@contoso.com";
  d.editor_id = version_id % 1024 == 0 ? 0 : 31;
  d.modified = Iso(1706700000 + item * 100 + version_id);
  return d;
}

inline void WriteVersions(Instance& inst, const std::vector<VersionDef>& defs, bool with_priority,
                          Model* model, bool record = true) {
  VersionBatch batch(defs);
  Result r = inst.WriteVersions(batch.versions());
  ASSERT_TRUE(r.ok()) << r.message;
  if (!record) return;
  for (const VersionDef& d : defs) {
    ExpectedVersion e{d.values,      d.label,        d.raw,      d.modified,
                      d.editor_name, d.editor_email, d.editor_id};
    if (!e.values.empty() && !with_priority) e.values.push_back(V::Null());
    model->versions[{d.item_id, d.version_id}] = std::move(e);
  }
}

inline void PutFile(Instance& inst, int64_t id, const std::string& name, uint64_t seed, size_t size,
                    size_t chunk, bool known_size, Model* model, bool record = true) {
  Result r = PutAttachment(inst, id, name, attachments::Pattern(seed, size), chunk, known_size,
                           "\"{" + std::to_string(seed) + "}\"," + std::to_string(id));
  ASSERT_TRUE(r.ok()) << name << ": " << r.message;
  if (record) {
    model->files[{id, name}] = ExpectedFile{seed, size};
    model->gone_files.erase({id, name});
  }
}

constexpr size_t kBig = (5u << 20) + 12345;  // several MB, not a whole number of chunks
constexpr size_t kBigUnknown = (3u << 20) + 7;

// Sessions 1 and 2 (persisted) and 3 (not), each from a fresh instance
// opened with `config` and bound to "orders". Returns the model.
inline Model WriteSessions(Plugin& plugin, const std::map<std::string, std::string>& config,
                           const Fidelity& fidelity) {
  Model m;
  SchemaHolder v1("orders", Fields(false), "fp-1");
  SchemaHolder v2("orders", Fields(true), "fp-2");
  {
    Instance inst = plugin.MustOpen(config);
    std::string state = "?";
    EXPECT_TRUE(inst.LoadState("orders", &state).ok());
    EXPECT_EQ(state, "");
    EXPECT_TRUE(inst.Begin(v1.get()).ok());
    std::vector<int64_t> ids;
    for (int64_t id = 1; id <= kItems; ++id) ids.push_back(id);
    // Pages of 20 (so a sink that writes a part per page has many).
    for (size_t at = 0; at < ids.size(); at += 20)
      WriteItems(
          inst, std::vector<int64_t>(ids.begin() + at, ids.begin() + std::min(ids.size(), at + 20)),
          1, false, &m);
    // Deleted in the same session; 30 comes back in session 2.
    EXPECT_TRUE(inst.Delete({30, 31}).ok());
    m.items.erase(30);
    m.items.erase(31);
    m.deleted.insert({30, 31});
    std::vector<VersionDef> versions;
    for (int64_t item = 1; item <= 12; ++item)
      for (int64_t k = 1; k <= 3; ++k) versions.push_back(Version(item, 512 * k, 1, false, false));
    if (fidelity.raw_only_versions) versions.push_back(Version(40, 512, 1, false, true));
    WriteVersions(inst, versions, false, &m);
    const auto& names = attachments::HardNames();
    for (size_t i = 0; i < names.size(); ++i)
      PutFile(inst, 3, names[i], 100 + i, 1000 + 37 * i, 333, i % 2 == 0, &m);
    PutFile(inst, 4, "big, \"quoted\" #1.bin", 4, kBig, 1 << 20, true, &m);
    PutFile(inst, 5, "big unknown size.bin", 5, kBigUnknown, 256 << 10, false, &m);
    PutFile(inst, 6, "empty.txt", 6, 0, 1, true, &m);
    PutFile(inst, 8, "gone with its item.txt", 8, 5000, 4096, true, &m);
    PutFile(inst, 9, "replaced.txt", 90, 70000, 8192, true, &m);
    PutFile(inst, 10, "deleted alone.txt", 10, 1234, 1000, false, &m);
    PutFile(inst, 10, "kept.txt", 11, 4321, 1000, true, &m);
    EXPECT_TRUE(inst.Persist("s1").ok());
  }
  {
    Instance inst = plugin.MustOpen(config);
    std::string state;
    EXPECT_TRUE(inst.LoadState("orders", &state).ok());
    EXPECT_EQ(state, "s1");
    // A field added: items of session 1 read back with it NULL.
    EXPECT_TRUE(inst.Begin(v2.get()).ok());
    WriteItems(inst, {2, 30, 50, 51, kItems + 1}, 2, true, &m);
    EXPECT_TRUE(inst.Delete({8, 20, 21, 22, 51, 100000}).ok());
    for (int64_t id : {8, 20, 21, 22, 51}) {
      m.items.erase(id);
      m.deleted.insert(id);
    }
    if (!fidelity.deleted_keep_attachments) {
      m.files.erase({8, "gone with its item.txt"});
      m.gone_files.insert({8, "gone with its item.txt"});
    }
    EXPECT_TRUE(inst.AttachmentDelete(10, "deleted alone.txt").ok());
    m.files.erase({10, "deleted alone.txt"});
    m.gone_files.insert({10, "deleted alone.txt"});
    PutFile(inst, 9, "replaced.txt", 91, 65000, 8192, false, &m);
    PutFile(inst, 2, "new in session 2.txt", 2, 2222, 1000, true, &m);
    // Versions written again (replaced) and new ones.
    WriteVersions(inst,
                  {Version(1, 1024, 2, true, false), Version(2, 1536, 2, true, false),
                   Version(200, 512, 2, true, false)},
                  true, &m);
    EXPECT_TRUE(inst.Persist("s2").ok());
  }
  {
    // Never persisted: none of it may be read back.
    Instance inst = plugin.MustOpen(config);
    EXPECT_TRUE(inst.LoadState("orders").ok());
    EXPECT_TRUE(inst.Begin(v2.get()).ok());
    WriteItems(inst, {1, kItems + 50}, 3, true, &m, false);
    EXPECT_TRUE(inst.Delete({2, 3}).ok());
    WriteVersions(inst, {Version(1, 512, 3, true, false)}, true, &m, false);
    PutFile(inst, 7, "unpersisted.txt", 7, 3000, 1000, true, &m, false);
    PutFile(inst, 4, "big, \"quoted\" #1.bin", 44, 1000, 1000, true, &m, false);
  }
  return m;
}

}  // namespace spsync::test::readback
