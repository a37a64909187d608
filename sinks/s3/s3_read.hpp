// Reading an entity back from the S3 sink (sink ABI 1.2 read-back), as a
// reader that follows _state.json: the schema object the state names, the
// live items replayed from the committed data parts (latest record per ID,
// deletes drop) and the versions from the committed versions parts (latest
// per (item, version)), in key order, in bounded batches.
//
// The replay keeps only where each record is (part, offset, length: about
// 32 bytes per live item); a batch decompresses the parts it needs (the two
// most recent stay cached, so reading in ID order after a full sync fetches
// each part about once). Values are taken from the record's item JSON by
// field name, and for resolved fields from its "resolved" object, typed by
// the stored schema.
//
// Ownership: borrows the Client. Thread safety: one thread at a time.
#ifndef SPSYNC_SINKS_S3_S3_READ_HPP_
#define SPSYNC_SINKS_S3_S3_READ_HPP_

#include <spsync/sink.hpp>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "s3_client.hpp"

namespace spsync::s3 {

// The schema object's JSON for `schema`, and back.
std::string SchemaJson(const spsync::sdk::Schema& schema);
spsync::sdk::StoredSchema ParseSchemaJson(const std::string& json, const std::string& what);

class Reader {
 public:
  Reader(Client& client, std::string base, long long committed_seq, std::string schema_key);

  bool Schema(spsync::sdk::StoredSchema& out);
  void Items(int64_t after_id, size_t max_count, std::vector<spsync::sdk::StoredItem>& out);
  void Versions(int64_t after_item_id, int64_t after_version_id, size_t max_count,
                std::vector<spsync::sdk::StoredVersion>& out);

 private:
  struct Loc {
    int64_t a;  // item ID
    int64_t b;  // version ID
    uint32_t part;
    uint32_t offset;
    uint32_t length;
  };
  void Load();
  // The decompressed text of part `i` (cached).
  const std::string& Part(uint32_t i);
  std::string Line(const Loc& loc) { return Part(loc.part).substr(loc.offset, loc.length); }
  // Values of the stored schema's fields from `item` and `resolved` JSON.
  std::vector<spsync::sdk::StoredValue> Values(const std::string& record) const;

  Client& client_;
  std::string base_;
  long long committed_seq_;
  std::string schema_key_;
  bool loaded_ = false;
  bool has_schema_ = false;
  spsync::sdk::StoredSchema schema_;
  std::vector<std::string> parts_;  // keys
  std::vector<Loc> items_;          // by ID
  std::vector<Loc> versions_;       // by (item, version)
  std::pair<uint32_t, std::string> cache_[2];
  int cache_next_ = 0;
};

}  // namespace spsync::s3

#endif  // SPSYNC_SINKS_S3_S3_READ_HPP_
