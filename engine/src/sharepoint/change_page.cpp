#include "spsync/engine/sharepoint/change_page.hpp"

#include "spsync/engine/sharepoint/sharepoint_client.hpp"

#include <simdjson.h>

#include <sstream>

namespace spsync::engine {

namespace ondemand = simdjson::ondemand;

namespace {

void Check(simdjson::error_code e, const char* what) {
  if (e) throw MalformedBody(std::string(what) + ": " + simdjson::error_message(e));
}

void ParseChanges(ondemand::array arr, std::vector<Change>* out) {
  for (auto element : arr) {
    ondemand::object obj;
    Check(element.get_object().get(obj), "change is not an object");
    Change c;
    for (auto field : obj) {
      std::string_view key;
      Check(field.unescaped_key().get(key), "change key");
      if (key == "ChangeType") {
        int64_t t = 0;
        Check(field.value().get_int64().get(t), "ChangeType");
        c.type = static_cast<int>(t);
      } else if (key == "ItemId") {
        int64_t id = 0;
        Check(field.value().get_int64().get(id), "ItemId");
        c.item_id = id;
      } else if (key == "ChangeToken") {
        ondemand::object tok;
        Check(field.value().get_object().get(tok), "ChangeToken");
        for (auto tf : tok) {
          std::string_view tk;
          Check(tf.unescaped_key().get(tk), "ChangeToken key");
          if (tk == "StringValue") {
            std::string_view sv;
            Check(tf.value().get_string().get(sv), "StringValue");
            c.token.assign(sv);
          }
        }
      }
    }
    if (c.token.empty()) throw MalformedBody("change without a ChangeToken");
    out->push_back(std::move(c));
  }
}

}  // namespace

std::vector<Change> ParseChangePage(std::string& body) {
  if (body.capacity() < body.size() + simdjson::SIMDJSON_PADDING)
    body.reserve(body.size() + simdjson::SIMDJSON_PADDING);
  ondemand::parser parser;
  simdjson::padded_string_view input(body.data(), body.size(), body.capacity());
  ondemand::document doc;
  Check(parser.iterate(input).get(doc), "change page is not JSON");
  ondemand::object root;
  Check(doc.get_object().get(root), "change page is not an object");
  std::vector<Change> out;
  bool found = false;
  for (auto member : root) {
    std::string_view key;
    Check(member.unescaped_key().get(key), "change page key");
    if (key == "value") {
      ondemand::array arr;
      Check(member.value().get_array().get(arr), "value");
      ParseChanges(arr, &out);
      found = true;
    } else if (key == "d") {
      ondemand::object d;
      Check(member.value().get_object().get(d), "d");
      for (auto dm : d) {
        std::string_view dk;
        Check(dm.unescaped_key().get(dk), "d key");
        if (dk == "results") {
          ondemand::array arr;
          Check(dm.value().get_array().get(arr), "results");
          ParseChanges(arr, &out);
          found = true;
        }
      }
    }
  }
  if (!found) throw MalformedBody("GetChanges response has no change collection");
  return out;
}

bool ParseChangeToken(const std::string& token, ChangeTokenParts* out) {
  std::vector<std::string> parts;
  std::stringstream ss(token);
  std::string p;
  while (std::getline(ss, p, ';')) parts.push_back(p);
  if (parts.size() != 5 || parts[0] != "1") return false;
  try {
    size_t used = 0;
    out->scope = std::stoi(parts[1], &used);
    if (used != parts[1].size()) return false;
    out->scope_id = parts[2];
    out->ticks = std::stoll(parts[3], &used);
    if (used != parts[3].size()) return false;
    out->change_number = std::stoll(parts[4], &used);
    if (used != parts[4].size()) return false;
  } catch (...) {
    return false;
  }
  return true;
}

}  // namespace spsync::engine
