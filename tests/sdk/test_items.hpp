// Builds the ABI structs a sink receives (schema, items) for tests, keeping
// the backing strings alive for as long as the builder lives.
#pragma once

#include <spsync/sink.h>

#include <deque>
#include <string>
#include <vector>

namespace spsync::testing {

class TestBatch {
 public:
  explicit TestBatch(std::string entity = "orders") : entity_(Keep(std::move(entity))) {
    fields_.push_back(Field("Title", "Title", "Text", SPSYNC_VALUE_TEXT));
    fields_.push_back(Field("Amount", "Amount", "Number", SPSYNC_VALUE_REAL));
    // ABI 1.2 members: the definition of a plain field (a restore recreates
    // the list from it).
    fields_[1].definition = Keep("{\"TypeAsString\":\"Number\",\"Required\":true}");
    for (auto& f : fields_) field_ptrs_.push_back(&f);
    schema_.struct_size = sizeof(spsync_schema);
    schema_.entity = entity_;
    schema_.list_id = Keep("0f1e2d3c-0000-4000-8000-000000000001");
    schema_.list_title = Keep("Orders");
    schema_.fields = field_ptrs_.data();
    schema_.field_count = field_ptrs_.size();
    schema_.fingerprint = Keep("fp-1");
  }

  const spsync_schema& schema() const { return schema_; }

  // Adds an item with `id` and a title; returns *this for chaining.
  TestBatch& Add(int64_t id, const std::string& title) {
    auto& values = values_.emplace_back();
    spsync_value t{};
    t.type = SPSYNC_VALUE_TEXT;
    t.s = Keep(title);
    spsync_value a{};
    a.type = SPSYNC_VALUE_REAL;
    a.r = static_cast<double>(id) * 1.5;
    values = {t, a};
    spsync_item item{};
    item.struct_size = sizeof(spsync_item);
    item.kind = SPSYNC_CHANGE_ADD;
    item.id = id;
    item.guid = Keep("00000000-0000-4000-8000-" + std::to_string(100000000000 + id));
    item.modified = Keep("2024-01-31T08:00:00Z");
    item.modified_unix = 1706688000;
    item.version = Keep("\"1\"");
    item.raw_json = Keep("{\"ID\":" + std::to_string(id) + ",\"Title\":\"" + title + "\"}");
    item.values = values.data();
    item.value_count = values.size();
    items_.push_back(item);
    item_ptrs_.clear();
    for (auto& i : items_) item_ptrs_.push_back(&i);
    return *this;
  }

  const spsync_item* const* items() const { return item_ptrs_.data(); }
  size_t size() const { return item_ptrs_.size(); }

 private:
  spsync_str Keep(std::string s) {
    const std::string& kept = strings_.emplace_back(std::move(s));
    return spsync_str{kept.data(), kept.size()};
  }
  spsync_field Field(const char* name, const char* title, const char* type, int32_t value_type) {
    spsync_field f{};
    f.struct_size = sizeof(spsync_field);
    f.value_type = value_type;
    f.name = Keep(name);
    f.title = Keep(title);
    f.sp_type = Keep(type);
    return f;
  }

  std::deque<std::string> strings_;  // deque: growing never moves the strings
  spsync_str entity_;
  std::deque<spsync_field> fields_;
  std::vector<const spsync_field*> field_ptrs_;
  spsync_schema schema_{};
  std::deque<std::vector<spsync_value>> values_;
  std::deque<spsync_item> items_;
  std::vector<const spsync_item*> item_ptrs_;
};

}  // namespace spsync::testing
