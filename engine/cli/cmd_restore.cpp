// `spsync restore`: put an entity's items back into SharePoint from a sink
// (engine/include/spsync/engine/restore/restore.hpp).
#include "args.hpp"
#include "commands.hpp"
#include "estate.hpp"
#include "pair_files.hpp"
#include "runtime.hpp"
#include "spsync/engine/restore/restore.hpp"

#include <Poco/DateTimeFormat.h>
#include <Poco/DateTimeParser.h>

#include <algorithm>
#include <filesystem>
#include <iostream>

namespace spsync::cli {

namespace {

// --as-of: ISO 8601 (2026-11-30T12:00:00Z, with an offset, or a date), or
// Unix seconds.
int64_t ParseTime(const std::string& text) {
  if (!text.empty() && text.find_first_not_of("0123456789") == std::string::npos)
    return std::stoll(text);
  int tzd = 0;
  Poco::DateTime t;
  // Poco's parser skips what it does not expect: insist on a date first.
  const bool dated = text.size() >= 10 && text[4] == '-' && text[7] == '-' &&
                     std::all_of(text.begin(), text.begin() + 4, ::isdigit);
  for (const std::string& format :
       {Poco::DateTimeFormat::ISO8601_FORMAT, Poco::DateTimeFormat::ISO8601_FRAC_FORMAT,
        std::string("%Y-%m-%d %H:%M:%S"), std::string("%Y-%m-%d")})
    if (dated && Poco::DateTimeParser::tryParse(format, text, t, tzd)) {
      t.makeUTC(tzd);
      return t.timestamp().epochTime();
    }
  throw engine::ConfigError("--as-of: '" + text +
                            "' is not a time (use ISO 8601, e.g. 2026-11-30T12:00:00Z, or Unix "
                            "seconds)");
}

}  // namespace

int RestoreCmd(const Argv& argv) {
  Args args(argv,
            {"--config", "--entity", "--from", "--to-list", "--site", "--as-of", "--map",
             "--plugin-dir", "--log-format"},
            {"--missing", "--dry-run", "--verbose"});
  SetupLogging(args.Get("--log-format", "text"), args.Has("--verbose"));
  Runtime rt = MakeRuntime(engine::LoadConfig(args.Require("--config")), args.All("--plugin-dir"));
  const std::string name = args.Require("--entity");
  const std::string from = args.Require("--from");
  const bool missing = args.Has("--missing");
  const std::string to_list = args.Get("--to-list");
  if (missing == !to_list.empty())
    throw engine::ConfigError("restore: give exactly one of --to-list TITLE and --missing");
  if (missing && args.Has("--site"))
    throw engine::ConfigError(
        "restore: --missing writes into the original list; --site goes "
        "with --to-list");

  const KnownEntity* entity = nullptr;
  const auto known = KnownEntities(rt);
  for (const auto& k : known)
    if (k.name() == name) entity = &k;
  if (entity == nullptr)
    throw engine::ConfigError(rt.config.path + ": no entity named \"" + name +
                              "\" (see `entities`, and `spsync status` for discovered ones)");
  if (std::find(entity->sinks().begin(), entity->sinks().end(), from) == entity->sinks().end())
    throw engine::ConfigError("restore: entity '" + name + "' is not synced into sink '" + from +
                              "' (its sinks: " +
                              [&] {
                                std::string s;
                                for (const auto& x : entity->sinks())
                                  s += (s.empty() ? "" : ", ") + x;
                                return s;
                              }() +
                              ")");
  const std::string site = args.Get("--site", entity->site);
  if (!rt.config.sites.count(site))
    throw engine::ConfigError("restore: --site '" + site + "' is not a site of the config");

  engine::RestoreOptions options;
  options.mode =
      missing ? engine::RestoreOptions::Mode::kMissing : engine::RestoreOptions::Mode::kToList;
  options.to_list = to_list;
  if (args.Has("--as-of")) options.as_of_unix = ParseTime(args.Get("--as-of"));
  options.dry_run = args.Has("--dry-run");
  options.same_site = rt.config.sites.at(site).url == rt.config.sites.at(entity->site).url;
  options.out = &std::cout;
  options.map_path = args.Get(
      "--map", (std::filesystem::path(rt.config.run.work_dir) / "restore" / PathComponent(name) /
                (PathComponent(from) + "-" +
                 (missing ? std::string("missing") : PathComponent(to_list)) + ".map"))
                   .string());

  PairLock lock(rt.config.run.work_dir, name, from);
  if (!lock.acquired())
    throw std::runtime_error(name + "/" + from + " is being synced right now; try later");
  auto sink = OpenSink(rt, from);
  auto client = rt.Client(site);
  engine::RestoreResult r = engine::Restore(*client, *sink, name, options, engine::Deadline());

  const char* verb = options.dry_run ? "would be " : "";
  std::cout << name << " <- " << from << (options.dry_run ? " (dry run: nothing written)" : "")
            << "\n  target: list '" << r.list_title << "'" << (r.list_id.empty() ? "" : " (")
            << r.list_id << (r.list_id.empty() ? "" : ")") << "\n  backup items: " << r.read
            << (options.as_of_unix > 0 ? " as of " + args.Get("--as-of") : std::string()) << "\n  "
            << verb << "created: " << r.created << "\n";
  if (missing)
    std::cout << "  " << verb << "restored from the recycle bin: " << r.recycled
              << "\n  still in the list: " << r.present << "\n";
  if (r.resumed > 0) std::cout << "  created by the interrupted run, mapped: " << r.resumed << "\n";
  if (r.already > 0) std::cout << "  restored by an earlier run: " << r.already << "\n";
  std::cout << "  attachments uploaded: " << r.attachments
            << "\n  write requests: " << r.write_requests << "\n";
  if (!options.dry_run) std::cout << "  ID map (old -> new): " << options.map_path << "\n";
  if (!r.report.empty()) {
    std::cout << "  left out or refused (" << r.report.size() << "):\n";
    for (const auto& line : r.report) std::cout << "    " << line << "\n";
  }
  return r.failed > 0 ? kExitFailed : kExitOk;
}

}  // namespace spsync::cli
