// Logging: human text on stderr, or JSON lines for collectors. Secrets never
// reach a log line: the engine does not log tokens, and config values are
// not logged.
#include "commands.hpp"

#include <spsync/sink.hpp>

#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <mutex>

namespace spsync::cli {

namespace {

// JSON text of `s` without the surrounding quotes (the SDK's escaping).
std::string JsonEscape(std::string_view s) {
  std::string out;
  spsync::sdk::AppendJsonString(out, s);
  return out.substr(1, out.size() - 2);
}

// One JSON object per line on stderr: time, level, message.
class JsonLinesSink final : public spdlog::sinks::base_sink<std::mutex> {
 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    auto t = std::chrono::system_clock::to_time_t(msg.time);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char ts[32];
    std::strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
    std::string line = std::string("{\"time\":\"") + ts + "\",\"level\":\"" +
                       std::string(spdlog::level::to_string_view(msg.level).data(),
                                   spdlog::level::to_string_view(msg.level).size()) +
                       "\",\"msg\":\"" +
                       JsonEscape(std::string_view(msg.payload.data(), msg.payload.size())) + "\"";
    // Session lines start with "[entity/sink]": carry them as fields too.
    std::string_view p(msg.payload.data(), msg.payload.size());
    if (p.size() > 2 && p[0] == '[') {
      auto close = p.find(']');
      auto slash = p.find('/');
      if (close != std::string_view::npos && slash != std::string_view::npos && slash < close)
        line += ",\"entity\":\"" + JsonEscape(p.substr(1, slash - 1)) + "\",\"sink\":\"" +
                JsonEscape(p.substr(slash + 1, close - slash - 1)) + "\"";
    }
    line += "}\n";
    std::fwrite(line.data(), 1, line.size(), stderr);
  }
  void flush_() override { std::fflush(stderr); }
};

}  // namespace

void SetupLogging(const std::string& format, bool verbose) {
  std::shared_ptr<spdlog::logger> logger;
  if (format == "json") {
    logger = std::make_shared<spdlog::logger>("spsync", std::make_shared<JsonLinesSink>());
  } else if (format == "text" || format.empty()) {
    logger = spdlog::stderr_color_mt("spsync-text");
    logger->set_pattern("%Y-%m-%d %H:%M:%S %^%l%$ %v");
  } else {
    throw std::invalid_argument("--log-format must be text or json");
  }
  logger->set_level(verbose ? spdlog::level::debug : spdlog::level::info);
  spdlog::set_default_logger(logger);
}

}  // namespace spsync::cli
