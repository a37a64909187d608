// Small XML answers (Azure errors, queue message lists, SystemData.xml) read
// with expat into flat records. Not for manifests: those stream
// (manifest_parser.hpp).
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace spsync::engine::exporter {

// The text of the first element named `name` (local name), "" if none or if
// `xml` does not parse.
std::string XmlText(std::string_view xml, std::string_view name);

// For each element named `record`: its child elements' (local name, text),
// and its own attributes as ("@name", value). Throws std::runtime_error when
// `xml` is not well-formed.
using XmlRecord = std::vector<std::pair<std::string, std::string>>;
std::vector<XmlRecord> XmlRecords(std::string_view xml, std::string_view record);

// "ns:Name" or "urn:x Name" (expat namespace form) -> "Name".
std::string_view LocalName(std::string_view qualified);

}  // namespace spsync::engine::exporter
