#include "spsync/engine/sync/sync_session.hpp"

#include "session_impl.hpp"
#include "spsync/engine/sharepoint/change_page.hpp"
#include "spsync/engine/sharepoint/sharepoint_error.hpp"

#include <Poco/JSON/Object.h>
#include <Poco/String.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <ctime>
#include <sstream>
#include <unordered_set>

namespace spsync::engine {

const char* OutcomeName(Outcome o) {
  switch (o) {
    case Outcome::kComplete:
      return "complete";
    case Outcome::kPartial:
      return "partial";
    case Outcome::kFailed:
      return "failed";
  }
  return "?";
}

SyncSession::SyncSession(SharePointClient& client, Sink& sink, EntityConfig entity,
                         SessionOptions options, SessionEvents events)
    : client_(client),
      sink_(sink),
      entity_(std::move(entity)),
      options_(std::move(options)),
      events_(std::move(events)) {}

SessionResult SyncSession::Run(const Deadline& deadline) {
  Impl impl(client_, sink_, entity_, options_, events_, deadline);
  return impl.Run();
}

SyncSession::Impl::Impl(SharePointClient& client, Sink& sink, const EntityConfig& entity,
                        const SessionOptions& options, const SessionEvents& events,
                        const Deadline& deadline)
    : client_(client),
      caller_(sink, options, entity.name),
      sink_(sink),
      entity_(entity),
      options_(options),
      events_(events),
      deadline_(deadline) {
  result_.entity = entity.name;
  result_.sink = options.sink_name;
}

int64_t SyncSession::Impl::Now() const {
  return static_cast<int64_t>(std::time(nullptr));
}

void SyncSession::Impl::CheckBudget(const char* where) {
  if (deadline_.expired())
    throw BudgetReached(std::string(deadline_.cancelled() ? "interrupted" : "time budget reached") +
                        " " + where);
}

void SyncSession::Impl::Persist() {
  caller_.Persist(state_);
}

void SyncSession::Impl::StartBlankFull(const std::string& reason) {
  spdlog::info("[{}/{}] starting a full sync: {}", entity_.name, options_.sink_name, reason);
  // Everything the sink may hold from before stays a candidate for deletion.
  state_.prior_high_water_id = std::max(state_.high_water_id, state_.prior_high_water_id);
  state_.mode = SyncMode::kFull;
  state_.full_in_progress = true;
  state_.page_last_id = 0;
  state_.ranges.clear();
  state_.export_job = {};
  state_.change_token.clear();
  // Taken FIRST: changes made while the crawl runs are replayed from it.
  state_.full_start_token = list_.current_change_token;
  state_.list_id = list_.id;
}

void SyncSession::Impl::Prepare() {
  std::string bytes = caller_.LoadState();
  try {
    state_ = DecodeState(bytes);
  } catch (const std::exception& e) {
    throw SinkFailure("state stored in sink '" + options_.sink_name + "' for entity '" +
                      entity_.name + "' is unreadable: " + e.what() +
                      " (run `spsync reset` to start over)");
  }
  state_.entity = entity_.name;

  list_ = client_.GetList(entity_.list, deadline_);
  // Resolving people and lookups needs each field's LookupList (read whole).
  auto fields = client_.GetFields(list_.id, deadline_);
  list_fields_ = fields;
  std::vector<SchemaField> selected;
  std::vector<ListField> sources;  // what each of `selected` was mapped from
  std::unordered_set<std::string> wanted(entity_.select.begin(), entity_.select.end());
  std::unordered_set<std::string> seen;
  for (const auto& f : fields) {
    SchemaField m = MapField(f);
    if (IsSystemKey(m.key) || IsSystemKey(f.internal_name)) continue;
    // Computed fields (ContentType, LinkTitle, DocIcon, ...) are display
    // constructs: SharePoint refuses them in a plain $select.
    if (f.type == "Computed") {
      if (wanted.count(f.internal_name) || wanted.count(f.entity_name) || wanted.count(f.title))
        throw SharePointError(
            ErrorKind::kNotFound, 0, "",
            "entity '" + entity_.name + "': field '" + f.internal_name +
                "' in `select` is a Computed field, which SharePoint cannot return as a value");
      continue;
    }
    if (!wanted.empty() && !wanted.count(f.internal_name) && !wanted.count(f.entity_name) &&
        !wanted.count(m.key) && !wanted.count(f.title))
      continue;
    if (!seen.insert(m.key).second) continue;
    selected.push_back(std::move(m));
    sources.push_back(f);
  }
  for (const auto& w : entity_.select) {
    bool found = IsSystemKey(w);
    for (const auto& f : fields)
      if (f.internal_name == w || f.entity_name == w || f.title == w || MapField(f).key == w)
        found = true;
    if (!found)
      throw SharePointError(ErrorKind::kNotFound, 0, "",
                            "entity '" + entity_.name + "': field '" + w +
                                "' in `select` is not a visible field of list '" + list_.title +
                                "'");
  }
  if (entity_.resolves()) {
    ResolvePlan plan;
    try {
      plan = PlanResolve(selected, sources, entity_.resolve_all, entity_.resolve_fields);
    } catch (const std::invalid_argument& e) {
      throw SharePointError(ErrorKind::kNotFound, 0, "",
                            "entity '" + entity_.name + "': " + e.what());
    }
    selected = plan.fields;
    Resolver::Options ro;
    ro.requested = events_.page_requested;
    resolver_ = std::make_unique<Resolver>(client_, std::move(plan), deadline_, std::move(ro));
  }
  // The list's own properties, for a restore that creates it again.
  Poco::JSON::Object list_definition;
  list_definition.set("Title", list_.title);
  list_definition.set("BaseTemplate", list_.base_template);
  list_definition.set("Description", list_.description);
  std::ostringstream definition;
  list_definition.stringify(definition);
  schema_ = std::make_unique<EntitySchema>(entity_.name, list_.id, list_.title, std::move(selected),
                                           definition.str());
  parser_ = std::make_unique<ItemPageParser>(*schema_);
  split_ = LookupSplit::For(*schema_);
  if (split_)
    spdlog::info("[{}/{}] more than {} lookup columns: items are read in {} extra column group(s)",
                 entity_.name, options_.sink_name, LookupSplit::kMaxLookupColumns,
                 split_->groups());
  // What the rows in the sink lack: a field selected now that they were not
  // written with. Decided before begin() records the new schema.
  std::vector<std::string> fields_now;
  for (const auto& f : schema_->fields()) fields_now.push_back(f.key + ":" + f.sp_type);
  // Versions switched on later are missing for every item already in the
  // sink, like a new field: the same re-read fills them.
  if (entity_.versions && sink_.info().versions()) fields_now.push_back("(versions):on");
  if (entity_.attachments && sink_.info().attachments()) fields_now.push_back("(attachments):on");
  std::string backfill = MissingFields(fields_now);
  state_.schema_fingerprint = schema_->fingerprint();
  state_.fields = fields_now;
  caller_.Begin(schema_->view());
  if (entity_.attachments) {
    if (sink_.info().attachments())
      attachments_ = std::make_unique<AttachmentSync>(client_, list_.id, sink_, deadline_,
                                                      events_.page_requested,
                                                      options_.sink_attempts, options_.sink_name);
    else
      spdlog::warn("[{}/{}] `attachments` is on, but the sink keeps no attachments: it gets none",
                   entity_.name, options_.sink_name);
  }
  if (entity_.versions) {
    if (sink_.info().versions())
      versions_ = std::make_unique<VersionWriter>(
          client_, list_.id, *schema_, deadline_,
          [this](const spsync_version* const* v, size_t n) {
            result_.rejected += caller_.WriteVersions(v, n);
          },
          events_.page_requested);
    else
      spdlog::warn("[{}/{}] `versions` is on, but the sink keeps no versions: it gets none",
                   entity_.name, options_.sink_name);
  }

  if (options_.force_full) {
    // A forced resync that a time budget interrupted resumes like any full
    // sync; restarting it from the first page on every run would never end.
    if (state_.full_in_progress && state_.list_id == list_.id && backfill.empty()) {
      spdlog::info("[{}/{}] --full: resuming the full sync in progress", entity_.name,
                   options_.sink_name);
      return;
    }
    if (state_.forced_replay && state_.mode == SyncMode::kIncremental &&
        state_.list_id == list_.id && backfill.empty()) {
      spdlog::info(
          "[{}/{}] --full: the forced full sync read the whole list; finishing its "
          "replay of the changes made meanwhile",
          entity_.name, options_.sink_name);
      return;
    }
    StartBlankFull("--full was given");
    return;
  }
  if (!state_.list_id.empty() && state_.list_id != list_.id) {
    result_.fell_back_to_full = true;
    std::string why = "list '" + list_.title + "' has a new ID (" + list_.id + ", was " +
                      state_.list_id + "): it was deleted and recreated";
    if (events_.fallback_to_full) events_.fallback_to_full(why);
    StartBlankFull(why);
    return;
  }
  if (!backfill.empty()) {
    // Rows written before the field was selected hold no value for it; only
    // a re-read of the list fills them (see README, "Schema changes").
    StartBlankFull("the sink's rows lack field(s) " + backfill +
                   ": re-reading the list so every row gets them");
    return;
  }
  if (state_.mode == SyncMode::kIncremental) {
    ChangeTokenParts parts;
    std::string problem;
    if (!ParseChangeToken(state_.change_token, &parts))
      problem = "the stored change token is malformed";
    else if (Poco::toLower(parts.scope_id) != list_.id)
      problem = "the stored change token belongs to another object";
    else if (Now() - TicksToUnix(parts.ticks) > int64_t{entity_.token_max_age_days} * 86400)
      problem = "the stored change token is older than " +
                std::to_string(entity_.token_max_age_days) + " days";
    if (!problem.empty()) {
      result_.fell_back_to_full = true;
      if (events_.fallback_to_full) events_.fallback_to_full(problem);
      StartBlankFull(problem);
    }
    return;
  }
  if (!state_.full_in_progress)
    StartBlankFull(state_.blank() ? "no state yet" : "the previous full sync is incomplete");
}

void SyncSession::Impl::RecordListDates() {
  // The change log has just been drained: the dates read before the session
  // describe a list this sink now mirrors. A date within a few seconds of
  // that read might hide a change made in the same second, so it is not
  // trusted for skipping (the next run reads the log instead).
  int64_t modified = 0;
  bool recent =
      ParseIsoUtc(options_.seen_modified, &modified) && options_.seen_at_unix - modified < 5;
  state_.list_modified = recent ? "" : options_.seen_modified;
  state_.list_deleted = options_.seen_deleted;
  state_.last_change_check_unix = Now();
  state_.config_fingerprint = options_.config_fingerprint;
}

std::string SyncSession::Impl::MissingFields(const std::vector<std::string>& fields_now) const {
  // Nothing in the sink yet: nothing to fill.
  if (state_.blank() || (state_.mode == SyncMode::kFull && !state_.full_in_progress)) return "";
  if (state_.fields.empty()) {
    // A state from before field lists were kept: only the fingerprint says
    // whether anything changed, not what.
    if (!state_.schema_fingerprint.empty() && state_.schema_fingerprint != schema_->fingerprint())
      return "(the field set changed)";
    return "";
  }
  std::unordered_set<std::string> had(state_.fields.begin(), state_.fields.end());
  std::string missing;
  for (const auto& f : fields_now)
    if (!had.count(f)) missing += (missing.empty() ? "" : ", ") + f.substr(0, f.rfind(':'));
  if (missing.empty() && state_.fields != fields_now)
    spdlog::info("[{}/{}] fields were removed from the entity; their columns keep old values",
                 entity_.name, options_.sink_name);
  return missing;
}

SessionResult SyncSession::Impl::Run() {
  auto started = std::chrono::steady_clock::now();
  try {
    Prepare();
    // Commits begin()'s schema work (and a new full sync's start token)
    // before the first request: a sink's write transaction must not stay
    // open while SharePoint answers, or another entity sharing its database
    // waits on it.
    Persist();
    if (events_.session_started) events_.session_started(entity_.name, state_.mode);
    if (options_.reconcile && state_.mode == SyncMode::kIncremental) {
      RunReconcile();
    } else {
      if (state_.mode == SyncMode::kFull) RunFull();
      RunIncremental();
    }
    state_.failed_sessions = 0;
    state_.forced_replay = false;
    state_.last_error.clear();
    state_.last_success_unix = Now();
    RecordListDates();
    state_.sessions++;
    Persist();
    result_.outcome = Outcome::kComplete;
    if (attachments_) {
      const auto& c = attachments_->counters();
      spdlog::info(
          "[{}/{}] attachments: {} downloaded ({} bytes), {} unchanged ({} ETag checks), {} "
          "deleted",
          entity_.name, options_.sink_name, c.downloaded, c.bytes, c.unchanged, c.checked,
          c.deleted);
    }
  } catch (const BudgetReached& e) {
    result_.outcome = Outcome::kPartial;
    result_.error = e.what();
  } catch (const std::exception& e) {
    bool budget = false;
    if (auto* sp = dynamic_cast<const SharePointError*>(&e))
      budget = sp->kind() == ErrorKind::kBudget;
    if (budget || (deadline_.expired() && dynamic_cast<const SinkFailure*>(&e) == nullptr)) {
      result_.outcome = Outcome::kPartial;
      // A stop asked for (Ctrl-C, SIGTERM) cuts the time budget short: say
      // which, whatever request it stopped.
      result_.error = deadline_.cancelled() ? std::string("interrupted: ") + e.what() : e.what();
    } else {
      result_.outcome = Outcome::kFailed;
      result_.error = e.what();
      // Count the failure against the last persisted state, never advancing it.
      try {
        SyncState persisted = DecodeState(caller_.LoadState());
        persisted.entity = entity_.name;
        persisted.failed_sessions++;
        persisted.last_error = e.what();
        state_ = persisted;
        Persist();
      } catch (const std::exception& pe) {
        spdlog::error("[{}/{}] could not record the failed session: {}", entity_.name,
                      options_.sink_name, pe.what());
        state_.failed_sessions++;
      }
      result_.failed_sessions = state_.failed_sessions;
      if (options_.incident_after_fails > 0 &&
          state_.failed_sessions >= options_.incident_after_fails) {
        result_.incident = true;
        if (events_.incident) events_.incident(state_.failed_sessions, result_.error);
      }
    }
  }
  result_.mode = state_.mode;
  if (result_.outcome != Outcome::kFailed) result_.failed_sessions = state_.failed_sessions;
  result_.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - started);
  if (events_.session_finished) events_.session_finished(result_);
  return result_;
}

}  // namespace spsync::engine
