#include "state_view.hpp"

#include "spsync/engine/sharepoint/change_page.hpp"

#include <ctime>

namespace spsync::cli {

std::string IsoTime(int64_t unix) {
  if (unix <= 0) return "never";
  std::time_t t = static_cast<std::time_t>(unix);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string TokenAge(const std::string& token) {
  engine::ChangeTokenParts p;
  if (token.empty() || !engine::ParseChangeToken(token, &p)) return "-";
  int64_t secs = static_cast<int64_t>(std::time(nullptr)) - engine::TicksToUnix(p.ticks);
  if (secs < 3600) return std::to_string(secs / 60) + "m";
  if (secs < 86400 * 2) return std::to_string(secs / 3600) + "h";
  return std::to_string(secs / 86400) + "d";
}

}  // namespace spsync::cli
