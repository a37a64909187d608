// SP.Attachment entities, shared by the attachments area and by items that
// expand their AttachmentFiles ($expand=AttachmentFiles on /items, one item
// and GetItems).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "model/synthetic_list.hpp"
#include "odata/format.hpp"

namespace spsync::emulator::detail {

// /sites/demo/Lists/Orders/Attachments/12/file name.pdf (decoded, as SharePoint gives it).
std::string AttachmentUrl(const ListState& l, int64_t id, std::string_view name);

// One SP.Attachment; `web_url` is the web's absolute URL.
void AppendAttachment(std::string& out, const Negotiated& fmt, std::string_view web_url,
                      const ListState& l, int64_t id, const AttachmentFile& f);

// The item's AttachmentFiles as an expanded navigation property: an array
// (verbose: {"results":[...]}).
void AppendAttachmentFiles(std::string& out, const Negotiated& fmt, std::string_view web_url,
                           const ListState& l, int64_t id);

}  // namespace spsync::emulator::detail
