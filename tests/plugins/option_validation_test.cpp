// ValidateOptions: the messages `spsync validate` prints for a sink config.
#include <spsync/plugins/loaded_plugin.hpp>
#include <spsync/plugins/option_validation.hpp>

#include <gtest/gtest.h>

#include <filesystem>

namespace {

using spsync::plugins::LoadedPlugin;
using spsync::plugins::SinkConfig;
using spsync::plugins::ValidateOptions;

std::shared_ptr<LoadedPlugin> Memory() {
  return LoadedPlugin::Load(std::filesystem::path(SPSYNC_TEST_SINK_DIR) /
                            "libspsync-sink-memory.so");
}

TEST(OptionValidation, PluginOptionsAreCopiedFromDescribeOptions) {
  auto plugin = Memory();
  ASSERT_EQ(plugin->options().size(), 6u);
  const auto& path = plugin->options()[0];
  EXPECT_EQ(path.name, "path");
  EXPECT_EQ(path.type, SPSYNC_OPTION_PATH);
  EXPECT_TRUE(path.required);
  EXPECT_FALSE(path.default_value.has_value());
  EXPECT_EQ(path.help, "where the data would go");
  EXPECT_EQ(plugin->options()[1].default_value, "100");
}

TEST(OptionValidation, ValidConfigHasNoErrors) {
  SinkConfig config = {{"path", "/tmp/x"},      {"batch", "-20"},     {"fsync", "false"},
                       {"header.X-Trace", "1"}, {"header.Auth", "y"}, {"token", "s3cr3t"}};
  EXPECT_EQ(ValidateOptions(*Memory(), config), std::vector<std::string>{});
}

TEST(OptionValidation, UnknownKeyNamesTheKeyASuggestionAndTheValidKeys) {
  auto errors = ValidateOptions(*Memory(), {{"path", "/tmp"}, {"bacth", "5"}, {"colour", "red"}});
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_EQ(errors[0],
            "sink 'memory': unknown option 'bacth' (did you mean 'batch'?); valid options: path, "
            "batch, fsync, header.*, token, attachments");
  EXPECT_EQ(errors[1],
            "sink 'memory': unknown option 'colour'; valid options: path, batch, fsync, header.*, "
            "token, attachments");
}

TEST(OptionValidation, PrefixOptionsMatchByPrefixOnly) {
  auto errors = ValidateOptions(*Memory(), {{"path", "/tmp"}, {"header", "x"}});
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].rfind("sink 'memory': unknown option 'header' (did you mean 'header.*'?)", 0),
            0u)
      << errors[0];
}

TEST(OptionValidation, MissingOrEmptyRequiredOption) {
  auto errors = ValidateOptions(*Memory(), {{"batch", "5"}});
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0], "sink 'memory': missing required option 'path' (where the data would go)");
  errors = ValidateOptions(*Memory(), {{"path", ""}});
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0], "sink 'memory': required option 'path' is empty");
}

TEST(OptionValidation, TypeErrors) {
  auto errors =
      ValidateOptions(*Memory(), {{"path", "/tmp"}, {"batch", "12k"}, {"fsync", "maybe"}});
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_EQ(errors[0], "sink 'memory': option 'batch' must be an integer, got '12k'");
  EXPECT_EQ(errors[1], "sink 'memory': option 'fsync' must be true or false, got 'maybe'");
  EXPECT_EQ(ValidateOptions(*Memory(), {{"path", "/tmp"}, {"batch", ""}}).size(), 1u);
  EXPECT_EQ(
      ValidateOptions(*Memory(), {{"path", "/tmp"}, {"batch", "99999999999999999999"}}).size(), 1u);
}

TEST(OptionValidation, DuplicateKeysAreReported) {
  auto errors = ValidateOptions(*Memory(), {{"path", "/a"}, {"path", "/b"}, {"path", "/c"}});
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0], "sink 'memory': option 'path' is given more than once");
}

TEST(OptionValidation, OnlyTypedOptionsAreTypeChecked) {
  std::vector<spsync::plugins::OptionInfo> options(1);
  options[0].name = "port";
  options[0].type = SPSYNC_OPTION_INTEGER;
  EXPECT_EQ(ValidateOptions("x", options, {{"port", "abc"}}),
            std::vector<std::string>{"sink 'x': option 'port' must be an integer, got 'abc'"});
  options[0].type = SPSYNC_OPTION_SECRET;
  EXPECT_TRUE(ValidateOptions("x", options, {{"port", "abc"}}).empty());
}

TEST(OptionValidation, RequiredWithDefaultNeedNotBeGiven) {
  std::vector<spsync::plugins::OptionInfo> options(1);
  options[0].name = "mode";
  options[0].required = true;
  options[0].default_value = "fast";
  EXPECT_TRUE(ValidateOptions("x", options, {}).empty());
  options[0].default_value.reset();
  EXPECT_EQ(ValidateOptions("x", options, {}),
            std::vector<std::string>{"sink 'x': missing required option 'mode'"});
}

TEST(OptionValidation, NoOptionsDeclared) {
  EXPECT_EQ(ValidateOptions("x", {}, {{"a", "b"}}),
            std::vector<std::string>{"sink 'x': unknown option 'a'; valid options: (none)"});
}

}  // namespace
