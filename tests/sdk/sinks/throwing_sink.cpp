// A C++ sink (sink.hpp) that throws from every callback, each with a
// different exception type, so tests can see each what() arrive as a FATAL
// (or RETRYABLE) status and the host survive.
#include <spsync/sink.hpp>

#include <new>
#include <stdexcept>

namespace {

class ThrowingSink : public spsync::sdk::Sink {
 public:
  explicit ThrowingSink(const spsync::sdk::Config& config) {
    if (config.GetBool("throw_in_open", false))
      throw std::runtime_error("throwing sink: open exploded");
  }
  std::string LoadState(std::string_view) override {
    throw std::runtime_error("throwing sink: load_state exploded");
  }
  void Begin(const spsync::sdk::Schema&) override {
    throw std::logic_error("throwing sink: begin exploded");
  }
  void Upsert(spsync::sdk::Items, spsync::sdk::Call&) override {
    throw spsync::sdk::Retryable("throwing sink: upsert is busy");
  }
  void Delete(spsync::sdk::Ids, spsync::sdk::Call&) override {
    throw std::out_of_range("throwing sink: delete exploded");
  }
  void DeleteRanges(spsync::sdk::Ranges, spsync::sdk::Call&) override { throw 42; }
  void Persist(std::string_view) override {
    throw spsync::sdk::Fatal("throwing sink: persist exploded");
  }
  void Snapshot(spsync::sdk::Call&) override { throw std::bad_alloc(); }
  void Check(spsync::sdk::Call&) override {
    throw std::runtime_error("throwing sink: check exploded");
  }

  static const std::vector<spsync_option>& Options() {
    static const std::vector<spsync_option> options = {spsync::sdk::Option(
        "throw_in_open", SPSYNC_OPTION_BOOLEAN, false, "false", "throw from the constructor")};
    return options;
  }
};

}  // namespace

SPSYNC_SINK_PLUGIN(ThrowingSink, "throwing", "0.0.1", "throws from every callback",
                   SPSYNC_CAP_DELETE_RANGES | SPSYNC_CAP_SNAPSHOT)
