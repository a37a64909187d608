// The read-back side of readback_kit.hpp: what a fresh instance must return
// after WriteSessions() (schema, items in every batch size, versions,
// attachment bytes in odd pieces, FATAL for missing files), the whole round
// trip, and a big attachment read back with flat memory.
#pragma once

#include "readback_kit.hpp"

namespace spsync::test::readback {

inline void ExpectValue(const ReadValue& got, const V& want, const Fidelity& f,
                        const std::string& where) {
  SCOPED_TRACE(where);
  if (want.type == SPSYNC_VALUE_NULL ||
      (f.empty_text_is_null && want.type == SPSYNC_VALUE_TEXT && want.s.empty())) {
    EXPECT_EQ(got.type, SPSYNC_VALUE_NULL) << "got '" << got.s << "' " << got.i;
    return;
  }
  ASSERT_EQ(got.type, want.type) << "got '" << got.s << "'";
  switch (want.type) {
    case SPSYNC_VALUE_TEXT:
      EXPECT_EQ(got.s, want.s);
      break;
    case SPSYNC_VALUE_INTEGER:
    case SPSYNC_VALUE_BOOLEAN:
      EXPECT_EQ(got.i, want.i);
      break;
    case SPSYNC_VALUE_REAL:
      EXPECT_EQ(got.r, want.r);  // exactly: every sink keeps doubles exactly
      break;
    case SPSYNC_VALUE_DATETIME:
      EXPECT_EQ(got.s, want.s.empty() ? Iso(want.i) : want.s);
      EXPECT_EQ(got.i, want.i);
      break;
    case SPSYNC_VALUE_JSON:
      if (f.json_semantic) {
        EXPECT_EQ(Canonical(got.s), Canonical(want.s)) << got.s;
      } else {
        EXPECT_EQ(got.s, want.s);
      }
      break;
  }
}

inline void ExpectValues(const std::vector<ReadValue>& got, const std::vector<V>& want,
                         const Fidelity& f, const std::string& where) {
  ASSERT_EQ(got.size(), want.size()) << where;
  const auto fields = Fields(true);
  for (size_t i = 0; i < want.size(); ++i)
    ExpectValue(got[i], want[i], f, where + " " + fields[i].name);
}

// A raw_json the sink built: an object whose ID is `id`.
inline void ExpectBuiltObject(const std::string& raw, int64_t id, const std::string& where) {
  Poco::JSON::Parser parser;
  Poco::JSON::Object::Ptr obj;
  try {
    obj = parser.parse(raw).extract<Poco::JSON::Object::Ptr>();
  } catch (const std::exception&) {
    ADD_FAILURE() << where << ": raw_json is not a JSON object: " << raw;
    return;
  }
  EXPECT_EQ(obj->getValue<int64_t>("ID"), id) << where;
}

inline void ExpectSchema(Instance& reader) {
  ReadSchemaResult stored;
  Result r = reader.ReadSchema(&stored);
  ASSERT_TRUE(r.ok()) << r.message;
  ASSERT_TRUE(stored.present);
  EXPECT_EQ(stored.entity, "orders");
  EXPECT_EQ(stored.list_id, "8f2c1d3e-0000-4000-8000-000000000001");
  EXPECT_EQ(stored.list_title, "orders");
  EXPECT_EQ(stored.fingerprint, "fp-2");
  EXPECT_EQ(stored.definition, "{\"BaseTemplate\":100,\"Title\":\"orders\"}");
  const auto fields = Fields(true);
  ASSERT_EQ(stored.fields.size(), fields.size());
  for (size_t i = 0; i < fields.size(); ++i) {
    SCOPED_TRACE(fields[i].name);
    EXPECT_EQ(stored.fields[i].name, fields[i].name);
    EXPECT_EQ(stored.fields[i].title, fields[i].title);
    EXPECT_EQ(stored.fields[i].sp_type, fields[i].sp_type);
    EXPECT_EQ(stored.fields[i].value_type, fields[i].type);
    EXPECT_EQ(stored.fields[i].role, fields[i].role);
    EXPECT_EQ(stored.fields[i].resolves, fields[i].resolves);
    EXPECT_EQ(stored.fields[i].definition, fields[i].definition);
  }
}

// Every live item, once, in ID order, exactly as the model says, whatever
// the batch size; a cursor taken anywhere (also on a deleted ID) resumes.
inline void ExpectItems(Instance& reader, const Model& m, const Fidelity& f) {
  for (size_t batch : {size_t{1}, size_t{7}, size_t{64}, size_t{100000}}) {
    SCOPED_TRACE("batch " + std::to_string(batch));
    std::vector<ReadItem> all = reader.ReadAllItems(batch);
    std::vector<int64_t> got_ids, want_ids;
    for (const auto& item : all) got_ids.push_back(item.id);
    for (const auto& [id, e] : m.items) want_ids.push_back(id);
    ASSERT_EQ(got_ids, want_ids);
    if (batch != 7) continue;  // the values once are enough
    for (const auto& item : all) {
      const ExpectedItem& e = m.items.at(item.id);
      const std::string where = "item " + std::to_string(item.id);
      ExpectValues(item.values, e.values, f, where);
      if (f.raw_json) {
        EXPECT_EQ(item.raw_json, e.raw) << where;
      } else {
        ExpectBuiltObject(item.raw_json, item.id, where);
      }
      EXPECT_EQ(item.modified, f.item_modified_version ? e.modified : "") << where;
      EXPECT_EQ(item.version, f.item_modified_version ? e.version : "") << where;
    }
  }
  // A cursor on a deleted ID and one past the end.
  std::vector<ReadItem> page;
  ASSERT_TRUE(reader.ReadItems(20, 3, &page).ok());
  ASSERT_EQ(page.size(), 3u);
  EXPECT_EQ(page[0].id, 23);
  EXPECT_EQ(page[2].id, 25);
  ASSERT_TRUE(reader.ReadItems(kItems + 1, 10, &page).ok());
  EXPECT_TRUE(page.empty());
  ASSERT_TRUE(reader.ReadItems(-5, 2, &page).ok());
  ASSERT_EQ(page.size(), 2u);
  EXPECT_EQ(page[0].id, 1);
}

inline void ExpectVersions(Instance& reader, const Model& m, const Fidelity& f) {
  for (size_t batch : {size_t{1}, size_t{5}, size_t{1000}}) {
    SCOPED_TRACE("batch " + std::to_string(batch));
    std::vector<ReadVersion> all = reader.ReadAllVersions(batch);
    std::vector<std::pair<int64_t, int64_t>> got_keys, want_keys;
    for (const auto& v : all) got_keys.emplace_back(v.item_id, v.version_id);
    for (const auto& [key, e] : m.versions) want_keys.push_back(key);
    ASSERT_EQ(got_keys, want_keys);
    if (batch != 5) continue;
    for (const auto& v : all) {
      const ExpectedVersion& e = m.versions.at({v.item_id, v.version_id});
      const std::string where =
          "version " + std::to_string(v.item_id) + "/" + std::to_string(v.version_id);
      EXPECT_EQ(v.label, e.label) << where;
      EXPECT_EQ(v.modified, e.modified) << where;
      int64_t unix = 0;
      spsync::sdk::ParseIsoUtc(e.modified, &unix);
      EXPECT_EQ(v.modified_unix, unix) << where;
      EXPECT_EQ(v.editor_id, e.editor_id) << where;
      EXPECT_EQ(v.editor_name, e.editor_name) << where;
      EXPECT_EQ(v.editor_email, e.editor_email) << where;
      if (f.raw_json) {
        EXPECT_EQ(v.raw_json, e.raw) << where;
      } else {
        ExpectBuiltObject(v.raw_json, v.item_id, where);
      }
      if (e.values.empty()) {
        // Raw only: no values, or (a sink that keeps only raw_json and
        // derives values from it) values that are the raw JSON's.
        if (!v.values.empty()) {
          EXPECT_EQ(v.values.size(), Fields(true).size()) << where;
        }
      } else {
        ExpectValues(v.values, e.values, f, where);
      }
    }
  }
  std::vector<ReadVersion> page;
  ASSERT_TRUE(reader.ReadVersions(2, 512, 2, &page).ok());
  ASSERT_EQ(page.size(), 2u);
  EXPECT_EQ(std::make_pair(page[0].item_id, page[0].version_id),
            std::make_pair(int64_t{2}, int64_t{1024}));
  EXPECT_EQ(std::make_pair(page[1].item_id, page[1].version_id),
            std::make_pair(int64_t{2}, int64_t{1536}));
}

// The listed files and their bytes, read in `piece`-byte chunks (odd sizes,
// so reads straddle whatever chunking the sink stored), and reads at the
// end, past it, of a missing file.
inline void ExpectAttachments(Instance& reader, const Model& m) {
  std::vector<int64_t> ids;
  for (int64_t id = 1; id <= kItems + 60; ++id) ids.push_back(id);
  std::vector<AttachmentRecord> list;
  Result r = reader.ListAttachments(ids, &list);
  ASSERT_TRUE(r.ok()) << r.message;
  std::vector<std::pair<int64_t, std::string>> got, want;
  for (const auto& a : list) got.emplace_back(a.item_id, a.file_name);
  for (const auto& [key, e] : m.files) want.push_back(key);
  ASSERT_EQ(got, want);
  for (const auto& a : list) {
    const ExpectedFile& e = m.files.at({a.item_id, a.file_name});
    SCOPED_TRACE(std::to_string(a.item_id) + "/" + a.file_name);
    EXPECT_EQ(a.size, static_cast<int64_t>(e.size));
    EXPECT_EQ(a.sha256, attachments::PatternSha256(e.seed, e.size));
    EXPECT_EQ(a.etag, "\"{" + std::to_string(e.seed) + "}\"," + std::to_string(a.item_id));
    EXPECT_EQ(a.modified, "2024-03-01T12:00:00Z");
    EXPECT_EQ(a.modified_unix, 1709294400);
    // The big ones in 1 MiB + 1 pieces, the small ones in 1000 + 1.
    const size_t piece = e.size > (1u << 20) ? (1u << 20) + 1 : 1001;
    std::vector<char> buf(piece);
    attachments::Sha256 hash;
    std::string expected_chunk;
    uint64_t offset = 0;
    for (;;) {
      size_t n = 0;
      Result rr = reader.ReadAttachmentAt(a.item_id, a.file_name, offset, buf.data(), piece, &n);
      ASSERT_TRUE(rr.ok()) << rr.message;
      if (n == 0) break;
      ASSERT_LE(n, piece);
      attachments::PatternChunk(e.seed, offset, n, &expected_chunk);
      ASSERT_EQ(std::string_view(buf.data(), n), expected_chunk) << "at " << offset;
      hash.Update(std::string_view(buf.data(), n));
      offset += n;
      ASSERT_LE(offset, e.size);
    }
    EXPECT_EQ(offset, e.size);
    EXPECT_EQ(hash.Hex(), a.sha256);
    // A read that ends at the end, one at it, one past it.
    if (e.size >= 10) {
      size_t n = 0;
      ASSERT_TRUE(reader
                      .ReadAttachmentAt(a.item_id, a.file_name, e.size - 10, buf.data(),
                                        std::min<size_t>(piece, 100), &n)
                      .ok());
      EXPECT_EQ(n, 10u);
    }
    size_t n = 99;
    ASSERT_TRUE(reader.ReadAttachmentAt(a.item_id, a.file_name, e.size, buf.data(), 16, &n).ok());
    EXPECT_EQ(n, 0u);
    n = 99;
    ASSERT_TRUE(
        reader.ReadAttachmentAt(a.item_id, a.file_name, e.size + 5000, buf.data(), 16, &n).ok());
    EXPECT_EQ(n, 0u);
  }
  // Deleted files (and files of the unpersisted session) are not there:
  // FATAL, naming the file.
  std::vector<std::pair<int64_t, std::string>> missing(m.gone_files.begin(), m.gone_files.end());
  missing.emplace_back(7, "unpersisted.txt");
  for (const auto& [id, name] : missing) {
    char c;
    size_t n = 0;
    Result rr = reader.ReadAttachmentAt(id, name, 0, &c, 1, &n);
    EXPECT_EQ(rr.status, SPSYNC_FATAL) << id << "/" << name;
    EXPECT_NE(rr.message.find(name), std::string::npos) << rr.message;
  }
}

// The whole round trip: write the three sessions, then read back with a
// fresh instance (and its state is the last persisted one).
inline void RoundTrip(Plugin& plugin, const std::map<std::string, std::string>& config,
                      const Fidelity& f) {
  ASSERT_TRUE(plugin.vtable().capabilities & SPSYNC_CAP_READ_BACK);
  Model m = WriteSessions(plugin, config, f);
  if (::testing::Test::HasFailure()) return;
  Instance reader = plugin.MustOpen(config);
  ASSERT_TRUE(reader.Capabilities() & SPSYNC_CAP_READ_BACK);
  std::string state;
  ASSERT_TRUE(reader.LoadState("orders", &state).ok());
  EXPECT_EQ(state, "s2");
  ExpectSchema(reader);
  ExpectItems(reader, m, f);
  ExpectVersions(reader, m, f);
  ExpectAttachments(reader, m);
}

// Writes one attachment of `size` bytes (seed `seed`) to item 1 in 1 MiB
// chunks, persists, then reads it back in a child in 1 MiB pieces through
// a fresh instance: the bytes must hash right and the child's peak RSS must
// not grow with the file. Returns the growth in KiB.
inline long ReadBigWithFlatMemory(Plugin& plugin, const std::map<std::string, std::string>& config,
                                  uint64_t size, bool known_size) {
  const uint64_t seed = known_size ? 77 : 78;
  const std::string name = known_size ? "flat known.bin" : "flat unknown.bin";
  {
    SchemaHolder schema("orders", {{"Title", "Title", "Text", SPSYNC_VALUE_TEXT}});
    Instance inst = plugin.MustOpen(config);
    EXPECT_TRUE(inst.LoadState("orders").ok());
    EXPECT_TRUE(inst.Begin(schema.get()).ok());
    Batch b({{1, {V::Text("big")}}});
    EXPECT_TRUE(inst.Upsert(b.items()).ok());
    AttachmentRecord a;
    a.item_id = 1;
    a.file_name = name;
    a.size = known_size ? static_cast<int64_t>(size) : -1;
    Result r = inst.AttachmentBegin(a);
    EXPECT_TRUE(r.ok()) << r.message;
    std::string chunk;
    for (uint64_t off = 0; off < size; off += 1 << 20) {
      attachments::PatternChunk(
          seed, off, static_cast<size_t>(std::min<uint64_t>(1 << 20, size - off)), &chunk);
      r = inst.AttachmentWrite(chunk);
      EXPECT_TRUE(r.ok()) << r.message;
    }
    a.size = static_cast<int64_t>(size);
    a.sha256 = attachments::PatternSha256(seed, size);
    EXPECT_TRUE(inst.AttachmentCommit(a).ok());
    EXPECT_TRUE(inst.Persist("big").ok());
  }
  const std::string want = attachments::PatternSha256(seed, size);
  auto [error, growth_kb] = attachments::MeasureInChild([&]() -> std::string {
    Instance inst = plugin.MustOpen(config);
    if (!inst.LoadState("orders").ok()) return "load_state failed";
    std::vector<char> buf(1 << 20);
    attachments::Sha256 hash;
    uint64_t total = 0;
    for (;;) {
      size_t n = 0;
      Result r = inst.ReadAttachmentAt(1, name, total, buf.data(), buf.size(), &n);
      if (!r.ok()) return "read: " + r.message;
      if (n == 0) break;
      hash.Update(std::string_view(buf.data(), n));
      total += n;
    }
    if (total != size) return "read " + std::to_string(total) + " bytes";
    return hash.Hex() == want ? "" : "the bytes differ";
  });
  EXPECT_EQ(error, "");
  if (attachments::kCheckMemory) {
    EXPECT_LT(growth_kb, attachments::kFlatMemoryKb) << name;
  }
  return growth_kb;
}

}  // namespace spsync::test::readback
