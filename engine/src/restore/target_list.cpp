#include "target_list.hpp"

#include "spsync/engine/sharepoint/sharepoint_error.hpp"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>

#include <random>
#include <sstream>

namespace spsync::engine::restore {

namespace {

Poco::JSON::Object::Ptr Parse(const std::string& body, const char* what) {
  try {
    auto o = Poco::JSON::Parser().parse(body).extract<Poco::JSON::Object::Ptr>();
    if (auto d = o->getObject("d"); !d.isNull()) o = d;  // verbose
    return o;
  } catch (const std::exception& e) {
    throw MalformedBody(std::string(what) + ": " + e.what());
  }
}

std::string Json(const Poco::JSON::Object& o) {
  std::ostringstream out;
  o.stringify(out);
  return out.str();
}

std::string XmlAttr(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

// Types whose values SharePoint computes: never written, never created.
bool Computed(const std::string& type) {
  return type == "Computed" || type == "Counter" || type == "Calculated" || type == "Attachments" ||
         type == "ModStat" || type == "ContentTypeId" || type == "File" || type == "Guid" ||
         type == "WorkflowStatus";
}

// The field as SharePoint's CreateFieldAsXml takes it: type, internal name,
// title, required flag, choices, lookup target.
std::string SchemaXml(const BackupField& f) {
  std::string type = f.Def("TypeAsString");
  if (type.empty()) type = f.sp_type;
  bool mult = false;
  if (type == "LookupMulti" || type == "UserMulti") {
    type = type.substr(0, type.size() - 5);
    mult = true;
  }
  mult = mult || f.DefTrue("AllowMultipleValues");
  std::string name = f.Def("InternalName");
  std::string xml = "<Field Type=\"" + XmlAttr(type) + "\" Name=\"" + XmlAttr(name) +
                    "\" StaticName=\"" + XmlAttr(name) + "\" DisplayName=\"" +
                    XmlAttr(f.Def("Title").empty() ? f.title : f.Def("Title")) + "\"";
  if (f.DefTrue("Required")) xml += " Required=\"TRUE\"";
  if (mult) xml += " Mult=\"TRUE\"";
  if (!f.Def("LookupList").empty()) xml += " List=\"" + XmlAttr(f.Def("LookupList")) + "\"";
  if (!f.Def("LookupField").empty()) xml += " ShowField=\"" + XmlAttr(f.Def("LookupField")) + "\"";
  xml += ">";
  if (!f.definition.isNull() && f.definition->has("Choices")) {
    Poco::JSON::Array::Ptr choices = f.definition->getArray("Choices");
    if (choices.isNull()) {
      auto verbose = f.definition->getObject("Choices");
      if (!verbose.isNull()) choices = verbose->getArray("results");
    }
    if (!choices.isNull() && choices->size() > 0) {
      xml += "<CHOICES>";
      for (size_t i = 0; i < choices->size(); ++i)
        xml += "<CHOICE>" + XmlAttr(choices->get(static_cast<unsigned>(i)).convert<std::string>()) +
               "</CHOICE>";
      xml += "</CHOICES>";
    }
  }
  return xml + "</Field>";
}

}  // namespace

std::string BatchBody(const std::string& items_url, const std::vector<std::string>& bodies,
                      const std::string& boundary) {
  const std::string changeset = "changeset_" + boundary.substr(boundary.find('_') + 1);
  std::string out =
      "--" + boundary + "\r\nContent-Type: multipart/mixed; boundary=" + changeset + "\r\n\r\n";
  for (const auto& body : bodies) {
    out += "--" + changeset +
           "\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n\r\n";
    out += "POST " + items_url + " HTTP/1.1\r\n";
    out += "Content-Type: application/json;odata=nometadata\r\n";
    out += "Accept: application/json;odata=nometadata\r\n\r\n";
    out += body + "\r\n";
  }
  out += "--" + changeset + "--\r\n--" + boundary + "--\r\n";
  return out;
}

std::vector<PartResult> ParseBatchAnswer(const std::string& body) {
  // Each operation's answer is an HTTP response inside a part: a status
  // line, headers, a blank line, its body up to the next boundary line.
  std::vector<PartResult> out;
  size_t at = 0;
  while ((at = body.find("HTTP/1.1 ", at)) != std::string::npos) {
    if (at != 0 && body[at - 1] != '\n') {
      at += 9;
      continue;
    }
    PartResult part;
    try {
      part.status = std::stoi(body.substr(at + 9, 3));
    } catch (const std::exception&) {
      throw MalformedBody("a $batch answer part has no status");
    }
    size_t head_end = body.find("\r\n\r\n", at);
    size_t skip = 4;
    const size_t lf = body.find("\n\n", at);
    if (lf != std::string::npos && (head_end == std::string::npos || lf < head_end)) {
      head_end = lf;
      skip = 2;
    }
    if (head_end == std::string::npos) throw MalformedBody("a $batch answer part has no body");
    const size_t start = head_end + skip;
    size_t end = body.find("\n--", start);
    if (end == std::string::npos) end = body.size();
    std::string part_body = body.substr(start, end - start);
    while (!part_body.empty() && (part_body.back() == '\r' || part_body.back() == '\n'))
      part_body.pop_back();
    if (part.status >= 200 && part.status < 300) {
      auto o = Parse(part_body, "a created item in a $batch answer");
      part.id = o->optValue<int64_t>("Id", o->optValue<int64_t>("ID", 0));
    } else {
      part.error = "HTTP " + std::to_string(part.status);
      try {
        auto o = Parse(part_body, "an error");
        auto err = o->getObject("odata.error");
        if (err.isNull()) err = o->getObject("error");
        if (!err.isNull()) {
          auto msg = err->getObject("message");
          part.error += ": " + (msg.isNull() ? err->optValue<std::string>("message", "")
                                             : msg->optValue<std::string>("value", ""));
        }
      } catch (const MalformedBody&) {
        part.error += ": " + part_body.substr(0, 200);
      }
    }
    out.push_back(std::move(part));
    at = end;
  }
  return out;
}

TargetList::TargetList(SharePointClient& client, const Deadline& deadline)
    : client_(client), deadline_(deadline) {}

std::optional<ListInfo> TargetList::Find(const std::string& ref) {
  try {
    return client_.GetList(ref, deadline_);
  } catch (const SharePointError& e) {
    if (e.kind() == ErrorKind::kNotFound) return std::nullopt;
    throw;
  }
}

ListInfo TargetList::Create(const std::string& title, const BackupSchema& schema) {
  Poco::JSON::Object body;
  body.set("Title", title);
  const auto& def = schema.definition;
  body.set("BaseTemplate", def.isNull() ? 100 : def->optValue<int>("BaseTemplate", 100));
  body.set("Description",
           def.isNull() ? std::string() : def->optValue<std::string>("Description", ""));
  std::string id;
  ++writes_;
  client_.Send("POST", client_.site_url() + "/_api/web/lists", Json(body),
               "creating list '" + title + "'", deadline_, [&](HttpResponse& r) {
                 id = Parse(r.body, "the created list")->optValue<std::string>("Id", "");
               });
  if (id.empty()) throw MalformedBody("the created list '" + title + "' has no Id");
  return client_.GetList(id, deadline_);
}

void TargetList::Use(const ListInfo& list) {
  list_ = list;
  ReadFields();
}

void TargetList::ReadFields() {
  writable_.clear();
  internal_names_.clear();
  for (const auto& f : client_.GetFields(list_.id, deadline_)) {
    internal_names_.insert(f.internal_name);
    bool read_only = false;
    try {
      read_only = Poco::JSON::Parser()
                      .parse(f.definition)
                      .extract<Poco::JSON::Object::Ptr>()
                      ->optValue<bool>("ReadOnlyField", false);
    } catch (const std::exception&) {
    }
    if (read_only || Computed(f.type)) continue;
    writable_.insert(MapField(f).key);
  }
}

std::map<std::string, std::string> TargetList::CreateMissingFields(const BackupSchema& schema) {
  std::map<std::string, std::string> skipped;
  bool created = false;
  for (const auto& f : schema.fields) {
    if (f.role != SPSYNC_FIELD_PLAIN || f.definition.isNull()) continue;
    if (f.DefTrue("ReadOnlyField") || Computed(f.sp_type)) continue;
    const std::string name = f.Def("InternalName");
    if (name.empty() || internal_names_.count(name)) continue;
    Poco::JSON::Object parameters, body;
    parameters.set("SchemaXml", SchemaXml(f));
    parameters.set("Options", 8);  // SP.AddFieldOptions.addFieldInternalNameHint
    body.set("parameters", parameters);
    try {
      ++writes_;
      client_.Send("POST", client_.ListApi(list_.id) + "/fields/CreateFieldAsXml", Json(body),
                   "creating field '" + name + "' of list '" + list_.title + "'", deadline_,
                   nullptr);
      created = true;
    } catch (const SharePointError& e) {
      if (e.kind() == ErrorKind::kTransient || e.kind() == ErrorKind::kAuth) throw;
      skipped[f.key] = e.what();
    }
  }
  if (created) ReadFields();
  return skipped;
}

int64_t TargetList::HighestId() {
  int64_t id = 0;
  client_.Get(client_.ListApi(list_.id) +
                  "/items?%24select=ID&%24orderby=" + EncodeQueryValue("ID desc") + "&%24top=1",
              "reading the highest ID of '" + list_.title + "'", deadline_, [&](HttpResponse& r) {
                auto items = Parse(r.body, "items")->getArray("value");
                id = items.isNull() || items->size() == 0
                         ? 0
                         : items->getObject(0)->optValue<int64_t>("ID", 0);
              });
  return id;
}

std::set<int64_t> TargetList::LiveIds() {
  std::set<int64_t> ids;
  std::string url = client_.ListApi(list_.id) + "/items?%24select=ID&%24top=5000";
  while (!url.empty()) {
    std::string next;
    client_.Get(url, "reading the IDs of '" + list_.title + "'", deadline_, [&](HttpResponse& r) {
      auto o = Parse(r.body, "items");
      auto items = o->getArray("value");
      for (size_t i = 0; !items.isNull() && i < items->size(); ++i)
        ids.insert(items->getObject(static_cast<unsigned>(i))->optValue<int64_t>("ID", 0));
      next = o->optValue<std::string>("odata.nextLink", o->optValue<std::string>("__next", ""));
    });
    if (!next.empty() && !client_.SameOrigin(next))
      throw MalformedBody("a next link to another site: " + next);
    url = next;
  }
  return ids;
}

std::vector<std::pair<int64_t, std::string>> TargetList::ItemsAbove(int64_t watermark) {
  std::vector<std::pair<int64_t, std::string>> out;
  client_.Get(client_.ListApi(list_.id) + "/items?%24select=ID,Title&%24filter=" +
                  EncodeQueryValue("ID gt " + std::to_string(watermark)) +
                  "&%24orderby=ID&%24top=5000",
              "reading the items a cut restore created in '" + list_.title + "'", deadline_,
              [&](HttpResponse& r) {
                out.clear();
                auto items = Parse(r.body, "items")->getArray("value");
                for (size_t i = 0; !items.isNull() && i < items->size(); ++i) {
                  auto item = items->getObject(static_cast<unsigned>(i));
                  out.emplace_back(item->optValue<int64_t>("ID", 0),
                                   item->optValue<std::string>("Title", ""));
                }
              });
  return out;
}

std::map<int64_t, std::string> TargetList::Recycled() {
  std::string folder;
  client_.Get(
      client_.ListApi(list_.id) + "?%24select=RootFolder/ServerRelativeUrl&%24expand=RootFolder",
      "reading the folder of '" + list_.title + "'", deadline_, [&](HttpResponse& r) {
        auto root = Parse(r.body, "a list")->getObject("RootFolder");
        if (!root.isNull()) folder = root->optValue<std::string>("ServerRelativeUrl", "");
      });
  while (!folder.empty() && folder.front() == '/') folder.erase(0, 1);
  std::map<int64_t, std::string> out;
  client_.Get(client_.site_url() + "/_api/web/RecycleBin?%24select=Id,LeafName,DirName,ItemType",
              "reading the recycle bin", deadline_, [&](HttpResponse& r) {
                out.clear();
                auto items = Parse(r.body, "the recycle bin")->getArray("value");
                for (size_t i = 0; !items.isNull() && i < items->size(); ++i) {
                  auto e = items->getObject(static_cast<unsigned>(i));
                  // A list item's entry: DirName is the list's folder, LeafName "<ID>_.000".
                  std::string dir = e->optValue<std::string>("DirName", "");
                  while (!dir.empty() && dir.front() == '/') dir.erase(0, 1);
                  const std::string leaf = e->optValue<std::string>("LeafName", "");
                  const size_t mark = leaf.find("_.000");
                  if (dir != folder || mark == std::string::npos || mark == 0) continue;
                  try {
                    out[std::stoll(leaf.substr(0, mark))] = e->optValue<std::string>("Id", "");
                  } catch (const std::exception&) {
                  }
                }
              });
  return out;
}

void TargetList::RestoreRecycled(const std::string& recycle_id) {
  ++writes_;
  client_.Send("POST",
               client_.site_url() + "/_api/web/RecycleBin(" +
                   EncodeQueryValue(QuoteOData(recycle_id)) + ")/Restore()",
               "", "restoring an item of '" + list_.title + "' from the recycle bin", deadline_,
               nullptr);
}

std::vector<PartResult> TargetList::CreateItems(const std::vector<std::string>& bodies) {
  std::mt19937_64 rng(std::random_device{}());
  std::ostringstream tag;
  tag << std::hex << rng() << "-" << ++batches_;
  const std::string boundary = "batch_" + tag.str();
  std::vector<PartResult> parts;
  ++writes_;
  client_.SendRaw(
      "POST", client_.site_url() + "/_api/$batch", "multipart/mixed; boundary=" + boundary,
      BatchBody(client_.ListApi(list_.id) + "/items", bodies, boundary),
      "creating " + std::to_string(bodies.size()) + " items in '" + list_.title + "'", deadline_,
      [&](HttpResponse& r) { parts = ParseBatchAnswer(r.body); }, true);
  if (parts.size() != bodies.size())
    throw MalformedBody("a $batch of " + std::to_string(bodies.size()) + " creations answered " +
                        std::to_string(parts.size()) + " parts");
  return parts;
}

int64_t TargetList::EnsureUser(const std::string& email) {
  if (auto it = users_.find(email); it != users_.end()) return it->second;
  Poco::JSON::Object body;
  body.set("logonName", email);
  int64_t id = 0;
  ++writes_;
  try {
    client_.SendRaw(
        "POST", client_.site_url() + "/_api/web/ensureuser", "application/json;odata=nometadata",
        Json(body), "ensureuser " + email, deadline_,
        [&](HttpResponse& r) { id = Parse(r.body, "a user")->optValue<int64_t>("Id", 0); }, true);
  } catch (const SharePointError& e) {
    // Nobody in the directory with that address: SharePoint answers 500
    // ("The specified user ... could not be found"), or 404.
    if (e.status() != 500 && e.status() != 404 && e.kind() != ErrorKind::kNotFound) throw;
  }
  users_[email] = id;
  return id;
}

int64_t TargetList::FindLookup(const std::string& list_id, const std::string& field,
                               const std::string& value) {
  const std::string key = list_id + "|" + field + "|" + value;
  if (auto it = lookups_.find(key); it != lookups_.end()) return it->second;
  int64_t id = 0;
  try {
    client_.Get(client_.ListApi(list_id) + "/items?%24select=ID&%24top=1&%24filter=" +
                    EncodeQueryValue(field + " eq " + QuoteOData(value)),
                "finding '" + value + "' in the lookup list", deadline_, [&](HttpResponse& r) {
                  auto items = Parse(r.body, "items")->getArray("value");
                  id = items.isNull() || items->size() == 0
                           ? 0
                           : items->getObject(0)->optValue<int64_t>("ID", 0);
                });
  } catch (const SharePointError& e) {
    if (e.kind() != ErrorKind::kNotFound && e.status() != 400) throw;
  }
  lookups_[key] = id;
  return id;
}

void TargetList::Upload(int64_t item_id, const std::string& name, const std::string& bytes) {
  ++writes_;
  try {
    client_.SendRaw("POST",
                    client_.ListApi(list_.id) + "/items(" + std::to_string(item_id) +
                        ")/AttachmentFiles/add(FileName=" + EncodeQueryValue(QuoteOData(name)) +
                        ")",
                    "application/octet-stream", bytes,
                    "uploading attachment '" + name + "' of item " + std::to_string(item_id),
                    deadline_, nullptr, false);
  } catch (const SharePointError& e) {
    if (std::string(e.what()).find("already exists") == std::string::npos) throw;
  }
}

}  // namespace spsync::engine::restore
