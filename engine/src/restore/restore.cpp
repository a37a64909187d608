#include "spsync/engine/restore/restore.hpp"

#include "backup_reader.hpp"
#include "restore_map.hpp"
#include "target_list.hpp"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <map>
#include <sstream>

namespace spsync::engine {

namespace {

using restore::BackupField;
using restore::BackupItem;
using restore::BackupReader;
using restore::BackupSchema;
using restore::PartResult;
using restore::RestoreMap;
using restore::TargetList;

std::vector<Poco::Dynamic::Var> AsList(const Poco::Dynamic::Var& v) {
  std::vector<Poco::Dynamic::Var> out;
  if (v.isEmpty()) return out;
  if (v.type() == typeid(Poco::JSON::Array::Ptr)) {
    auto a = v.extract<Poco::JSON::Array::Ptr>();
    for (size_t i = 0; i < a->size(); ++i) out.push_back(a->get(static_cast<unsigned>(i)));
  } else if (v.type() == typeid(Poco::JSON::Object::Ptr)) {
    auto o = v.extract<Poco::JSON::Object::Ptr>();  // verbose {"results": [...]}
    if (auto a = o->getArray("results"); !a.isNull())
      for (size_t i = 0; i < a->size(); ++i) out.push_back(a->get(static_cast<unsigned>(i)));
  } else {
    out.push_back(v);
  }
  return out;
}

// How a restore writes one backup item: the values the target accepts,
// people and lookups remapped, what could not be mapped reported.
class ItemMapper {
 public:
  ItemMapper(const BackupSchema& schema, TargetList& target, const RestoreOptions& options,
             std::vector<std::string>* report)
      : schema_(schema), target_(target), options_(options), report_(report) {
    for (const auto& f : schema_.fields)
      if (f.role != SPSYNC_FIELD_PLAIN) resolved_[{f.resolves, f.role}] = &f;
  }

  // The JSON-light body creating the item; counts what was left out.
  std::string Body(const BackupItem& item, int64_t* unmapped) {
    Poco::JSON::Object body;
    for (const auto& f : schema_.fields) {
      if (f.role != SPSYNC_FIELD_PLAIN || !target_.writable().count(f.key)) continue;
      if (!item.values->has(f.key) || item.values->isNull(f.key)) continue;
      Poco::Dynamic::Var v = item.values->get(f.key);
      const bool person = f.sp_type == "User" || f.sp_type == "UserMulti";
      const bool lookup = f.sp_type == "Lookup" || f.sp_type == "LookupMulti";
      if (!person && !lookup) {
        body.set(f.key, v);
        continue;
      }
      const bool multi = f.sp_type.size() > 5 && f.sp_type.substr(f.sp_type.size() - 5) == "Multi";
      const auto ids = AsList(v);
      const auto shown =
          Resolved(item, f, person ? SPSYNC_FIELD_USER_EMAIL : SPSYNC_FIELD_LOOKUP_VALUE);
      Poco::JSON::Array::Ptr out = new Poco::JSON::Array;
      for (size_t k = 0; k < ids.size(); ++k) {
        const std::string label = k < shown.size() ? shown[k] : std::string();
        int64_t id = 0;
        std::string why;
        if (!label.empty()) {
          id = person ? target_.EnsureUser(label)
                      : target_.FindLookup(BareGuid(f.Def("LookupList")), LookupField(f), label);
          if (id == 0)
            why = person ? "no user with e-mail " + label + " in the target site"
                         : "no item '" + label + "' in the lookup list";
        } else if (options_.same_site) {
          try {
            id = ids[k].convert<int64_t>();  // still valid in the site it came from
          } catch (const std::exception&) {
          }
        } else {
          why = person ? "the backup keeps no e-mail for user " + ids[k].convert<std::string>() +
                             " (sync with `resolve: true`)"
                       : "the backup keeps no looked-up value for ID " +
                             ids[k].convert<std::string>() + " (sync with `resolve: true`)";
        }
        if (id != 0) {
          out->add(id);
        } else {
          ++*unmapped;
          report_->push_back("item " + std::to_string(item.id) + ": " + FieldName(f) +
                             " left out: " + why);
        }
      }
      if (multi)
        body.set(f.key, out);
      else if (out->size() > 0)
        body.set(f.key, out->get(0));
    }
    std::ostringstream s;
    body.stringify(s);
    return s.str();
  }

