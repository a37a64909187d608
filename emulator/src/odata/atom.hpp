// SharePoint's answer to a client that asks for no JSON (no Accept header,
// application/atom+xml, application/xml, or */* as curl sends it): Atom 1.0
// entries and feeds with OData v3 m:properties, and errors as <m:error>.
//
// The API areas write verbose JSON (which carries every fact Atom needs: ids,
// edit links, etags, types, deferred and expanded navigation properties);
// VerboseToAtom turns it into XML. Pure functions; Atom is for clients that
// forgot their Accept header, so it is built for fidelity, not speed.
#pragma once

#include <functional>
#include <string>
#include <string_view>

namespace spsync::emulator::detail {

// For a property key of an entity: its EDM type ("Edm.Int32", …), "nav" for
// an expanded navigation property (Author), or "" to infer it from the value.
using AtomTypeHint = std::function<std::string(std::string_view key)>;

struct AtomDocument {
  std::string body;
  std::string content_type;  // application/atom+xml;type=entry|feed or application/xml
};

// `service_root` is the site's absolute "…/_api/" (xml:base; edit links are
// written relative to it); `updated` is the ISO time for <updated>. Throws
// std::invalid_argument if `verbose_json` is not JSON.
AtomDocument VerboseToAtom(std::string_view verbose_json, std::string_view service_root,
                           std::string_view updated, const AtomTypeHint& hint);

// <m:error> with code and message, as application/xml.
std::string AtomError(std::string_view code, std::string_view message);

}  // namespace spsync::emulator::detail
