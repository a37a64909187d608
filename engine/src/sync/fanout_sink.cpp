#include "spsync/engine/sync/fanout_sink.hpp"

#include "session_impl.hpp"

#include <spdlog/spdlog.h>

namespace spsync::engine {

struct FanoutSink::Slot {
  Slot(Member m, const std::string& entity)
      : member(std::move(m)), caller(*member.sink, member.options, entity) {}
  Member member;
  SinkCaller caller;
  bool alive = true;
  std::string error;
  int64_t rejected = 0;
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
