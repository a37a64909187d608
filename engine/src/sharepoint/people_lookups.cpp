#include "spsync/engine/sharepoint/people_lookups.hpp"

#include "spsync/engine/sharepoint/sharepoint_client.hpp"
#include "spsync/engine/sharepoint/sharepoint_error.hpp"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <stdexcept>
#include <unordered_map>
#include <unordered_set>

namespace spsync::engine {

namespace {

bool IsPeople(const std::string& type) {
  return type == "User" || type == "UserMulti";
}
bool IsLookup(const std::string& type) {
  return type == "Lookup" || type == "LookupMulti";
}

bool LooksLikeGuid(const std::string& s) {
  if (s.size() != 36) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? s[i] != '-' : !std::isxdigit(static_cast<unsigned char>(s[i]))) return false;
  }
  return true;
}

// The item JSON key of a field named by its internal name (a leading '_'
// becomes OData_, as in EntityPropertyName).
std::string JsonKeyOf(const std::string& internal_name) {
  if (internal_name.empty()) return "Title";
  if (internal_name[0] == '_') return "OData_" + internal_name;
  return internal_name;
}

void AppendJsonString(std::string& out, std::string_view s) {
  static const char* kHex = "0123456789abcdef";
  out += '"';
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20) {
      out += "\\u00";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  out += '"';
}

// The integers of a multi-value's JSON text, in order: `[1,21]` (nometadata)
// or `{"results":[1,21]}` (verbose).
std::vector<int64_t> IdsOf(std::string_view json) {
  std::vector<int64_t> ids;
  size_t i = 0;
  while (i < json.size()) {
    if (json[i] >= '0' && json[i] <= '9') {
      int64_t v = 0;
      while (i < json.size() && json[i] >= '0' && json[i] <= '9') v = v * 10 + (json[i++] - '0');
      ids.push_back(v);
    } else {
      ++i;
    }
  }
  return ids;
}

std::string SelectOf(const LookupTarget& spec) {
  return "ID," + spec.shown + (spec.people ? ",EMail" : "");
}

}  // namespace

ResolvePlan PlanResolve(const std::vector<SchemaField>& selected,
                        const std::vector<ListField>& sources, bool all,
                        const std::vector<std::string>& names) {
  if (selected.size() != sources.size())
    throw std::logic_error("PlanResolve: fields and sources differ in number");
  auto named = [&](const ListField& f, const SchemaField& m, const std::string& n) {
    return n == f.internal_name || n == f.entity_name || n == f.title || n == m.key;
  };
  for (const auto& n : names) {
    bool found = false;
    for (size_t i = 0; i < selected.size() && !found; ++i)
      found = named(sources[i], selected[i], n);
    if (!found)
      throw std::invalid_argument("field '" + n +
                                  "' in `resolve` is not a selected field of the list");
  }
  ResolvePlan plan;
  for (size_t i = 0; i < selected.size(); ++i) {
    const ListField& f = sources[i];
    const SchemaField& m = selected[i];
    plan.fields.push_back(m);
    bool wanted = all;
    bool explicitly = false;
    for (const auto& n : names) explicitly |= named(f, m, n);
    wanted |= explicitly;
    const bool people = IsPeople(f.type);
    if (!wanted || !(people || IsLookup(f.type))) {
      if (explicitly)
        throw std::invalid_argument("field '" + f.internal_name + "' in `resolve` is a " + f.type +
                                    " field, not a person or lookup field");
      continue;
    }
    if (!LooksLikeGuid(f.lookup_list)) {
      if (explicitly)
        throw std::invalid_argument("field '" + f.internal_name +
                                    "' in `resolve` looks up no list of this site (LookupList '" +
                                    f.lookup_list + "')");
      spdlog::warn("field '{}' looks up no list of this site (LookupList '{}'); not resolved",
                   f.internal_name, f.lookup_list);
      continue;
    }
    LookupTarget target{f.lookup_list, people ? "Title" : JsonKeyOf(f.lookup_field), people};
    size_t t = 0;
    while (t < plan.targets.size() &&
           !(plan.targets[t].list_id == target.list_id && plan.targets[t].shown == target.shown &&
             plan.targets[t].people == target.people))
      ++t;
    if (t == plan.targets.size()) plan.targets.push_back(target);
    // `OwnerId` -> `Owner.Title`, `Owner.EMail`; `CustomerId` -> `Customer.Title`.
    std::string base = m.key;
    if (base.size() > 2 && base.compare(base.size() - 2, 2, "Id") == 0)
      base.resize(base.size() - 2);
    const bool multi = m.value_type == SPSYNC_VALUE_JSON;
    auto add = [&](const std::string& suffix, spsync_field_role role, bool email) {
      SchemaField r;
      r.key = base + "." + suffix;
      r.title = m.title + (email ? " (e-mail)" : people ? " (name)" : " (" + suffix + ")");
      // A multi-valued one holds a JSON array of strings, as a MultiChoice does.
      r.sp_type = multi ? "MultiChoice" : "Text";
      r.value_type = multi ? SPSYNC_VALUE_JSON : SPSYNC_VALUE_TEXT;
      r.role = role;
      r.resolves = m.key;
      plan.columns.push_back({i, 0, t, email, multi});
      plan.fields.push_back(std::move(r));
    };
    if (people) {
      add("Title", SPSYNC_FIELD_USER_NAME, false);
      add("EMail", SPSYNC_FIELD_USER_EMAIL, true);
    } else {
      add(target.shown, SPSYNC_FIELD_LOOKUP_VALUE, false);
    }
  }
  // Indexes in the final field order.
  std::unordered_map<std::string, size_t> index;
  for (size_t k = 0; k < plan.fields.size(); ++k) index[plan.fields[k].key] = k;
  size_t c = 0;
  for (size_t k = 0; k < plan.fields.size(); ++k) {
    if (plan.fields[k].role == SPSYNC_FIELD_PLAIN) continue;
    plan.columns[c].id_field = index.at(plan.fields[k].resolves);
    plan.columns[c].out_field = k;
    ++c;
  }
  return plan;
}

