#include <spsync/plugins/plugin_finder.hpp>

#include <spsync/plugins/plugin_error.hpp>

#include <boost/dll/runtime_symbol_info.hpp>

#include <algorithm>
#include <cstdlib>
#include <set>
#include <sstream>

namespace spsync::plugins {

namespace fs = std::filesystem;

namespace {

constexpr std::string_view kPrefix = "libspsync-sink-";
constexpr std::string_view kSuffix = ".so";

bool IsPluginFileName(const std::string& name) {
  return name.size() > kPrefix.size() + kSuffix.size() && name.rfind(kPrefix, 0) == 0 &&
         name.compare(name.size() - kSuffix.size(), kSuffix.size(), kSuffix) == 0;
}

fs::path RunningExecutable() {
  boost::dll::fs::error_code ec;
  fs::path exe = boost::dll::program_location(ec);
  return ec ? fs::path() : exe;
}

std::string EnvPluginPath() {
  const char* value = std::getenv("SPSYNC_PLUGIN_PATH");
  return value == nullptr ? std::string() : std::string(value);
}

}  // namespace

std::string PluginFileName(std::string_view name) {
  return std::string(kPrefix) + std::string(name) + std::string(kSuffix);
}

PluginFinder::PluginFinder(std::vector<fs::path> extra_dirs)
    : PluginFinder(std::move(extra_dirs), EnvPluginPath(), RunningExecutable()) {}

PluginFinder::PluginFinder(std::vector<fs::path> extra_dirs, std::string_view env_path,
                           const fs::path& executable) {
  std::vector<fs::path> dirs = std::move(extra_dirs);
  size_t start = 0;
  while (start <= env_path.size()) {
    size_t end = env_path.find(':', start);
    if (end == std::string_view::npos) end = env_path.size();
    // Empty entries ("a::b", a trailing ':') mean nothing here, unlike PATH's ".".
    if (end > start) dirs.emplace_back(env_path.substr(start, end - start));
    start = end + 1;
  }
  if (!executable.empty()) {
    dirs.push_back(executable.parent_path() / ".." / SPSYNC_PLUGIN_RELATIVE_DIR);
  }
  dirs.emplace_back(SPSYNC_INSTALLED_PLUGIN_DIR);

  // The build tree's bin/../lib/... and the install dir may be the same folder.
  std::set<fs::path> seen;
  for (auto& dir : dirs) {
    fs::path normal = fs::absolute(dir).lexically_normal();
    // "/a/" and "/a" are one directory; keep the form without the separator.
    if (!normal.has_filename() && normal.has_parent_path() && normal != normal.root_path()) {
      normal = normal.parent_path();
    }
    std::error_code ec;
    fs::path key = fs::weakly_canonical(normal, ec);
    if (ec) key = normal;
    if (seen.insert(key).second) search_path_.push_back(normal);
  }
}

fs::path PluginFinder::Find(std::string_view name_or_path) const {
  if (name_or_path.empty()) throw PluginError({}, "empty sink plugin name");
  if (name_or_path.find('/') != std::string_view::npos) {
    fs::path file(name_or_path);
    std::error_code ec;
    if (!fs::exists(file, ec)) {
      throw PluginError(file, "sink plugin " + std::string(name_or_path) + " does not exist");
    }
    return fs::absolute(file).lexically_normal();
  }
  const std::string file_name = PluginFileName(name_or_path);
  std::string searched;
  for (const auto& dir : search_path_) {
    std::error_code ec;
    fs::path candidate = dir / file_name;
    if (fs::exists(candidate, ec)) return candidate;
    searched += "\n  " + dir.string();
  }
  throw PluginError({}, "sink plugin '" + std::string(name_or_path) + "' not found: no " +
                            file_name + " in any of:" + searched +
                            "\n(add a directory with --plugin-dir or SPSYNC_PLUGIN_PATH)");
}

std::shared_ptr<LoadedPlugin> PluginFinder::Load(std::string_view name_or_path) const {
  return LoadedPlugin::Load(Find(name_or_path));
}

std::vector<DiscoveredPlugin> PluginFinder::Discover() const {
  std::vector<DiscoveredPlugin> found;
  std::set<std::string> names_seen;
  for (const auto& dir : search_path_) {
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) continue;
    std::vector<fs::path> files;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
      if (IsPluginFileName(it->path().filename().string())) files.push_back(it->path());
    }
    std::sort(files.begin(), files.end());
    for (const auto& file : files) {
      DiscoveredPlugin entry;
      entry.file = file;
      entry.shadowed = !names_seen.insert(file.filename().string()).second;
      try {
        entry.info = LoadedPlugin::Load(file)->info();
      } catch (const std::exception& e) {
        entry.error = e.what();
      }
      found.push_back(std::move(entry));
    }
  }
  return found;
}

std::string FormatPluginTable(const std::vector<DiscoveredPlugin>& plugins) {
  if (plugins.empty()) return "no sink plugins found\n";
  struct Row {
    std::string cells[5];
    std::string note;
  };
  std::vector<Row> rows;
  rows.push_back({{"NAME", "VERSION", "ABI", "CAPABILITIES", "FILE"}, ""});
  for (const auto& p : plugins) {
    Row row;
    if (p.info) {
      std::string caps;
      for (const auto& c : CapabilityNames(p.info->capabilities))
        caps += (caps.empty() ? "" : ",") + c;
      row.cells[0] = p.info->name;
      row.cells[1] = p.info->version;
      row.cells[2] = FormatAbiVersion(p.info->abi_version);
      row.cells[3] = caps.empty() ? "-" : caps;
    } else {
      row.cells[0] = "(error)";
      for (int i = 1; i < 4; ++i) row.cells[i] = std::string(1, '-');
      row.note = p.error;
    }
    row.cells[4] = p.file.string();
    if (p.shadowed) row.cells[4] += " (shadowed by an earlier directory)";
    rows.push_back(std::move(row));
  }
  size_t width[4] = {};
  for (const auto& r : rows)
    for (int i = 0; i < 4; ++i) width[i] = std::max(width[i], r.cells[i].size());
  std::ostringstream out;
  for (const auto& r : rows) {
    for (int i = 0; i < 4; ++i)
      out << r.cells[i] << std::string(width[i] - r.cells[i].size() + 2, ' ');
    out << r.cells[4] << "\n";
    if (!r.note.empty()) out << "  error: " << r.note << "\n";
  }
  return out.str();
}

}  // namespace spsync::plugins
