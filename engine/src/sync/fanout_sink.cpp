#include "spsync/engine/sync/fanout_sink.hpp"

#include "session_impl.hpp"

#include <spdlog/spdlog.h>

#include <deque>
#include <map>

namespace spsync::engine {

struct FanoutSink::Slot {
  Slot(Member m, const std::string& entity)
      : member(std::move(m)), caller(*member.sink, member.options, entity) {}
  Member member;
  SinkCaller caller;
  bool alive = true;
  std::string error;
  int64_t rejected = 0;
  bool open = false;  // an attachment begun and not yet committed or aborted
  bool attachments() const { return alive && member.sink->info().attachments(); }
};

struct FanoutSink::Listed {
  std::deque<std::string> strings;
  std::vector<spsync_attachment> records;
  std::vector<const spsync_attachment*> pointers;
};

FanoutSink::FanoutSink(std::vector<Member> members, const std::string& entity) {
  info_.name = "fanout";
  info_.description = "one session feeding several sinks";
  uint64_t caps = ~uint64_t{0};
  uint64_t any = 0;
  for (auto& m : members) {
    caps &= m.sink->info().capabilities;
    any |= m.sink->info().capabilities;
    info_.version += (info_.version.empty() ? "" : "+") + m.options.sink_name;
    slots_.push_back(std::make_unique<Slot>(std::move(m), entity));
  }
  // Ranges only if every member takes them; the rest of the bits describe
  // the members, not the fan-out.
  info_.capabilities = caps & SPSYNC_CAP_DELETE_RANGES;
  // Versions and attachments if any member keeps them: the calls go to
  // those members only, the others never see them.
  info_.capabilities |= any & (SPSYNC_CAP_VERSIONS | SPSYNC_CAP_ATTACHMENTS);
}

FanoutSink::~FanoutSink() = default;

namespace {

std::string Text(spsync_str s) {
  return std::string(s.data, s.len);
}

}  // namespace

SinkResult FanoutSink::Stream(const char* what, bool opening,
                              const std::function<SinkResult(Sink&)>& op) {
  bool any = false;
  SinkResult retry;
  for (auto& s : slots_) {
    if (!s->attachments() || (!opening && !s->open)) continue;
    SinkResult r = op(*s->member.sink);
    if (r.ok()) {
      if (opening) s->open = true;
      any = true;
      continue;
    }
    if (r.status == SPSYNC_RETRYABLE) {
      // A failed begin leaves nothing open; a failed write or commit leaves
      // the file open until the engine aborts it.
      any = true;
      retry = r;
      continue;
    }
    // Failed for good: this member leaves the session (its state stays at
    // its last persist); the others go on with the file.
    if (s->open) s->member.sink->AttachmentAbort();
    s->open = false;
    s->alive = false;
    s->error = "sink '" + s->member.options.sink_name + "' " + what + " failed: " + r.message;
    spdlog::error("sink '{}' dropped out of the session at {}: {}", s->member.options.sink_name,
                  what, s->error);
  }
  if (!any)
    return SinkResult::Fatal(std::string("no sink left that keeps attachments (") + what + ")");
  return retry.status == SPSYNC_RETRYABLE ? retry : SinkResult::Ok();
}

SinkResult FanoutSink::AttachmentBegin(const spsync_attachment& attachment) {
  return Stream("attachment begin", true,
                [&](Sink& sink) { return sink.AttachmentBegin(attachment); });
}

SinkResult FanoutSink::AttachmentWrite(const void* data, size_t len) {
  return Stream("attachment write", false,
                [&](Sink& sink) { return sink.AttachmentWrite(data, len); });
}

SinkResult FanoutSink::AttachmentCommit(const spsync_attachment& attachment) {
  SinkResult r = Stream("attachment commit", false,
                        [&](Sink& sink) { return sink.AttachmentCommit(attachment); });
  if (r.ok())
    for (auto& s : slots_) s->open = false;
  return r;
}

void FanoutSink::AttachmentAbort() {
  for (auto& s : slots_) {
    if (s->open && s->alive) s->member.sink->AttachmentAbort();
    s->open = false;
  }
}

SinkResult FanoutSink::AttachmentDelete(int64_t item_id, std::string_view file_name) {
  return Each("attachment delete", [&](Slot& s) {
    if (s.member.sink->info().attachments()) s.caller.AttachmentDelete(item_id, file_name);
  });
}

SinkResult FanoutSink::ListAttachments(const int64_t* item_ids, size_t count,
                                       const spsync_attachment* const** out, size_t* out_count) {
  // (item, name) -> the first member's record, and how many members hold it alike.
  struct Seen {
    spsync_attachment record{};
    std::string name, sha256, etag, modified, url;
    size_t alike = 0;
  };
  std::map<std::pair<int64_t, std::string>, Seen> seen;
  size_t members = 0;
  SinkResult r = Each("attachment list", [&](Slot& s) {
    if (!s.member.sink->info().attachments()) return;
    const spsync_attachment* const* records = nullptr;
    size_t n = 0;
    s.caller.ListAttachments(item_ids, count, &records, &n);
    ++members;
    for (size_t k = 0; k < n; ++k) {
      const spsync_attachment& a = *records[k];
      auto [it, added] = seen.try_emplace({a.item_id, Text(a.file_name)});
      Seen& x = it->second;
      if (added) {
        x.record = a;
        x.name = Text(a.file_name);
        x.sha256 = Text(a.sha256);
        x.etag = Text(a.etag);
        x.modified = Text(a.modified);
        x.url = Text(a.url);
        x.alike = 1;
      } else if (x.record.size == a.size && x.sha256 == Text(a.sha256) && x.etag == Text(a.etag) &&
                 x.modified == Text(a.modified)) {
        ++x.alike;
      }
    }
  });
  if (!r.ok()) return r;
  listed_ = std::make_unique<Listed>();
  for (auto& [key, x] : seen) {
    spsync_attachment a = x.record;
    auto keep = [&](std::string& v) {
      const std::string& kept = listed_->strings.emplace_back(std::move(v));
      return spsync_str{kept.data(), kept.size()};
    };
    a.file_name = keep(x.name);
    a.sha256 = keep(x.sha256);
    a.etag = keep(x.etag);
    a.modified = keep(x.modified);
    a.url = keep(x.url);
    // A member that died mid-list is no longer counted in `members`.
    if (x.alike < members) a.size = -1;
    listed_->records.push_back(a);
  }
  for (const auto& a : listed_->records) listed_->pointers.push_back(&a);
  *out = listed_->pointers.data();
  *out_count = listed_->pointers.size();
  return SinkResult::Ok();
}

bool FanoutSink::alive(size_t i) const {
  return slots_.at(i)->alive;
}
const std::string& FanoutSink::error(size_t i) const {
  return slots_.at(i)->error;
}
int64_t FanoutSink::rejected(size_t i) const {
  return slots_.at(i)->rejected;
}
size_t FanoutSink::size() const {
  return slots_.size();
}

SinkResult FanoutSink::Each(const char* what, const std::function<void(Slot&)>& op) {
  std::string errors;
  bool any = false;
  for (auto& s : slots_) {
    if (!s->alive) {
      errors += (errors.empty() ? "" : "; ") + s->error;
      continue;
    }
    try {
      op(*s);
      any = true;
    } catch (const SinkFailure& e) {
      s->alive = false;
      s->error = e.what();
      errors += (errors.empty() ? "" : "; ") + s->error;
      spdlog::error("sink '{}' dropped out of the session at {}: {}", s->member.options.sink_name,
                    what, s->error);
    }
  }
  if (!any) return SinkResult::Fatal(errors);
  return SinkResult::Ok();
}

SinkResult FanoutSink::LoadState(std::string_view, std::string* state) {
  bool first = true;
  return Each("load_state", [&](Slot& s) {
    std::string mine = s.caller.LoadState();
    if (first) *state = std::move(mine);
    first = false;
  });
}

SinkResult FanoutSink::Begin(const spsync_schema& schema) {
  return Each("begin", [&](Slot& s) { s.caller.Begin(schema); });
}

SinkResult FanoutSink::Upsert(const spsync_item* const* items, size_t count) {
  return Each("upsert", [&](Slot& s) { s.rejected += s.caller.Upsert(items, count); });
}

SinkResult FanoutSink::Delete(const int64_t* ids, size_t count) {
  std::vector<int64_t> v(ids, ids + count);
  return Each("delete", [&](Slot& s) { s.caller.Delete(v); });
}

SinkResult FanoutSink::DeleteRanges(const spsync_id_range* ranges, size_t count) {
  std::vector<spsync_id_range> v(ranges, ranges + count);
  return Each("delete ranges", [&](Slot& s) { s.caller.DeleteRanges(v); });
}

SinkResult FanoutSink::Persist(std::string_view state) {
  return Each("persist", [&](Slot& s) { s.caller.PersistBytes(state); });
}

SinkResult FanoutSink::WriteVersions(const spsync_version* const* versions, size_t count) {
  return Each("write versions", [&](Slot& s) {
    if (s.member.sink->info().versions()) s.rejected += s.caller.WriteVersions(versions, count);
  });
}

SinkResult FanoutSink::Snapshot() {
  return SinkResult::Fatal("snapshots are taken per sink, not through a fan-out");
}

SinkResult FanoutSink::Check() {
  return Each("check", [&](Slot& s) {
    SinkResult r = s.member.sink->Check();
    if (!r.ok()) throw SinkFailure(r.message);
  });
}

}  // namespace spsync::engine
