// Config errors point at the line: every JSON syntax mistake operators make
// (trailing commas, comments, unquoted keys, single quotes, ...) with its
// line, column and a message saying what to write instead, and the semantic
// errors (unknown key, bad value, missing key) at the line of their key.
#include "config_error_of.hpp"
#include "spsync/engine/config.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

using spsync::engine::Config;
using spsync::engine::ConfigError;
using spsync::engine::ParseConfig;
using spsync_config_test::ErrorOf;

namespace {

std::string FirstLine(const std::string& s) {
  return s.substr(0, s.find('\n'));
}

struct Case {
  std::string name, text;
  int line, column;
  std::string expect;  // part of the message
};

void ExpectAt(const Case& c) {
  std::string err = ErrorOf(c.text);
  std::string where = "test.json:" + std::to_string(c.line) + ":" + std::to_string(c.column) + ": ";
  EXPECT_EQ(err.rfind(where, 0), 0u) << c.name << ": expected " << where << "\ngot: " << err;
  EXPECT_NE(FirstLine(err).find(c.expect), std::string::npos)
      << c.name << ": expected \"" << c.expect << "\"\ngot: " << err;
}

// A valid config to splice mistakes into.
const std::string kSite = R"("site": {"url": "https://a.b"})";
const std::string kSinks = R"("sinks": {"db": {"plugin": "sqlite", "path": "x.db"}})";
const std::string kEntities = R"("entities": [{"list": "Orders", "sinks": ["db"]}])";

}  // namespace

TEST(ConfigSyntax, EachMistakeHasItsLineColumnAndAHint) {
  std::vector<Case> cases = {
      {"trailing comma in an object", "{\n  \"a\": 1,\n}", 2, 9, "trailing comma before `}`"},
      {"trailing comma in an array", R"({"a": [1, 2,]})", 1, 12, "trailing comma before `]`"},
      {"the issue's {,}", "{\n  \"sinks\": {,}\n}", 2, 13, "trailing comma in an empty object"},
      {"[,]", R"({"a": [,]})", 1, 8, "trailing comma in an empty array"},
      {"two commas", R"({"a": [1,,2]})", 1, 10, "found a second `,`"},
      {"// comment", "{\n  // the site\n  \"a\": 1}", 2, 3, "JSON has no comments"},
      {"/* comment */", R"({"a": /* one */ 1})", 1, 7, "JSON has no comments: remove this `/* */`"},
      {"# comment", "# config\n{}", 1, 1, "JSON has no comments"},
      {"unquoted key", "{\n  site: {}}", 2, 3, "the key `site` must be in double quotes: \"site\""},
      {"single-quoted value", R"({"a": 'b'})", 1, 7, "not single quotes"},
      {"single-quoted key", R"({'a': 1})", 1, 2, "keys take double quotes"},
      {"missing comma between members", "{\"a\": 1\n \"b\": 2}", 1, 8,
       "missing comma after the value of \"a\""},
      {"missing comma between elements", R"({"a": [1 2]})", 1, 9,
       "missing comma after this element"},
      {"missing colon", R"({"a" 1})", 1, 6, "expected `:` after the key \"a\""},
      {"missing value", R"({"a": })", 1, 7, "expected a value for the key \"a\""},
      {"unterminated string at the end of the line", "{\"a\": \"abc\n}", 1, 7,
       "unterminated string"},
      {"unterminated string at the end of the file", R"({"a": "abc)", 1, 7, "unterminated string"},
      {"bad escape (a Windows path)", R"({"a": "C:\data"})", 1, 10, "bad escape `\\d`"},
      {"short \\u escape", R"({"a": "\u12"})", 1, 8, "four hex digits"},
      {"lone surrogate", R"({"a": "\uD800"})", 1, 8, "must be followed by a low one"},
      {"NUL escape", R"({"a": "\u0000"})", 1, 8, "NUL"},
      {"control character", "{\"a\": \"x\ty\"}", 1, 9, "control character U+0009 in a string"},
      {"duplicate key", "{\"a\": 1,\n \"a\": 2}", 2, 2,
       "duplicate key \"a\": it is at line 1 and again at line 2"},
      {"leading zero", R"({"a": 01})", 1, 7, "cannot start with 0"},
      {"no digit before the point", R"({"a": .5})", 1, 7, "write 0.5"},
      {"no digit after the point", R"({"a": 1.})", 1, 9, "a digit must follow the `.`"},
      {"empty exponent", R"({"a": 1e})", 1, 9, "exponent"},
      {"plus sign", R"({"a": +1})", 1, 7, "no `+` sign"},
      {"NaN", R"({"a": NaN})", 1, 7, "NaN and Infinity are not JSON numbers"},
      {"-Infinity", R"({"a": -Infinity})", 1, 7, "NaN and Infinity are not JSON numbers"},
      {"hex", R"({"a": 0x1F})", 1, 7, "hexadecimal"},
      {"an unquoted duration", R"({"a": 10m})", 1, 7, "`10m` is not a JSON number"},
      {"an unquoted word", R"({"a": hello})", 1, 7, "text takes double quotes (\"hello\")"},
      {"Python's True", R"({"a": True})", 1, 7, "write `true`"},
      {"trailing garbage", "{}\n}", 2, 1, "after the end of the JSON document"},
      {"two documents", "{}\n{}", 2, 1, "after the end of the JSON document (it ended at line 1)"},
      {"empty file", "", 1, 1, "the file is empty"},
      {"only blank lines", "\n\n  \n", 1, 1, "the file is empty"},
      {"unclosed object", "{\n  \"a\": 1\n", 1, 1, "this `{` is never closed"},
      {"unclosed array", "{\"a\": [1,\n 2\n", 1, 7, "this `[` is never closed"},
      {"] closes an object", R"({"a": 1])", 1, 8, "expected `,` or `}` to close the object"},
      {"} closes an array", R"({"a": [1})", 1, 9, "expected `,` or `]` to close the array"},
      {"invalid UTF-8 in a string", "{\"a\": \"\xC3(\"}", 1, 8, "invalid UTF-8 (byte 0xC3"},
      {"overlong UTF-8", "{\"a\": \"\xC0\xAF\"}", 1, 8, "invalid UTF-8"},
      {"UTF-8 surrogate", "{\"a\": \"\xED\xA0\x80\"}", 1, 8, "invalid UTF-8"},
      {"invalid UTF-8 outside strings", "{\"a\": 1}\xFF", 1, 9, "invalid UTF-8"},
      {"a BOM takes no column", "\xEF\xBB\xBF{,}", 1, 2, "trailing comma in an empty object"},
      {"columns count characters, not bytes", "{\"ключ\": \"значение\", \"x\": 01}", 1, 27,
       "cannot start with 0"},
      {"CRLF line ends", "{\r\n  \"a\": 1,\r\n}", 2, 9, "trailing comma before `}`"},
  };
  for (const auto& c : cases) ExpectAt(c);
}

