// Item create/update bodies as SharePoint validates them: the __metadata rule
// of the JSON-light formats, unknown and read-only properties, and per-type
// value checks; values are stored as nometadata JSON.
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <charconv>
#include <cstdlib>

#include "odata/item_body.hpp"
#include "rest_error.hpp"
#include "util.hpp"

namespace spsync::emulator::detail {
namespace {

using Poco::Dynamic::Var;
using Poco::JSON::Array;
using Poco::JSON::Object;

void AppendVar(std::string& out, const Var& v) {
  if (v.isEmpty()) {
    out += "null";
  } else if (v.type() == typeid(Object::Ptr)) {
    auto obj = v.extract<Object::Ptr>();
    out += "{";
    bool first = true;
    for (const auto& [k, val] : *obj) {
      if (k == "__metadata") continue;
      if (!first) out += ",";
      first = false;
      AppendJsonString(out, k);
      out += ":";
      AppendVar(out, val);
    }
    out += "}";
  } else if (v.type() == typeid(Array::Ptr)) {
    auto arr = v.extract<Array::Ptr>();
    out += "[";
    for (size_t i = 0; i < arr->size(); ++i) {
      if (i) out += ",";
      AppendVar(out, arr->get(static_cast<unsigned>(i)));
    }
    out += "]";
  } else if (v.isBoolean()) {
    out += v.extract<bool>() ? "true" : "false";
  } else if (v.isString()) {
    AppendJsonString(out, v.extract<std::string>());
  } else if (v.isInteger()) {
    out += v.convert<std::string>();
  } else if (v.isNumeric()) {
    char buf[64];
    auto res = std::to_chars(buf, buf + sizeof(buf), v.convert<double>());
    out.append(buf, res.ptr);
  } else {
    AppendJsonString(out, v.convert<std::string>());
  }
}

RestError TypeError(const std::string& edm) {
  return RestError(400, "-1, Microsoft.SharePoint.Client.InvalidClientQueryException",
                   "Cannot convert a primitive value to the expected type '" + edm +
                       "'. See the inner exception for more details.");
}

// Verbose multi-values arrive as {"results":[...]}; JSON light as plain arrays.
Var Unwrap(const Var& v) {
  if (v.type() == typeid(Object::Ptr)) {
    auto obj = v.extract<Object::Ptr>();
    if (obj->has("results")) return obj->get("results");
  }
  return v;
}

std::string Convert(const FieldDef* field, const Column& col, const Var& raw) {
  Var v = Unwrap(raw);
  std::string out;
  if (v.isEmpty()) return "null";
  int kind = field ? field->kind : 2;
  if (field && field->multi) {
    // LookupMulti / UserMulti: FooId is an array of IDs.
    if (v.type() != typeid(Array::Ptr)) throw TypeError("Collection(Edm.Int32)");
    auto arr = v.extract<Array::Ptr>();
    out = "[";
    for (size_t i = 0; i < arr->size(); ++i) {
      Var id = arr->get(static_cast<unsigned>(i));
      if (id.isString()) {
        std::string text = id.extract<std::string>();
        char* end = nullptr;
        long long n = std::strtoll(text.c_str(), &end, 10);
        if (text.empty() || *end) throw TypeError("Edm.Int32");
        id = static_cast<int64_t>(n);
      }
      if (!id.isInteger()) throw TypeError("Edm.Int32");
      if (i) out += ",";
      out += std::to_string(id.convert<int64_t>());
    }
    return out + "]";
  }
  switch (kind) {
    case 1:
    case 9:
    case 10:
    case 7:
    case 20: {
      // Number fields, and FooId of lookups and people. JSON light also allows strings.
      if (v.isString()) {
        std::string s = v.extract<std::string>();
        char* end = nullptr;
        double d = std::strtod(s.c_str(), &end);
        if (s.empty() || *end)
          throw TypeError(kind == 9 || kind == 10 ? "Edm.Double" : "Edm.Int32");
        v = d;
      }
      if (!v.isNumeric()) throw TypeError(kind == 9 || kind == 10 ? "Edm.Double" : "Edm.Int32");
      if (kind == 1 || kind == 7 || kind == 20) {
        double d = v.convert<double>();
        if (d != static_cast<double>(static_cast<int64_t>(d))) throw TypeError("Edm.Int32");
        return std::to_string(static_cast<int64_t>(d));
      }
      AppendVar(out, v);
      return out;
    }
    case 8:
      if (v.isBoolean()) return v.extract<bool>() ? "true" : "false";
      if (v.isString() &&
          (IEquals(v.extract<std::string>(), "true") || IEquals(v.extract<std::string>(), "false")))
        return IEquals(v.extract<std::string>(), "true") ? "true" : "false";
      throw TypeError("Edm.Boolean");
    case 4: {
      if (!v.isString()) throw TypeError("Edm.DateTime");
      auto t = ParseIso(v.extract<std::string>());
      if (!t) throw TypeError("Edm.DateTime");
      return "\"" + FormatIso(*t) + "\"";
    }
    case 15: {
      if (v.type() != typeid(Array::Ptr)) throw TypeError("Collection(Edm.String)");
      auto arr = v.extract<Array::Ptr>();
      for (size_t i = 0; i < arr->size(); ++i)
        if (!arr->get(static_cast<unsigned>(i)).isString()) throw TypeError("Edm.String");
      AppendVar(out, v);
      return out;
    }
    case 11: {
      if (v.type() != typeid(Object::Ptr)) throw TypeError("SP.FieldUrlValue");
      auto obj = v.extract<Object::Ptr>();
      out = "{\"Description\":";
      AppendJsonString(
          out, obj->optValue<std::string>("Description", obj->optValue<std::string>("Url", "")));
      out += ",\"Url\":";
      AppendJsonString(out, obj->optValue<std::string>("Url", ""));
      out += "}";
      return out;
    }
    default:
      if (col.shape != ValueShape::kPlain || v.type() == typeid(Object::Ptr) ||
          v.type() == typeid(Array::Ptr))
        throw TypeError("Edm.String");
      AppendJsonString(out, v.convert<std::string>());
      return out;
  }
}

}  // namespace

std::vector<std::pair<int, std::string>> ParseItemBody(const ListState& list, std::string_view body,
                                                       bool verbose_content_type) {
  Object::Ptr obj;
  try {
    Var parsed = Poco::JSON::Parser().parse(std::string(body.empty() ? "{}" : body));
    if (parsed.type() != typeid(Object::Ptr)) throw std::invalid_argument("not an object");
    obj = parsed.extract<Object::Ptr>();
  } catch (const std::exception&) {
    throw RestError(400, "-1, Microsoft.SharePoint.Client.InvalidClientQueryException",
                    "Invalid JSON. A token was not recognized in the JSON content.");
  }
  const std::string type_name = list.ItemEntityType();
  std::vector<std::pair<int, std::string>> out;
  for (const auto& [key, value] : *obj) {
    if (key == "__metadata") {
      if (!verbose_content_type)
        throw RestError(
            400, "-1, Microsoft.Data.OData.ODataException",
            "The property '__metadata' does not exist on type '" + type_name +
                "'. Make sure to only use property names that are defined by the type.");
      continue;
    }
    int col = -1;
    for (size_t i = 0; i < list.columns().size(); ++i)
      if (list.columns()[i].key == key) col = static_cast<int>(i);
    if (col < 0)
      throw RestError(400, "-1, Microsoft.Data.OData.ODataException",
                      "The property '" + key + "' does not exist on type '" + type_name +
                          "'. Make sure to only use property names that are defined by the type.");
    const Column& c = list.columns()[static_cast<size_t>(col)];
    if (!c.writable)
      throw RestError(400, "-2147024809, System.ArgumentException",
                      "Value does not fall within the expected range.");
    out.emplace_back(col, Convert(list.FindField(c.field), c, value));
  }
  return out;
}

}  // namespace spsync::emulator::detail
