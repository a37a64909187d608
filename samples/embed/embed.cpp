// Embedding the spsync engine: sync one list into your own code, with the
// same full / incremental state machine the CLI uses. Usage:
//   spsync-embed-sample SITE_URL LIST [BEARER_TOKEN]
// The state lives in memory here; a real embedder stores it (Persist) and
// hands it back (LoadState) so the next run is incremental.
#include <spsync/engine/sync/sync_session.hpp>

#include <cstdio>
#include <string>

using namespace spsync::engine;

// Your target system: here, it only prints.
class PrintingSink final : public Sink {
 public:
  const SinkInfo& info() const override { return info_; }
  SinkResult LoadState(std::string_view, std::string* state) override {
    return *state = state_, SinkResult::Ok();
  }
  SinkResult Begin(const spsync_schema& s) override {
    return std::printf("%zu fields\n", s.field_count), SinkResult::Ok();
  }
  SinkResult Upsert(const spsync_item* const* items, size_t n) override {
    for (size_t i = 0; i < n; ++i)
      std::printf("upsert %lld\n", static_cast<long long>(items[i]->id));
    return SinkResult::Ok();
  }
  SinkResult Delete(const int64_t* ids, size_t n) override {
    for (size_t i = 0; i < n; ++i) std::printf("delete %lld\n", static_cast<long long>(ids[i]));
    return SinkResult::Ok();
  }
  SinkResult DeleteRanges(const spsync_id_range*, size_t) override {
    return SinkResult::Fatal("no ranges");
  }
  SinkResult Persist(std::string_view state) override { return state_ = state, SinkResult::Ok(); }
  SinkResult Snapshot() override { return SinkResult::Fatal("no snapshots"); }
  SinkResult Check() override { return SinkResult::Ok(); }

 private:
  SinkInfo info_{"printing", "1", "prints items", "", SPSYNC_SINK_ABI_VERSION, 0};
  std::string state_;
};

int main(int argc, char** argv) {
  if (argc < 3) return std::fprintf(stderr, "usage: %s SITE_URL LIST [TOKEN]\n", argv[0]), 2;
  auto http = std::make_shared<HttpClient>(HttpOptions{});
  auto credentials = argc > 3 ? BearerCredentials(argv[3]) : NoCredentials();
  ClientOptions options;
  options.site_url = argv[1];
  SharePointClient client(options, http, credentials, std::make_shared<ThrottleGate>());
  PrintingSink sink;
  SessionEvents events;
  events.page_applied = [](int64_t up, int64_t del) {
    std::printf("page: %lld up, %lld del\n", (long long)up, (long long)del);
  };
  EntityConfig entity;
  entity.name = "items";
  entity.list = argv[2];
  SyncSession session(client, sink, entity, SessionOptions{}, events);
  SessionResult r = session.Run(Deadline(std::chrono::minutes(10)));
  std::printf("%s: %lld upserted, %lld deleted%s%s\n", OutcomeName(r.outcome),
              (long long)r.upserted, (long long)r.deleted, r.error.empty() ? "" : " - ",
              r.error.c_str());
  return r.outcome == Outcome::kComplete ? 0 : 1;
}