 private:
  // The resolved e-mails / values stored next to an ID field, in ID order.
  std::vector<std::string> Resolved(const BackupItem& item, const BackupField& f, int role) const {
    std::vector<std::string> out;
    auto it = resolved_.find({f.key, role});
    if (it == resolved_.end()) return out;
    const std::string& key = it->second->key;
    if (!item.values->has(key) || item.values->isNull(key)) return out;
    Poco::Dynamic::Var v = item.values->get(key);
    if (v.isString()) {
      const std::string text = v.convert<std::string>();
      // A multi-valued field's names come as a JSON array in text.
      if (!text.empty() && text.front() == '[') {
        try {
          v = Poco::JSON::Parser().parse(text);
        } catch (const std::exception&) {
        }
      }
    }
    for (const auto& one : AsList(v))
      out.push_back(one.isEmpty() ? "" : one.convert<std::string>());
    return out;
  }
  static std::string LookupField(const BackupField& f) {
    std::string field = f.Def("LookupField");
    return field.empty() ? "Title" : field;
  }
  static std::string FieldName(const BackupField& f) {
    std::string name = f.Def("InternalName");
    return name.empty() ? f.key : name;
  }

  const BackupSchema& schema_;
  TargetList& target_;
  const RestoreOptions& options_;
  std::vector<std::string>* report_;
  std::map<std::pair<std::string, int>, const BackupField*> resolved_;
};

std::string TitleOf(const BackupItem& item) {
  if (!item.values->has("Title") || item.values->isNull("Title")) return "";
  return item.values->get("Title").convert<std::string>();
}

class Restorer {
 public:
  Restorer(SharePointClient& client, Sink& sink, const std::string& entity,
           const RestoreOptions& options, const Deadline& deadline)
      : sink_(sink),
        options_(options),
        reader_(sink, sink.info().name, entity, options.as_of_unix),
        target_(client, deadline),
        map_(options.map_path),
        out_(options.out) {}

  RestoreResult Run() {
    const BackupSchema& schema = reader_.schema();
    OpenTarget(schema);
    ItemMapper mapper(schema, target_, options_, &result_.report);
    std::set<int64_t> live;
    std::map<int64_t, std::string> recycled;
    if (options_.mode == RestoreOptions::Mode::kMissing) {
      live = target_.LiveIds();
      recycled = target_.Recycled();
    }
    if (!map_.open_batch().empty()) Reconcile();
    std::vector<BackupItem> pending;
    for (auto batch = reader_.Next(options_.batch_size); !batch.empty();
         batch = reader_.Next(options_.batch_size)) {
      for (auto& item : batch) {
        ++result_.read;
        if (map_.Done(item.id)) {
          ++result_.already;
          continue;
        }
        if (options_.mode == RestoreOptions::Mode::kMissing && live.count(item.id)) {
          ++result_.present;
          continue;
        }
        if (auto r = recycled.find(item.id); r != recycled.end()) {
          Say("restore item " + std::to_string(item.id) + " from the recycle bin");
          if (!options_.dry_run) {
            target_.RestoreRecycled(r->second);
            map_.Recycled(item.id);
          }
          ++result_.recycled;
          continue;
        }
        pending.push_back(std::move(item));
        if (pending.size() >= options_.batch_size) Write(pending, mapper);
      }
    }
    Write(pending, mapper);
    result_.write_requests = target_.write_requests();
    return result_;
  }

 private:
  void Say(const std::string& line) {
    if (options_.dry_run && out_ != nullptr && said_++ < 20) *out_ << "would " << line << "\n";
  }

  void OpenTarget(const BackupSchema& schema) {
    if (options_.mode == RestoreOptions::Mode::kMissing) {
      auto list = target_.Find(schema.list_id);
      if (!list)
        throw std::runtime_error("the backed-up list '" + schema.list_title + "' (" +
                                 schema.list_id +
                                 ") is gone from the site: restore it with --to-list TITLE");
      target_.Use(*list);
      if (!options_.dry_run)
        map_.Open("spsync restore --missing of entity '" + schema.entity + "' into list '" +
                  list->title + "'");
    } else if (!map_.list_id().empty()) {
      auto list = target_.Find(map_.list_id());  // a resumed restore: its own list
      if (!list)
        throw std::runtime_error("the list this restore created (" + map_.list_id() + ", in " +
                                 map_.path() + ") is gone; remove the map to start over");
      target_.Use(*list);
      if (!options_.dry_run) map_.Open("");
    } else {
      if (target_.Find(options_.to_list))
        throw std::runtime_error("a list titled '" + options_.to_list +
                                 "' exists already in the site: restore into a new title, or "
                                 "into the original list with --missing");
      if (options_.dry_run) {
        Say("create list '" + options_.to_list + "' with " + std::to_string(schema.fields.size()) +
            " fields");
        ListInfo none;
        none.title = options_.to_list;
        result_.list_title = none.title;
        dry_list_ = true;
        return;
      }
      map_.Open("spsync restore of entity '" + schema.entity + "' into new list '" +
                options_.to_list + "'");
      ListInfo created = target_.Create(options_.to_list, schema);
      map_.List(created.id, created.title);
      target_.Use(created);
    }
    if (!dry_list_) {
      for (const auto& [key, why] : target_.CreateMissingFields(schema))
        result_.report.push_back("field " + key + " not created, its values left out: " + why);
    }
    result_.list_id = target_.list().id;
    result_.list_title = target_.list().title;
  }