struct Resolver::Target {
  LookupTarget spec;
  bool loaded = false;  // read once (whole, or up to the cache's bound)
  std::unordered_map<int64_t, std::pair<std::string, std::string>> known;  // value, e-mail
  std::unordered_set<int64_t> absent;  // asked for this session and not found
  std::unique_ptr<EntitySchema> schema;
  std::unique_ptr<ItemPageParser> parser;
};

Resolver::Resolver(SharePointClient& client, ResolvePlan plan, const Deadline& deadline,
                   Options options)
    : client_(client), plan_(std::move(plan)), deadline_(deadline), options_(std::move(options)) {
  for (const auto& spec : plan_.targets) {
    auto t = std::make_unique<Target>();
    t->spec = spec;
    auto text = [](const std::string& key) {
      SchemaField f;
      f.key = f.title = key;
      f.sp_type = "Text";
      f.value_type = SPSYNC_VALUE_TEXT;
      return f;
    };
    std::vector<SchemaField> fields = {text(spec.shown)};
    if (spec.people) fields.push_back(text("EMail"));
    t->schema = std::make_unique<EntitySchema>("", spec.list_id, "", std::move(fields));
    t->parser = std::make_unique<ItemPageParser>(*t->schema);
    targets_.push_back(std::move(t));
  }
}

Resolver::~Resolver() = default;

int64_t Resolver::requests() const {
  std::lock_guard<std::mutex> lock(mu_);
  return requests_;
}

void Resolver::Remember(Target& t, int64_t id, std::string value, std::string email) {
  auto [it, added] = t.known.try_emplace(id, std::move(value), std::move(email));
  if (added) ++entries_;
  if (t.absent.erase(id) > 0) --entries_;
}

void Resolver::ReadRows(Target& t, std::string& body, std::vector<int64_t>* found,
                        std::string* next) {
  ItemPage page;
  page.body.swap(body);
  t.parser->Parse(&page, SPSYNC_CHANGE_FULL_SYNC);
  for (const auto& item : page.items) {
    auto text = [&](size_t k) {
      const spsync_value& v = item.values[k];
      return v.type == SPSYNC_VALUE_NULL ? std::string() : std::string(v.s.data, v.s.len);
    };
    Remember(t, item.id, text(0), t.spec.people ? text(1) : std::string());
    if (found) found->push_back(item.id);
  }
  if (next) *next = page.next_link;
}

void Resolver::Load(Target& t) {
  t.loaded = true;
  std::string url = client_.ListApi(t.spec.list_id) +
                    "/items?%24select=" + EncodeQueryValue(SelectOf(t.spec)) +
                    "&%24orderby=ID&%24top=5000";
  while (!url.empty() && entries_ < options_.max_entries) {
    if (!client_.SameOrigin(url))
      throw SharePointError(ErrorKind::kBadResponse, 0, "",
                            "a next link points to another host; not followed");
    if (options_.requested) options_.requested(url);
    ++requests_;
    std::string next;
    client_.Get(url, "reading the looked-up list " + t.spec.list_id, deadline_,
                [&](HttpResponse& r) { ReadRows(t, r.body, nullptr, &next); });
    url = next;
  }
}

