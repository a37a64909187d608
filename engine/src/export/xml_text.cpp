#include "xml_text.hpp"

#include <expat.h>

#include <stdexcept>

namespace spsync::engine::exporter {

std::string_view LocalName(std::string_view q) {
  size_t cut = q.find_last_of(": ");
  return cut == std::string_view::npos ? q : q.substr(cut + 1);
}

namespace {

struct Collector {
  std::string_view record;
  std::vector<XmlRecord>* out = nullptr;
  int depth = 0, record_depth = -1;
  std::string text;
  bool in_child = false;
};

void Start(void* ud, const XML_Char* name, const XML_Char** attrs) {
  auto* c = static_cast<Collector*>(ud);
  ++c->depth;
  if (c->record_depth < 0 && LocalName(name) == c->record) {
    c->record_depth = c->depth;
    c->out->emplace_back();
    for (int i = 0; attrs[i]; i += 2) {
      std::string key = "@";
      key += LocalName(attrs[i]);
      c->out->back().emplace_back(std::move(key), attrs[i + 1]);
    }
  } else if (c->record_depth >= 0 && c->depth == c->record_depth + 1) {
    c->in_child = true;
    c->text.clear();
  }
}

void End(void* ud, const XML_Char* name) {
  auto* c = static_cast<Collector*>(ud);
  if (c->record_depth >= 0 && c->depth == c->record_depth + 1 && c->in_child) {
    c->out->back().emplace_back(std::string(LocalName(name)), c->text);
    c->in_child = false;
  }
  if (c->depth == c->record_depth) c->record_depth = -1;
  --c->depth;
}

void Text(void* ud, const XML_Char* s, int len) {
  auto* c = static_cast<Collector*>(ud);
  if (c->in_child) c->text.append(s, static_cast<size_t>(len));
}

}  // namespace

std::vector<XmlRecord> XmlRecords(std::string_view xml, std::string_view record) {
  std::vector<XmlRecord> out;
  Collector c;
  c.record = record;
  c.out = &out;
  XML_Parser p = XML_ParserCreate("UTF-8");
  XML_SetUserData(p, &c);
  XML_SetElementHandler(p, Start, End);
  XML_SetCharacterDataHandler(p, Text);
  bool ok = XML_Parse(p, xml.data(), static_cast<int>(xml.size()), 1) == XML_STATUS_OK;
  std::string why = ok ? "" : XML_ErrorString(XML_GetErrorCode(p));
  XML_ParserFree(p);
  if (!ok) throw std::runtime_error("XML does not parse: " + why);
  return out;
}

std::string XmlText(std::string_view xml, std::string_view name) {
  // Nested elements' text counts too (Azure's <Message> holds plain text).
  std::string text;
  bool inside = false, done = false;
  struct State {
    std::string_view name;
    std::string* text;
    bool* inside;
    bool* done;
  } st{name, &text, &inside, &done};
  XML_Parser p = XML_ParserCreate("UTF-8");
  XML_SetUserData(p, &st);
  XML_SetElementHandler(
      p,
      [](void* ud, const XML_Char* n, const XML_Char**) {
        auto* s = static_cast<State*>(ud);
        if (!*s->done && !*s->inside && LocalName(n) == s->name) *s->inside = true;
      },
      [](void* ud, const XML_Char* n) {
        auto* s = static_cast<State*>(ud);
        if (*s->inside && LocalName(n) == s->name) {
          *s->inside = false;
          *s->done = true;
        }
      });
  XML_SetCharacterDataHandler(p, [](void* ud, const XML_Char* t, int len) {
    auto* s = static_cast<State*>(ud);
    if (*s->inside) s->text->append(t, static_cast<size_t>(len));
  });
  XML_Parse(p, xml.data(), static_cast<int>(xml.size()), 1);
  XML_ParserFree(p);
  return done ? text : "";
}

}  // namespace spsync::engine::exporter