TEST(ConfigSyntax, AByteOrderMarkIsAccepted) {
  Config c = ParseConfig("\xEF\xBB\xBF{" + kSite + "," + kSinks + "," + kEntities + "}", "t.json");
  EXPECT_EQ(c.entities.at(0).entity.list, "Orders");
}

TEST(ConfigSyntax, EscapesAndUnicodeDecode) {
  Config c = ParseConfig(
      "{" + kSite + "," + kSinks +
          R"(, "entities": [{"list": "Caf\u00e9 \ud83d\ude00 \"q\" \\ \/ ü", "sinks": ["db"]}]})",
      "t.json");
  EXPECT_EQ(c.entities.at(0).entity.list, "Café \xF0\x9F\x98\x80 \"q\" \\ / ü");
}

TEST(ConfigSyntax, TheOffendingLineIsShownWithACaret) {
  std::string err = ErrorOf("{\n  \"sinks\": {\"db\": {\"plugin\": \"sqlite\"},},\n}");
  EXPECT_EQ(err,
            "test.json:2:39: trailing comma before `}`: JSON allows none; remove it\n"
            "    \"sinks\": {\"db\": {\"plugin\": \"sqlite\"},},\n"
            "                                        ^");
}

TEST(ConfigSyntax, TheCaretLinesUpUnderTabsAndWideText) {
  // A tab is copied into the caret line (terminals expand both alike); a
  // multi-byte character takes one column.
  std::string err = ErrorOf("{\n\t\"é\": 01}");
  EXPECT_EQ(err.substr(err.find('\n')), "\n  \t\"é\": 01}\n  \t     ^") << err;
}

