// A sync session that dies mid-page: opens a sink through the ABI, loads the
// state, upserts one page without persisting it, waits so the writes reach
// the server, and is SIGKILLed (by itself, so the instant is deterministic).
// Usage: sink_crash_child <plugin.so> <entity> <first> <last> <revision>
//        <sleep-ms> [key=value ...]
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "sink_harness.hpp"

int main(int argc, char** argv) {
  if (argc < 7) {
    std::fprintf(stderr, "usage: %s plugin entity first last revision sleep-ms [k=v...]\n",
                 argv[0]);
    return 2;
  }
  try {
    spsync_test::Plugin plugin(argv[1]);
    std::map<std::string, std::string> config;
    for (int i = 7; i < argc; ++i) {
      std::string kv = argv[i];
      size_t eq = kv.find('=');
      config[kv.substr(0, eq)] = kv.substr(eq + 1);
    }
    spsync_test::Sink sink(plugin);
    auto check = [](const spsync_test::Status& s, const char* what) {
      if (!s.ok()) {
        std::fprintf(stderr, "%s: %s %s\n", what, spsync_test::StatusName(s.code),
                     s.message.c_str());
        std::exit(3);
      }
    };
    check(sink.Open(config), "open");
    std::string state;
    check(sink.LoadState(argv[2], &state), "load_state");
    spsync_test::SchemaDef schema(argv[2]);
    check(sink.Begin(schema), "begin");
    check(sink.UpsertRange(std::atoll(argv[3]), std::atoll(argv[4]), std::atoi(argv[5])), "upsert");
    usleep(static_cast<useconds_t>(std::atoi(argv[6])) * 1000);
    std::printf("upserted\n");
    std::fflush(stdout);
    kill(getpid(), SIGKILL);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 4;
  }
  return 5;
}
