// The XML of a migration package as the emulator's export jobs write it
// (shared/docs/amr-export.md §3-4): one SPObject per list item for
// Manifest.xml, and the package's small files. Where the doc marks a form
// as a guess, the comment at its writer says so (emulator/README.md lists
// them).
//
// Thread-safety: pure functions; callers hold Impl::mu (shared) while they
// read the list.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "model/synthetic_list.hpp"
#include "model/webs.hpp"

namespace spsync::emulator::detail {

// Appends the SPObject of live item `id` of `list` (in `web`) to *out; false
// if the item is not live.
bool AppendManifestItem(const WebState& web, const ListState& list, int64_t id, std::string* out);
// The SPList object that opens a list's manifest.
std::string ManifestListObject(const WebState& web, const ListState& list);

inline constexpr const char* kManifestHead =
    "<?xml version=\"1.0\" encoding=\"utf-8\"?>\r\n"
    "<SPObjects xmlns=\"urn:deployment-manifest-schema\">";
inline constexpr const char* kManifestTail = "</SPObjects>";

// SystemData.xml listing the manifests (names as written, with the job
// folder: "<jobId>/Manifest.xml" [guess: amr-export.md open question 4]).
std::string SystemDataXml(const std::vector<std::string>& manifests, int64_t objects);
std::string ExportSettingsXml(const WebState& web, const ListState& list);
std::string RootObjectMapXml(const WebState& web, const ListState& list);
std::string UserGroupXml();

// An XML attribute value: & < > " escaped, tab/LF/CR as character
// references (so attribute normalisation keeps them).
void AppendXmlAttr(std::string* out, std::string_view v);

}  // namespace spsync::emulator::detail
