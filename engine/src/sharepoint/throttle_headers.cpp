#include "spsync/engine/sharepoint/throttle_headers.hpp"

#include <ctime>
#include <string>

namespace spsync::engine {

namespace {

std::string_view Trim(std::string_view v) {
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
  while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
  return v;
}

// Reads exactly `n` digits at `p`.
bool Digits(std::string_view s, size_t& p, size_t n, int& out) {
  if (p + n > s.size()) return false;
  out = 0;
  for (size_t i = 0; i < n; ++i) {
    char c = s[p + i];
    if (c < '0' || c > '9') return false;
    out = out * 10 + (c - '0');
  }
  p += n;
  return true;
}

bool Lit(std::string_view s, size_t& p, std::string_view lit) {
  if (s.substr(p, lit.size()) != lit) return false;
  p += lit.size();
  return true;
}

int Month(std::string_view s, size_t& p) {
  static const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                  "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  for (int m = 0; m < 12; ++m)
    if (Lit(s, p, kMonths[m])) return m + 1;
  return 0;
}

bool Time(std::string_view s, size_t& p, int& h, int& mi, int& se) {
  return Digits(s, p, 2, h) && Lit(s, p, ":") && Digits(s, p, 2, mi) && Lit(s, p, ":") &&
         Digits(s, p, 2, se) && h < 24 && mi < 60 && se < 61;
}

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
int64_t DaysFromCivil(int64_t y, int m, int d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

// An HTTP-date in any of its three forms (RFC 9110 5.6.7), strictly:
//   IMF-fixdate  Sun, 06 Nov 1994 08:49:37 GMT
//   RFC 850      Sunday, 06-Nov-94 08:49:37 GMT
//   asctime      Sun Nov  6 08:49:37 1994
std::optional<std::chrono::system_clock::time_point> ParseHttpDate(std::string_view s) {
  int year = 0, month = 0, day = 0, h = 0, mi = 0, se = 0;
  size_t comma = s.find(',');
  size_t p = 0;
  if (comma != std::string_view::npos) {
    p = comma + 1;
    if (!Lit(s, p, " ")) return std::nullopt;
    if (comma == 3) {  // IMF-fixdate
      if (!Digits(s, p, 2, day) || !Lit(s, p, " ") || !(month = Month(s, p)) || !Lit(s, p, " ") ||
          !Digits(s, p, 4, year) || !Lit(s, p, " ") || !Time(s, p, h, mi, se) ||
          !Lit(s, p, " GMT") || p != s.size())
        return std::nullopt;
    } else {  // RFC 850, two-digit year
      if (!Digits(s, p, 2, day) || !Lit(s, p, "-") || !(month = Month(s, p)) || !Lit(s, p, "-") ||
          !Digits(s, p, 2, year) || !Lit(s, p, " ") || !Time(s, p, h, mi, se) ||
          !Lit(s, p, " GMT") || p != s.size())
        return std::nullopt;
      year += year < 70 ? 2000 : 1900;
    }
  } else {  // asctime
    p = 3;
    if (s.size() < 24 || !Lit(s, p, " ") || !(month = Month(s, p)) || !Lit(s, p, " "))
      return std::nullopt;
    if (s[p] == ' ') {
      ++p;
      if (!Digits(s, p, 1, day)) return std::nullopt;
    } else if (!Digits(s, p, 2, day)) {
      return std::nullopt;
    }
    if (!Lit(s, p, " ") || !Time(s, p, h, mi, se) || !Lit(s, p, " ") || !Digits(s, p, 4, year) ||
        p != s.size())
      return std::nullopt;
  }
  if (day < 1 || day > 31) return std::nullopt;
  int64_t secs = DaysFromCivil(year, month, day) * 86400 + h * 3600 + mi * 60 + se;
  return std::chrono::system_clock::from_time_t(static_cast<std::time_t>(secs));
}

}  // namespace

std::optional<int64_t> ParseBoundedInt(std::string_view value, int64_t max) {
  value = Trim(value);
  if (value.empty()) return std::nullopt;
  int64_t n = 0;
  for (char c : value) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + (c - '0');
    if (n > max) return std::nullopt;  // also stops before any overflow
  }
  return n;
}

std::optional<std::chrono::seconds> ParseRetryAfter(std::string_view value,
                                                    std::chrono::system_clock::time_point now) {
  value = Trim(value);
  if (value.empty()) return std::nullopt;
  if (value.front() >= '0' && value.front() <= '9') {
    auto n = ParseBoundedInt(value, kMaxBelievedWait.count());
    if (!n) return std::nullopt;
    return std::chrono::seconds(*n);
  }
  auto target = ParseHttpDate(value);
  if (!target) return std::nullopt;
  if (*target <= now) return std::chrono::seconds(0);
  auto wait = std::chrono::duration_cast<std::chrono::seconds>(*target - now);
  if (*target - now > wait) wait += std::chrono::seconds(1);  // round up
  if (wait > kMaxBelievedWait) return std::nullopt;
  return wait;
}

}  // namespace spsync::engine