TEST(ConfigSyntax, AVeryLongLineIsCutAroundTheColumn) {
  // A minified config: one long line; the error is far to the right.
  std::string text =
      R"({"site": {"url": "https://a.b"}, "pad": ")" + std::string(5000, 'x') + R"(", "bad": 01})";
  std::string err = ErrorOf(text);
  auto lines = std::vector<std::string>();
  for (size_t at = 0, nl; at < err.size(); at = nl + 1) {
    nl = err.find('\n', at);
    if (nl == std::string::npos) nl = err.size();
    lines.push_back(err.substr(at, nl - at));
  }
  ASSERT_EQ(lines.size(), 3u) << err;
  EXPECT_NE(lines[0].find(":1:5052: "), std::string::npos) << lines[0];
  EXPECT_LT(lines[1].size(), 200u);
  EXPECT_EQ(lines[1].rfind("  ...", 0), 0u) << lines[1];
  // The caret is under the "0" of 01.
  size_t caret = lines[2].find('^');
  ASSERT_NE(caret, std::string::npos);
  EXPECT_EQ(lines[1].substr(caret, 2), "01") << lines[1] << "\n" << lines[2];
}

TEST(ConfigSyntax, NestingIsBounded) {
  std::string deep = std::string(1000, '[') + std::string(1000, ']');
  std::string err = ErrorOf(R"({"a": )" + deep + "}");
  EXPECT_NE(err.find("nested deeper than 64 levels"), std::string::npos) << FirstLine(err);
  std::string ok = std::string(60, '[') + std::string(60, ']');
  EXPECT_NE(ErrorOf(R"({"a": )" + ok + "}").find("`a`: unknown key"), std::string::npos);
}

TEST(ConfigSyntax, TheNumberOfValuesIsBounded) {
  // 600,000 zeros fit in 4 MiB; a reader holding them all would not be small.
  std::string many = "{\"a\": [0";
  for (int i = 0; i < 600000; ++i) many += ",0";
  many += "]}";
  EXPECT_NE(FirstLine(ErrorOf(many)).find("more than 500000 values"), std::string::npos);
}

TEST(ConfigSyntax, TheSizeIsBounded) {
  std::string big = "{\"a\": \"" + std::string(5 * 1024 * 1024, 'x') + "\"}";
  EXPECT_EQ(ErrorOf(big), "test.json: the config file is larger than 4 MiB");
}

TEST(ConfigSemantics, ErrorsPointAtTheirKeyOrValue) {
  std::vector<Case> cases = {
      {"unknown key: at the key",
       "{" + kSite + ",\n  " + kSinks + ",\n  " + kEntities + ",\n  \"colour\": 1}", 4, 3,
       "`colour`: unknown key"},
      {"out of range: at the value",
       "{" + kSite + "," + kSinks +
           ",\n \"entities\": [\n  {\"list\": \"L\", \"sinks\": [\"db\"], \"pageSize\": 6000}]}",
       3, 46, "`entities[0].pageSize`: must be between 1 and 5000"},
      {"wrong type: at the value",
       "{" + kSite + "," + kSinks + ",\n \"entities\": [{\"list\": \"L\", \"sinks\": \"db\"}]}", 2,
       38, "`entities[0].sinks`: must be an array of strings, not a string"},
      {"missing key: at the object that should hold it",
       "{\n  \"site\": {\"auth\": {\"type\": \"none\"}},\n" + kSinks + "," + kEntities + "}", 2, 11,
       "`site.url`: is required"},
      {"missing section: at the top object", "{" + kSite + ",\n" + kSinks + "}", 1, 1,
       "`entities`: is required"},
      {"unknown sink name: at the element",
       "{" + kSite + "," + kSinks +
           ",\n \"entities\": [{\"list\": \"L\", \"sinks\": [\"db\", \"nope\"]}]}",
       2, 45, "`entities[0].sinks[1]`: names sink \"nope\", which `sinks` does not define"},
      {"unset variable: at the value",
       "{" + kSite + ",\n \"sinks\": {\"db\": {\"plugin\": \"${SPSYNC_T_UNSET_X}\"}}," + kEntities +
           "}",
       2, 29, "`sinks.db.plugin`: environment variable SPSYNC_T_UNSET_X is not set"},
      {"bad URL", "{\"site\": {\n  \"url\": \"ftp://a.b\"}}", 2, 10,
       "`site.url`: must be an absolute http(s) URL"},
      {"top level not an object", "\n  [1]", 2, 3, "the top level must be a JSON object"},
  };
  for (const auto& c : cases) ExpectAt(c);
}