  // A killed run sent a batch whose outcome it did not record: the items
  // above its watermark are what it created, in the batch's order.
  void Reconcile() {
    const auto& olds = map_.open_batch();
    auto above = target_.ItemsAbove(map_.open_watermark());
    std::map<int64_t, std::string> titles;
    for (int64_t old : olds) titles[old] = "";
    // The backup's titles of the batch, to match by.
    BackupReader again(sink_, sink_.info().name, reader_.schema().entity, options_.as_of_unix);
    for (auto items = again.Next(500); !items.empty(); items = again.Next(500))
      for (const auto& item : items)
        if (titles.count(item.id)) titles[item.id] = TitleOf(item);
    size_t next = 0;
    for (int64_t old : olds) {
      if (map_.Done(old)) continue;
      while (next < above.size() && above[next].second != titles[old]) ++next;
      if (next == above.size()) break;  // not created: the batch stopped before it
      map_.Map(old, above[next].first);
      ++result_.resumed;
      ++next;
    }
    map_.End();
    spdlog::info(
        "restore: {} item(s) of an interrupted batch were created before the stop and "
        "are mapped, not created again",
        result_.resumed);
  }

  void Write(std::vector<BackupItem>& items, ItemMapper& mapper) {
    if (items.empty()) return;
    std::vector<std::string> bodies;
    std::vector<int64_t> olds;
    int64_t unmapped = 0;
    for (const auto& item : items) {
      olds.push_back(item.id);
      bodies.push_back(dry_list_ || options_.dry_run ? std::string()
                                                     : mapper.Body(item, &unmapped));
      Say("create item " + std::to_string(item.id) + " '" + TitleOf(item) + "'");
    }
    if (options_.dry_run) {
      result_.created += static_cast<int64_t>(items.size());
      items.clear();
      return;
    }
    map_.Batch(target_.HighestId(), olds);
    std::vector<PartResult> parts = target_.CreateItems(bodies);
    for (size_t k = 0; k < parts.size(); ++k) {
      if (parts[k].status >= 200 && parts[k].status < 300 && parts[k].id > 0) {
        map_.Map(olds[k], parts[k].id);
        ++result_.created;
      } else {
        map_.Failed(olds[k], parts[k].error);
        result_.report.push_back("item " + std::to_string(olds[k]) +
                                 " not created: " + parts[k].error);
        ++result_.failed;
      }
    }
    map_.End();
    Attachments(olds);
    items.clear();
  }

  void Attachments(const std::vector<int64_t>& olds) {
    if (!sink_.info().attachments()) return;
    const spsync_attachment* const* records = nullptr;
    size_t count = 0;
    if (auto r = sink_.ListAttachments(olds.data(), olds.size(), &records, &count); !r.ok())
      throw std::runtime_error("sink '" + sink_.info().name +
                               "': listing attachments failed: " + r.message);
    std::vector<std::pair<int64_t, std::string>> files;
    for (size_t i = 0; i < count; ++i)
      if (records[i]->size >= 0)
        files.emplace_back(records[i]->item_id,
                           std::string(records[i]->file_name.data, records[i]->file_name.len));
    std::vector<char> buffer(1 << 20);
    for (const auto& [old, name] : files) {
      const int64_t now = map_.NewId(old);
      if (now == 0 || map_.Uploaded(old, name)) continue;
      std::string bytes;
      for (size_t len = 0;; bytes.append(buffer.data(), len)) {
        len = 0;
        auto r = sink_.ReadAttachment(old, name, bytes.size(), buffer.data(), buffer.size(), &len);
        if (!r.ok())
          throw std::runtime_error("sink '" + sink_.info().name + "': reading attachment '" + name +
                                   "' of item " + std::to_string(old) + " failed: " + r.message);
        if (len == 0) break;
      }
      target_.Upload(now, name, bytes);
      map_.File(old, name);
      ++result_.attachments;
    }
  }

  Sink& sink_;
  const RestoreOptions& options_;
  BackupReader reader_;
  TargetList target_;
  RestoreMap map_;
  std::ostream* out_;
  RestoreResult result_;
  bool dry_list_ = false;
  int said_ = 0;
};

}  // namespace

RestoreResult Restore(SharePointClient& client, Sink& sink, const std::string& entity,
                      const RestoreOptions& options, const Deadline& deadline) {
  if (options.batch_size == 0 || options.batch_size > 100)
    throw std::invalid_argument("a $batch holds 1 to 100 operations");
  if (options.mode == RestoreOptions::Mode::kToList && options.to_list.empty())
    throw std::invalid_argument("--to-list needs a title");
  Restorer restorer(client, sink, entity, options, deadline);
  return restorer.Run();
}

}  // namespace spsync::engine
