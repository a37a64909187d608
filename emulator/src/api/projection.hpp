// $expand of lookup and person fields, and the properties projected from the
// lists they point at ($select=Author/Title,Author/EMail&$expand=Author,
// $filter=Owner/Title eq '…'). A plan borrows the ListStates it reads: use it
// only while the call that made it holds Impl::mu.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "impl.hpp"
#include "odata/format.hpp"
#include "odata/query.hpp"

namespace spsync::emulator::detail {

class Projections {
 public:
  // Reads $select, $expand and the projected names of $filter for list l;
  // throws RestError with SharePoint's answers (a projection without its
  // $expand, an unknown field or property).
  // Lookup targets are found from `web` (its lists and the site's users).
  static Projections Plan(const WebState& web, const ListState& l, const QueryOptions& q);

  // The $select names that are the item's own columns (not projections).
  const std::vector<std::string>& plain_select() const { return plain_select_; }
  bool empty() const { return expansions_.empty() && !attachment_files_; }
  // $expand=AttachmentFiles: each item carries its SP.Attachment array.
  bool attachment_files() const { return attachment_files_; }
  // $select named only AttachmentFiles (and projections): no plain column.
  bool no_plain_column() const { return no_plain_column_; }
  // Lookup and person fields the query reads through the selected columns and
  // the expansions, each counted once (the lookup column threshold).
  int LookupFields(const ListState& l, const std::vector<int>& selected_columns) const;
  // Appends each expanded field ("Author":{…}) to an item object being
  // written; `first` says whether the object has no member yet.
  // AttachmentFiles comes first; `web_url` is the web's absolute URL.
  void Append(std::string& out, const Negotiated& fmt, std::string_view web_url, int64_t id,
              const std::vector<std::string>& values, bool& first) const;
  // The raw JSON of a projected property (e.g. "Owner/Title") of an item, or
  // nullopt when `path` is none; a multi-valued field gives its first value.
  std::optional<std::string> Value(std::string_view path,
                                   const std::vector<std::string>& values) const;

 private:
  struct Expansion {
    const FieldDef* field;
    int id_column;             // the FooId column of the item
    const ListState* target;   // the list looked up (people: the User Information List)
    std::vector<int> columns;  // projected columns of the target
  };
  const Expansion* Find(std::string_view name) const;
  void AppendTarget(std::string& out, const Negotiated& fmt, const Expansion& e, int64_t target_id,
                    std::vector<std::string>& scratch) const;

  std::vector<Expansion> expansions_;
  std::vector<std::string> plain_select_;
  const ListState* list_ = nullptr;
  bool attachment_files_ = false, no_plain_column_ = false;
};

// The writer of an item query's selected columns and expansions; enforces
// the lookup column threshold (12 lookup or person fields per query). It
// borrows `projections` and `fmt`.
ItemWriter MakeItemWriter(const std::string& web_url, const ListState& l, const Negotiated& fmt,
                          const Projections& projections);

}  // namespace spsync::emulator::detail
