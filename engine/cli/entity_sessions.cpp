#include "entity_sessions.hpp"

#include "pair_files.hpp"
#include "spsync/engine/sync/fanout_sink.hpp"
#include "spsync/engine/sync/state.hpp"

#include <spdlog/spdlog.h>

#include <ctime>
#include <memory>
#include <optional>

namespace spsync::cli {

namespace {

// One (entity, sink) pair this run holds the lock of.
struct Pair {
  std::string sink_name;
  std::unique_ptr<PairLock> lock;
  std::unique_ptr<engine::Sink> sink;
  std::optional<engine::SyncState> state;  // empty: unreadable, the session will say why
  std::string open_error;
};

engine::SessionOptions Options(Runtime& rt, const engine::EntityEntry& e,
                               const std::string& sink_name, const EntityRequest& request,
                               const engine::ListSummary* list) {
  engine::SessionOptions so;
  if (list != nullptr) {
    so.seen_modified = list->last_modified;
    so.seen_deleted = list->last_deleted;
    so.seen_at_unix = static_cast<int64_t>(std::time(nullptr));
  }
  so.config_fingerprint = EntityFingerprint(e.entity);
  so.force_full = request.full;
  so.reconcile = request.reconcile;
  so.sink_name = sink_name;
  so.incident_after_fails = rt.config.run.incident_after_fails;
  so.dead_letter_file = DeadLetterFile(rt.config.run.work_dir, e.entity.name, sink_name).string();
  return so;
}

// A member that dropped out of a shared session failed: count it in its own
// state, as a session of its own would have (a fresh instance, since the old
// one may be in any state).
engine::SessionResult RecordDropout(Runtime& rt, const engine::EntityEntry& e,
                                    const std::string& sink_name, const std::string& error,
                                    engine::SessionResult shared) {
  engine::SessionResult r = std::move(shared);
  r.sink = sink_name;
  r.outcome = engine::Outcome::kFailed;
  r.error = error;
  r.upserted = r.deleted = r.rejected = 0;
  try {
    auto sink = OpenSink(rt, sink_name);
    std::string bytes;
    auto lr = sink->LoadState(e.entity.name, &bytes);
    if (!lr.ok()) throw std::runtime_error(lr.message);
    engine::SyncState st = engine::DecodeState(bytes);
    st.entity = e.entity.name;
    st.failed_sessions++;
    st.last_error = error;
    auto pr = sink->Persist(engine::EncodeState(st));
    if (!pr.ok()) throw std::runtime_error(pr.message);
    r.failed_sessions = st.failed_sessions;
    r.incident = rt.config.run.incident_after_fails > 0 &&
                 st.failed_sessions >= rt.config.run.incident_after_fails;
  } catch (const std::exception& ex) {
    spdlog::error("[{}/{}] could not record the failed session: {}", e.entity.name, sink_name,
                  ex.what());
  }
  return r;
}

}  // namespace

std::string EntityFingerprint(const engine::EntityConfig& entity) {
  std::string f = "select:";
  for (const auto& s : entity.select) f += s + "\x1f";
  // The complete-backup switches change what a session writes: a list idle
  // since they changed is still read once.
  if (entity.attachments) f += "|attachments";
  if (entity.versions) f += "|versions";
  if (entity.resolve_all) f += "|resolve";
  for (const auto& r : entity.resolve_fields) f += "|resolve:" + r;
  return f;
}

bool IdlePair(const engine::SyncState& st, const engine::ListSummary& list,
              const std::string& fingerprint, int64_t now, std::chrono::seconds every) {
  return st.mode == engine::SyncMode::kIncremental && !st.full_in_progress &&
         st.failed_sessions == 0 && st.list_id == list.id && !st.list_modified.empty() &&
         st.list_modified == list.last_modified && st.list_deleted == list.last_deleted &&
         st.config_fingerprint == fingerprint && now - st.last_change_check_unix >= 0 &&
         now - st.last_change_check_unix < every.count();
}

EntityOutcome RunEntitySessions(Runtime& rt, const engine::EntityEntry& e,
                                const std::vector<std::string>& sinks, const EntityRequest& request,
                                const engine::Deadline& deadline, const engine::ListSummary* list) {
  EntityOutcome out;
  const std::string& name = e.entity.name;
  std::vector<Pair> pairs;
  for (const auto& s : sinks) {
    Pair p;
    p.sink_name = s;
    p.lock = std::make_unique<PairLock>(rt.config.run.work_dir, name, s);
    if (!p.lock->acquired()) {
      spdlog::warn("[{}/{}] skipped: another spsync run is syncing this pair right now", name, s);
      out.skipped++;
      continue;
    }
    try {
      p.sink = OpenSink(rt, s);
      std::string bytes;
      if (p.sink->LoadState(name, &bytes).ok()) p.state = engine::DecodeState(bytes);
    } catch (const std::exception& ex) {
      if (!p.sink) p.open_error = ex.what();
    }
    pairs.push_back(std::move(p));
  }

  // Idle: every pair's state says the list has not changed since it last
  // read the change log (within run.idleCheckEvery). No request at all.
  const std::string fingerprint = EntityFingerprint(e.entity);
  const int64_t now = static_cast<int64_t>(std::time(nullptr));
  if (list != nullptr && !request.full && !request.reconcile && !pairs.empty()) {
    bool idle = true;
    for (const auto& p : pairs)
      idle = idle && p.open_error.empty() && p.state &&
             IdlePair(*p.state, *list, fingerprint, now, rt.config.run.idle_check_every);
    if (idle) {
      for (const auto& p : pairs) {
        engine::SessionResult r;
        r.entity = name;
        r.sink = p.sink_name;
        r.mode = engine::SyncMode::kIncremental;
        r.idle = true;
        out.results.push_back(std::move(r));
      }
      return out;
    }
  }

  // Clusters of pairs at the same position; an unreadable state runs alone.
  std::vector<std::vector<Pair*>> clusters;
  for (auto& p : pairs) {
    if (!p.open_error.empty()) {
      engine::SessionResult r;
      r.entity = name;
      r.sink = p.sink_name;
      r.outcome = engine::Outcome::kFailed;
      r.error = p.open_error;
      out.results.push_back(std::move(r));
      continue;
    }
    bool placed = false;
    for (auto& c : clusters)
      if (p.state && c.front()->state && engine::SamePosition(*p.state, *c.front()->state)) {
        c.push_back(&p);
        placed = true;
        break;
      }
    if (!placed) clusters.push_back({&p});
  }

  auto client = rt.Client(e.site, e.web_url);
  for (auto& cluster : clusters) {
    std::string sink_names;
    for (Pair* p : cluster) sink_names += (sink_names.empty() ? "" : "+") + p->sink_name;
    const std::string key = name + "/" + sink_names;
    engine::SessionEvents ev;
    if (request.progress)
      ev.progress = [&request, key](int64_t done, int64_t total) {
        request.progress(key, done, total);
      };
    ev.fallback_to_full = [key](const std::string& why) {
      spdlog::warn("[{}] falling back to a full sync: {}", key, why);
    };
    engine::SessionOptions so = Options(rt, e, sink_names, request, list);
    if (cluster.size() == 1) {
      engine::SyncSession session(*client, *cluster[0]->sink, e.entity, so, ev);
      out.results.push_back(session.Run(deadline));
    } else {
      std::vector<engine::FanoutSink::Member> members;
      for (Pair* p : cluster)
        members.push_back({p->sink.get(), Options(rt, e, p->sink_name, request, list)});
      engine::FanoutSink fanout(std::move(members), name);
      spdlog::debug("[{}] one read of SharePoint feeds {} sinks", key, cluster.size());
      engine::SyncSession session(*client, fanout, e.entity, so, ev);
      engine::SessionResult shared = session.Run(deadline);
      for (size_t i = 0; i < cluster.size(); ++i) {
        if (!fanout.alive(i)) {
          cluster[i]->sink.reset();  // close it before a fresh instance records the failure
          out.results.push_back(
              RecordDropout(rt, e, cluster[i]->sink_name, fanout.error(i), shared));
          continue;
        }
        engine::SessionResult r = shared;
        r.sink = cluster[i]->sink_name;
        r.rejected = fanout.rejected(i);
        out.results.push_back(std::move(r));
      }
    }
    if (request.progress) request.progress(key, 0, -1);
  }
  return out;
}

}  // namespace spsync::cli
