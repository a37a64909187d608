// Turns a manifest list item into the JSON object SharePoint's REST API
// would have returned for it (nometadata, the entity's $select), so that the
// export path hands sinks exactly what the REST path does: same keys in the
// same order, same value types and formats, byte for byte.
//
// The key order and key set come from one REST item of the same $select
// (the "sample", read before the job): SharePoint writes item properties in
// its own order, not in $select order, and adds keys of its own (Id beside
// ID). Each key is then filled from the manifest: ID/Id <- IntId, GUID <-
// Id, Modified/Created <- TimeLastModified/TimeCreated (UTC, "Z" added),
// OData__UIVersionString <- Version, AuthorId/EditorId <- Author/ModifiedBy,
// ContentTypeId, FileSystemObjectType <- DocType, every other field <-
// Fields/Field[@Name = its internal name] converted by its type. The value
// forms are in shared/docs/amr-export.md (§4, Open question 3) and the
// emulator's README: several are guesses, which is why Check() compares the
// sample item with its rendering when the export reaches it.
//
// Thread safety: immutable after construction except Check's bookkeeping;
// one renderer per session.
#pragma once

#include "spsync/engine/export/manifest_parser.hpp"
#include "spsync/engine/sharepoint/schema.hpp"

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace spsync::engine::exporter {

// The manifest cannot give what the REST item holds: a key with no manifest
// counterpart, a value that does not convert, or a rendering that differs
// from the sample. The export is abandoned for REST paging.
class RenderError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class ItemRenderer {
 public:
  // `sample_json`: one item object of the REST page for this entity's
  // $select. `schema`: the entity's fields; `list_fields`: the list's fields
  // (internal names and types). Throws RenderError for a key it cannot fill.
  ItemRenderer(std::string_view sample_json, const EntitySchema& schema,
               const std::vector<ListField>& list_fields);

  // Appends the item's JSON object to *out. Throws RenderError.
  void Render(const ManifestItem& item, std::string* out) const;

  // When `rendered` is the sample item's rendering and the item has not
  // changed since the sample was read (same version and Modified), it must
  // equal the sample byte for byte; throws RenderError naming the first
  // differing key otherwise. Other items pass.
  void Check(int64_t id, std::string_view rendered) const;

  int64_t sample_id() const { return sample_id_; }
  size_t key_count() const { return columns_.size(); }

 private:
  enum class Source {
    kIntId,
    kGuid,
    kModified,
    kCreated,
    kVersion,
    kAuthor,
    kEditor,
    kContentTypeId,
    kFsObjType,
    kAttachments,
    kField
  };
  struct Column {
    std::string key;  // as SharePoint writes it, with its quotes and colon: "\"Title\":"
    Source source;
    std::string field;  // internal name (kField)
    std::string type;   // TypeAsString
    bool multi = false;
  };
  void RenderField(const Column& c, const ManifestItem& item, std::string* out) const;

  std::vector<Column> columns_;
  std::string sample_;
  int64_t sample_id_ = 0;
  std::string sample_version_, sample_modified_;
};

// Appends `s` as a JSON string the way SharePoint writes it: ", \ and control
// characters escaped (\n \r \t, others \u00XX), everything else as UTF-8.
void AppendSharePointJsonString(std::string* out, std::string_view s);

}  // namespace spsync::engine::exporter
