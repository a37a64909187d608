// Streaming reader of a migration package's Manifest.xml (SPObjects, namespace
// urn:deployment-manifest-schema): bytes go in as they are downloaded and
// decrypted, list items come out one at a time. Memory is one item plus
// expat's buffer, whatever the manifest's size.
//
// What it reads (shared/docs/amr-export.md §4): SPObject ObjectType="SPListItem"
// (and IsDeleted), its ListItem's attributes, ListItem/Fields/Field (Name,
// Value, Type; the element text when there is no Value), and whether
// ListItem/Attachments has Attachment children. Nested ListItems (Versions)
// and other object types are skipped. Attributes named in an element's
// EncodedAttributes are decoded from SharePoint's _xHHHH_ form. Unknown
// attributes and elements are ignored (AMR writes undeclared ones).
//
// Thread safety: one parser per thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace spsync::engine::exporter {

class ManifestError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct ManifestField {
  std::string name, value, type;
};

// One SPListItem. Strings are owned and reused from item to item.
struct ManifestItem {
  bool deleted = false;                                    // SPObject IsDeleted="true"
  std::vector<std::pair<std::string, std::string>> attrs;  // ListItem's, decoded
  std::vector<ManifestField> fields;                       // Fields/Field
  bool has_attachments = false;                            // Attachments/Attachment present

  const std::string* Attr(std::string_view name) const;
  const ManifestField* Field(std::string_view name) const;
  // IntId as a number; 0 when absent or malformed.
  int64_t IntId() const;
};

class ManifestParser {
 public:
  // `on_item` runs for each list item, inside Feed(); what it throws comes
  // out of Feed() (parsing stops).
  using ItemFn = std::function<void(const ManifestItem&)>;
  explicit ManifestParser(ItemFn on_item);
  ~ManifestParser();
  ManifestParser(const ManifestParser&) = delete;
  ManifestParser& operator=(const ManifestParser&) = delete;

  // Parses the next bytes. Throws ManifestError (with line, column and byte
  // offset) when the XML is not well-formed.
  void Feed(std::string_view bytes);
  // The end of the document: throws ManifestError if it is incomplete.
  void Finish();

  uint64_t bytes() const { return bytes_; }

 private:
  struct State;
  void Fail(const char* when);
  std::unique_ptr<State> s_;
  uint64_t bytes_ = 0;
};

// SharePoint's XML name/attribute encoding: _xHHHH_ (and _xHHHHHHHH_) stands
// for a UTF-16 code unit (surrogate pairs combine); anything else is kept.
std::string DecodeXmlEncoded(std::string_view s);
// The inverse, for the emulator: characters XML 1.0 cannot carry (controls
// other than tab/LF/CR, U+FFFE/U+FFFF) and an underscore that would read as
// the start of an escape become _xHHHH_. Returns true if anything changed.
bool EncodeXmlEncoded(std::string_view s, std::string* out);

}  // namespace spsync::engine::exporter
