// Suite 1: page parse. One 5000-item page fetched from the emulator once;
// the engine's ItemPageParser (page -> sink batch) against a raw simdjson DOM
// parse of the same bytes and against Poco::JSON::Parser.
#include "bench_common.hpp"
#include "suites.hpp"

#include <spsync/engine/sharepoint/item_page.hpp>

#include <Poco/JSON/Parser.h>
#include <benchmark/benchmark.h>
#include <simdjson.h>

#include <chrono>
#include <stdexcept>

namespace spsync::bench {
namespace {

constexpr int kPageItems = 5000;

struct PageFixture {
  std::string body;
  std::unique_ptr<engine::EntitySchema> schema;
  size_t items = 0;
};
const PageFixture& LoadPage();

const PageFixture* Page(benchmark::State& state) {
  try {
    return &LoadPage();
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
    return nullptr;
  }
}

const PageFixture& LoadPage() {
  static const PageFixture page = [] {
    PageFixture f;
    auto emu = StartEmulator(2 * kPageItems);
    auto client = MakeClient(emu->SiteUrl());
    const std::string id = emu->ListId(kList);
    f.schema = BuildSchema(*client, id);
    client->Get(FirstItemsUrl(*client, id, *f.schema, kPageItems), "bench page", engine::Deadline(),
                [&](engine::HttpResponse& r) { f.body = r.body; });
    engine::ItemPage probe;
    probe.body = f.body;
    engine::ItemPageParser(*f.schema).Parse(&probe, SPSYNC_CHANGE_FULL_SYNC);
    f.items = probe.size();
    if (f.items != kPageItems)
      throw std::runtime_error("the emulator's page has " + std::to_string(f.items) + " items");
    return f;
  }();
  return page;
}

double Seconds(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

void Finish(benchmark::State& state, const PageFixture& p, double seconds, const char* key) {
  const double items = static_cast<double>(state.iterations()) * static_cast<double>(p.items);
  state.SetItemsProcessed(static_cast<int64_t>(items));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) *
                          static_cast<int64_t>(p.body.size()));
  state.counters["page_bytes"] = static_cast<double>(p.body.size());
  if (seconds > 0) Summary::Get().Set(key, items / seconds);
  const std::string e = "parse.engine_ips", d = "parse.dom_ips", j = "parse.poco_ips";
  auto& s = Summary::Get();
  if (s.Has(e) && s.Has(d)) {
    const double ratio = s.Value(e) / s.Value(d);
    s.Row(
        "1a", "page parse >= 0.5x simdjson DOM",
        Fmt(ratio) + "x (" + Fmt(s.Value(e) / 1e6) + " vs " + Fmt(s.Value(d) / 1e6) + " M items/s)",
        ratio >= 0.5);
  }
  if (s.Has(e) && s.Has(j)) {
    const double ratio = s.Value(e) / s.Value(j);
    s.Row("1b", "page parse vs Poco JSON (info)",
          Fmt(ratio, 1) + "x faster (" + Fmt(s.Value(j) / 1e6, 3) + " M items/s)", ratio >= 1);
  }
}

void BM_PageParse_Engine(benchmark::State& state) {
  const PageFixture* pp = Page(state);
  if (pp == nullptr) return;
  const PageFixture& p = *pp;
  engine::ItemPageParser parser(*p.schema);
  engine::ItemPage page;
  page.body.reserve(p.body.size() + simdjson::SIMDJSON_PADDING);
  page.body = p.body;
  auto t0 = std::chrono::steady_clock::now();
  for (auto _ : state) {
    parser.Parse(&page, SPSYNC_CHANGE_FULL_SYNC);
    benchmark::DoNotOptimize(page.pointers.data());
  }
  Finish(state, p, Seconds(t0), "parse.engine_ips");
}

void BM_PageParse_SimdjsonDom(benchmark::State& state) {
  const PageFixture* pp = Page(state);
  if (pp == nullptr) return;
  const PageFixture& p = *pp;
  simdjson::dom::parser parser;
  simdjson::padded_string padded(p.body);
  auto t0 = std::chrono::steady_clock::now();
  for (auto _ : state) {
    simdjson::dom::element doc;
    if (parser.parse(padded).get(doc) != simdjson::SUCCESS) {
      state.SkipWithError("simdjson DOM parse failed");
      break;
    }
    simdjson::dom::array items;
    if (doc["value"].get_array().get(items) != simdjson::SUCCESS) {
      state.SkipWithError("no value array");
      break;
    }
    benchmark::DoNotOptimize(items.size());
  }
  Finish(state, p, Seconds(t0), "parse.dom_ips");
}

void BM_PageParse_PocoJson(benchmark::State& state) {
  const PageFixture* pp = Page(state);
  if (pp == nullptr) return;
  const PageFixture& p = *pp;
  auto t0 = std::chrono::steady_clock::now();
  for (auto _ : state) {
    Poco::JSON::Parser parser;
    Poco::Dynamic::Var v = parser.parse(p.body);
    benchmark::DoNotOptimize(v);
  }
  Finish(state, p, Seconds(t0), "parse.poco_ips");
}

}  // namespace

void RegisterParseSuite() {
  for (auto* b :
       {benchmark::RegisterBenchmark("PageParse/Engine_ItemPageParser", BM_PageParse_Engine),
        benchmark::RegisterBenchmark("PageParse/Raw_simdjson_DOM", BM_PageParse_SimdjsonDom),
        benchmark::RegisterBenchmark("PageParse/Poco_JSON_Parser", BM_PageParse_PocoJson)}) {
    b->Unit(benchmark::kMillisecond);
    if (SmokeMode()) b->Iterations(3);
  }
}

}  // namespace spsync::bench