void Resolver::Fetch(Target& t, const std::vector<int64_t>& ids) {
  constexpr size_t kChunk = 500;  // <In> values per CAML query
  for (size_t k = 0; k < ids.size(); k += kChunk) {
    std::vector<int64_t> chunk(
        ids.begin() + static_cast<std::ptrdiff_t>(k),
        ids.begin() + static_cast<std::ptrdiff_t>(std::min(ids.size(), k + kChunk)));
    std::string body = "{\"query\":{\"ViewXml\":\"" + CamlIdIn(chunk) + "\"}}";
    if (options_.requested) options_.requested("GetItems (resolve)");
    ++requests_;
    std::vector<int64_t> found;
    client_.Post(client_.ListApi(t.spec.list_id) +
                     "/GetItems?%24select=" + EncodeQueryValue(SelectOf(t.spec)),
                 body, "resolving IDs in the looked-up list " + t.spec.list_id, deadline_,
                 [&](HttpResponse& r) {
                   found.clear();
                   ReadRows(t, r.body, &found, nullptr);
                 });
    std::sort(found.begin(), found.end());
    for (int64_t id : chunk)
      if (!std::binary_search(found.begin(), found.end(), id)) {
        if (t.spec.people && user_lookups_ < options_.max_user_lookups)
          FetchUser(t, id);
        else if (t.absent.insert(id).second)
          ++entries_;
      }
  }
}

void Resolver::FetchUser(Target& t, int64_t id) {
  // People the User Information List lacks (the system account) are still
  // users of the web.
  ++user_lookups_;
  ++requests_;
  std::string url = client_.site_url() + "/_api/web/getuserbyid(" + std::to_string(id) + ")";
  if (options_.requested) options_.requested(url);
  try {
    client_.Get(url, "reading user " + std::to_string(id), deadline_, [&](HttpResponse& r) {
      Poco::JSON::Parser parser;
      Poco::JSON::Object::Ptr o;
      try {
        o = parser.parse(r.body).extract<Poco::JSON::Object::Ptr>();
      } catch (const std::exception& e) {
        throw MalformedBody(std::string("user response is not JSON: ") + e.what());
      }
      if (o.isNull()) throw MalformedBody("user response is not an object");
      Remember(t, id, o->optValue<std::string>("Title", ""), o->optValue<std::string>("Email", ""));
    });
  } catch (const SharePointError& e) {
    if (e.kind() != ErrorKind::kNotFound) throw;
    if (t.absent.insert(id).second) ++entries_;
  }
}

void Resolver::Resolve(ItemPage* page) {
  if (plan_.columns.empty() || page->items.empty()) return;
  std::lock_guard<std::mutex> lock(mu_);
  // The bound: past it, start over (what this page needs is read again).
  if (entries_ > options_.max_entries) {
    for (auto& t : targets_) {
      t->known.clear();
      t->absent.clear();
    }
    entries_ = 0;
  }
  const size_t nfields = plan_.fields.size();
  // The IDs of this page no target knows yet, per target.
  std::vector<std::vector<int64_t>> missing(targets_.size());
  for (const auto& c : plan_.columns) {
    Target& t = *targets_[c.target];
    if (!t.loaded) Load(t);
    for (const auto& item : page->items) {
      const spsync_value& v = item.values[c.id_field];
      auto note = [&](int64_t id) {
        if (id > 0 && !t.known.count(id) && !t.absent.count(id)) missing[c.target].push_back(id);
      };
      if (v.type == SPSYNC_VALUE_INTEGER)
        note(v.i);
      else if (v.type == SPSYNC_VALUE_JSON)
        for (int64_t id : IdsOf({v.s.data, v.s.len})) note(id);
    }
  }
  for (size_t k = 0; k < targets_.size(); ++k) {
    auto& ids = missing[k];
    if (ids.empty()) continue;
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    Fetch(*targets_[k], ids);
  }
  for (const auto& c : plan_.columns) {
    Target& t = *targets_[c.target];
    auto text = [&](int64_t id) -> const std::string* {
      auto it = t.known.find(id);
      if (it == t.known.end()) return nullptr;
      return c.email ? &it->second.second : &it->second.first;
    };
    for (auto& item : page->items) {
      const spsync_value& v = item.values[c.id_field];
      spsync_value& out =
          page->values[static_cast<size_t>(&item - page->items.data()) * nfields + c.out_field];
      out = spsync_value{};
      if (v.type == SPSYNC_VALUE_INTEGER) {
        const std::string* s = text(v.i);
        if (s == nullptr) continue;  // unknown: NULL, like a missing value
        const std::string& kept = page->resolved.emplace_back(*s);
        out.type = SPSYNC_VALUE_TEXT;
        out.s = {kept.data(), kept.size()};
      } else if (v.type == SPSYNC_VALUE_JSON) {
        std::string json = "[";
        for (int64_t id : IdsOf({v.s.data, v.s.len})) {
          if (json.size() > 1) json += ',';
          if (const std::string* s = text(id))
            AppendJsonString(json, *s);
          else
            json += "null";
        }
        json += ']';
        const std::string& kept = page->resolved.emplace_back(std::move(json));
        out.type = SPSYNC_VALUE_JSON;
        out.s = {kept.data(), kept.size()};
      }
    }
  }
}

}  // namespace spsync::engine