TEST(ConfigSemantics, EntityNamesThatDifferOnlyInCaseAreRefused) {
  std::string text = "{" + kSite + "," + kSinks +
                     ",\n \"entities\": [\n  {\"name\": \"Orders\", \"list\": \"A\", \"sinks\": "
                     "[\"db\"]},\n  {\"name\": \"orders\", \"list\": \"B\", \"sinks\": [\"db\"]}]}";
  std::string err = ErrorOf(text);
  EXPECT_EQ(err.rfind("test.json:4:12: `entities[1].name`: \"orders\" and \"Orders\" (entities[0], "
                      "line 3) differ only in case",
                      0),
            0u)
      << err;
  EXPECT_NE(err.find("SQLite table names ignore case"), std::string::npos) << err;
  // The name defaults to the list: the error points at the list.
  std::string lists = "{" + kSite + "," + kSinks +
                      ",\n \"entities\": [{\"list\": \"Orders\", \"sinks\": [\"db\"]},\n"
                      "  {\"list\": \"ORDERS\", \"sinks\": [\"db\"]}]}";
  err = ErrorOf(lists);
  EXPECT_EQ(err.rfind("test.json:3:12: `entities[1].name`: \"ORDERS\" and \"Orders\" (entities[0], "
                      "line 2)",
                      0),
            0u)
      << err;
  EXPECT_NE(FirstLine(err).find("give one of them a `name`"), std::string::npos) << err;
  // Exact duplicates name both places too.
  std::string twice = "{" + kSite + "," + kSinks +
                      ",\n \"entities\": [{\"list\": \"L\", \"sinks\": [\"db\"]},\n"
                      "  {\"name\": \"L\", \"list\": \"M\", \"sinks\": [\"db\"]}]}";
  EXPECT_EQ(
      FirstLine(ErrorOf(twice)),
      "test.json:3:12: `entities[1].name`: \"L\" is used twice (also by entities[0], line 2)");
  // Names that differ in more than case are fine.
  std::string fine = "{" + kSite + "," + kSinks +
                     R"(, "entities": [{"list": "Orders", "sinks": ["db"]},
                      {"list": "Orders2", "sinks": ["db"]}]})";
  EXPECT_EQ(ParseConfig(fine, "t.json").entities.size(), 2u);
}

TEST(ConfigSemantics, AZeroTimeoutIsRefusedNotTakenAsNoLimit) {
  for (std::string zero : {"0", "\"0s\"", "\"0m\""}) {
    std::string err = ErrorOf("{" + kSite + "," + kSinks + "," + kEntities +
                              ", \"run\": {\"timeout\": " + zero + "}}");
    EXPECT_NE(err.find("`run.timeout`: "), std::string::npos) << zero << ": " << err;
    EXPECT_NE(err.find("would mean no time limit: for no limit leave `run.timeout` out"),
              std::string::npos)
        << err;
  }
  Config c = ParseConfig(
      "{" + kSite + "," + kSinks + "," + kEntities + ", \"run\": {\"timeout\": 90}}", "t.json");
  EXPECT_EQ(c.run.timeout.count(), 90);
  c = ParseConfig("{" + kSite + "," + kSinks + "," + kEntities + "}", "t.json");
  EXPECT_EQ(c.run.timeout.count(), 0) << "no key: no limit";
}

TEST(ConfigSemantics, LaterChecksPointAtTheKeyByPath) {
  Config c = ParseConfig("{" + kSite +
                             ",\n \"sinks\": {\"db\": {\"plugin\": \"sqlite\",\n   "
                             "\"kafka.linger.ms\": 5, \"path\": \"x.db\"}},\n" +
                             kEntities + "}",
                         "test.json");
  EXPECT_EQ(FirstLine(c.ErrorAt("sinks.db.path", "cannot be opened").what()),
            "test.json:3:34: `sinks.db.path`: cannot be opened");
  // A key whose name holds dots is found whole.
  EXPECT_EQ(FirstLine(c.ErrorAt("sinks.db.kafka.linger.ms", "x").what()),
            "test.json:3:23: `sinks.db.kafka.linger.ms`: x");
  EXPECT_EQ(FirstLine(c.ErrorAt("entities[0].sinks[0]", "x").what()),
            "test.json:4:43: `entities[0].sinks[0]`: x");
  // A key the file does not have (a default) points at the nearest one it has.
  EXPECT_EQ(FirstLine(c.ErrorAt("site.auth.tokenFile", "x").what()),
            "test.json:1:10: `site.auth.tokenFile`: x");
  EXPECT_EQ(FirstLine(c.ErrorAt("run.workDir", "x").what()), "test.json:1:1: `run.workDir`: x");
}
