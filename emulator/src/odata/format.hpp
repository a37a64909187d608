// The three JSON dialects SharePoint speaks (nometadata, minimalmetadata,
// verbose; plus the OData v4 annotation names): content negotiation, entity
// and collection envelopes, item serialisation, error bodies. Pure functions
// over plain values; ItemWriter only reads the ListState it points to.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "model/synthetic_list.hpp"

namespace spsync::emulator::detail {

enum class Format { kNoMetadata, kMinimal, kVerbose };
struct Negotiated {
  Format format = Format::kMinimal;
  bool v4 = false;         // OData v4 annotation names (@odata.*)
  bool acceptable = true;  // false -> 406
  // No JSON asked for (no Accept, Atom, XML, */*): answered in Atom/XML
  // (odata/atom.hpp); the areas then write verbose JSON, which is converted.
  bool atom = false;
};
Negotiated Negotiate(std::string_view accept, std::string_view odata_version);
std::string ContentTypeFor(const Negotiated& n);
std::string ErrorBody(const Negotiated& n, std::string_view code, std::string_view message);
// The annotation name for `name` (e.g. "nextLink") in the negotiated dialect.
std::string Annotation(const Negotiated& n, std::string_view name);
// Appends a raw value, reshaped for verbose where SharePoint does so.
void AppendValue(std::string& out, const Negotiated& n, ValueShape shape, std::string_view raw);
struct ItemWriter {
  const ListState* list;
  const Negotiated* fmt;
  std::string site_url;            // absolute
  std::vector<int> column_subset;  // columns to emit
  bool deferred = false;  // verbose without $select: navigation properties as __deferred links
  // Writes expanded navigation properties of the item (before its columns);
  // `first` says whether the object has no member yet. Empty: none.
  std::function<void(std::string& out, int64_t id, const std::vector<std::string>& values,
                     bool& first)>
      expanded;
  bool attachments_expanded = false;  // AttachmentFiles is expanded, not a __deferred link
  void Append(std::string& out, int64_t id, const std::vector<std::string>& values,
              int version) const;
};
std::vector<int> SelectColumns(const ListState& list, const std::vector<std::string>& select,
                               std::string& unknown);
struct Prop {
  std::string key;
  std::string raw;
};
struct EntityMeta {
  std::string type, id, uri, edit_link, etag;
};
// A whole entity object; `context` (minimal metadata only) becomes odata.metadata.
void AppendEntity(std::string& out, const Negotiated& n, const EntityMeta& meta,
                  const std::vector<Prop>& props, const std::vector<std::string>& select,
                  std::string_view context = {});
// Names in `select` that match none of props ("" if all match).
std::string UnknownSelect(const std::vector<Prop>& props, const std::vector<std::string>& select);
void BeginCollection(std::string& out, const Negotiated& n, std::string_view context);
void EndCollection(std::string& out, const Negotiated& n, std::string_view next_link);
void WrapSingle(std::string& out, const Negotiated& n, std::string_view entity);
// A primitive returned by a service operation (verbose wraps it by method name).
std::string PrimitiveResult(const Negotiated& n, std::string_view method, std::string_view raw);

}  // namespace spsync::emulator::detail
