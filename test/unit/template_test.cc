// Go's text/template over JSON, docker's --format handling and text/tabwriter
// alignment. Expected texts are what Go and the docker CLI print for the same
// template and data.
#include <catch2/catch.hpp>

#include <string>

#include "template/go_template.h"

using namespace skiff;

namespace {

// Output of `text` on `data`, or "parse error: ..." / "exec error: ...".
std::string run(std::string_view text, const Json& data = Json::object()) {
  auto parsed = Template::parse(text);
  if (!parsed) return "parse error: " + parsed.error().message();
  auto out = parsed->execute(data);
  if (!out) return "exec error: " + out.error().message();
  return *out;
}

std::string parse_error(std::string_view text) {
  auto parsed = Template::parse(text);
  return parsed ? "parsed" : parsed.error().message();
}

std::string exec_error(std::string_view text, const Json& data = Json::object()) {
  auto parsed = Template::parse(text);
  if (!parsed) return "parse error: " + parsed.error().message();
  auto out = parsed->execute(data);
  return out ? "executed: " + *out : out.error().message();
}

const Json kContainer = Json::parse(R"({
  "Name": "web",
  "State": {"Status": "running", "Pid": 42, "Health": null},
  "Config": {"Cmd": ["sh", "-c", "a<b && c>d"], "Labels": {"com.example.vendor": "acme", "tier": "front"}},
  "Ports": [80, 443],
  "Empty": [],
  "Ratio": 1.5
})");

}  // namespace

// ---- Fields and values ----

TEST_CASE("template prints a top-level field", "[template]") { CHECK(run("name={{.Name}}", kContainer) == "name=web"); }

TEST_CASE("template follows nested fields", "[template]") {
  CHECK(run("{{.State.Status}} {{.State.Pid}}", kContainer) == "running 42");
}

TEST_CASE("template dot is the whole data", "[template]") { CHECK(run("<{{.}}>", Json("plain")) == "<plain>"); }

TEST_CASE("template missing struct field is Go's error", "[template]") {
  CHECK(exec_error("{{.Foo}}", kContainer) == "template: :1:2: executing \"\" at <.Foo>: can't evaluate field Foo");
}

TEST_CASE("template missing nested field names the chain's position", "[template]") {
  // Go places a chain .A.B at its second field.
  CHECK(exec_error("{{.State.Nope}}", kContainer) ==
        "template: :1:8: executing \"\" at <.State.Nope>: can't evaluate field Nope");
}

TEST_CASE("template error column counts from the line start", "[template]") {
  CHECK(exec_error("line one\n  {{.Foo}}", kContainer) ==
        "template: :2:4: executing \"\" at <.Foo>: can't evaluate field Foo");
}

TEST_CASE("template missing map key prints no value", "[template]") {
  CHECK(run("{{.Config.Labels.missing}}", kContainer) == "<no value>");
}

TEST_CASE("template null prints as Go's nil", "[template]") { CHECK(run("{{.State.Health}}", kContainer) == "<nil>"); }

TEST_CASE("template field of null is a nil pointer error", "[template]") {
  CHECK(exec_error("{{.State.Health.Status}}", kContainer) ==
        "template: :1:8: executing \"\" at <.State.Health.Status>: nil pointer evaluating interface {}.Status");
}

TEST_CASE("template field of a string is an error", "[template]") {
  CHECK(exec_error("{{.Name.First}}", kContainer) ==
        "template: :1:7: executing \"\" at <.Name.First>: can't evaluate field First in type string");
}

TEST_CASE("template prints values as Go's %v", "[template]") {
  Json data = Json::parse(R"({"I": -7, "F": 1.5, "Big": 1e6, "Round": 100000.0, "Small": 0.00001,
                              "B": true, "A": ["a", 1, null], "M": {"b": 2, "a": [1]}})");
  CHECK(run("{{.I}} {{.F}} {{.Big}} {{.Round}} {{.Small}} {{.B}}", data) == "-7 1.5 1e+06 100000 1e-05 true");
  CHECK(run("{{.A}} {{.M}}", data) == "[a 1 <nil>] map[a:[1] b:2]");
}

TEST_CASE("template literals: numbers, chars, strings, raw strings", "[template]") {
  CHECK(run("{{1.5}} {{0x1F}} {{'a'}} {{1e6}} {{-7}} {{1_000}}") == "1.5 31 97 1e+06 -7 1000");
  CHECK(run(R"({{"a\tb\u00e9\x41"}}|{{`raw\n`}})") == "a\tb\xc3\xa9" "A|raw\\n");
}

// ---- Functions ----

TEST_CASE("template json is compact without HTML escaping", "[template]") {
  CHECK(run("{{json .Config.Cmd}}", kContainer) == R"(["sh","-c","a<b && c>d"])");
  CHECK(run("{{json .State}}", kContainer) == R"({"Status":"running","Pid":42,"Health":null})");
}

TEST_CASE("template index reads map keys and array elements", "[template]") {
  CHECK(run(R"({{index .Config.Labels "com.example.vendor"}}/{{index .Ports 1}})", kContainer) == "acme/443");
}

TEST_CASE("template index of a missing label is empty like docker's map[string]string", "[template]") {
  CHECK(run(R"([{{index .Config.Labels "nope"}}])", kContainer) == "[]");
  CHECK(run(R"([{{index .Labels "nope"}}])", Json{{"Labels", nullptr}}) == "[]");
}

TEST_CASE("template index out of range is a call error", "[template]") {
  CHECK(exec_error("{{index .Ports 5}}", kContainer) ==
        "template: :1:2: executing \"\" at <index .Ports 5>: error calling index: index out of range: 5");
}

TEST_CASE("template pipes a value into the last argument", "[template]") {
  CHECK(run(R"({{.Name | upper | printf "%s-%s" "app"}})", kContainer) == "app-WEB");
}

TEST_CASE("template parenthesised pipelines are arguments", "[template]") {
  CHECK(run(R"({{len (split "a,b,c" ",")}})") == "3");
  CHECK(run("{{(index .Config.Cmd 0)}} {{(index .Items 0).Name}}",
            Json::parse(R"({"Config":{"Cmd":["sh"]},"Items":[{"Name":"first"}]})")) == "sh first");
}

TEST_CASE("template printf verbs, widths and precisions", "[template]") {
  CHECK(run(R"({{printf "%5s|%-6s|%d|%q|%t|%.2f|%x|%v|%05d|%+d" "ab" "cd" 42 "q" true 3.14159 255 .Ports -42 5}})",
            kContainer) == R"(   ab|cd    |42|"q"|true|3.14|ff|[80 443]|-0042|+5)");
  CHECK(run(R"({{printf "%e %g %08.3f %X %o %#x %c %T" 1234.5678 0.000012 -3.14159 255 8 255 65 .Ports}})",
            kContainer) == "1.234568e+03 1.2e-05 -003.142 FF 10 0xff A []interface {}");
}

TEST_CASE("template printf reports bad verbs, missing and extra operands", "[template]") {
  CHECK(run(R"({{printf "%d %d" "a"}})") == "%!d(string=a) %!d(MISSING)");
  CHECK(run(R"({{printf "%s" 1 2}})") == "%!s(int=1)%!(EXTRA int=2)");
}

TEST_CASE("template print and println space operands as Go", "[template]") {
  CHECK(run(R"({{print 1 2 "a" "b" 3}})") == "1 2ab3");
  CHECK(run(R"({{println 1 "a"}})") == "1 a\n");
}

TEST_CASE("template upper, lower and title", "[template]") {
  CHECK(run(R"({{upper "abc"}} {{lower "ABC"}} {{title "hello wide-world foo_bar"}})") ==
        "ABC abc Hello Wide-World Foo_bar");
}

TEST_CASE("template split and join", "[template]") {
  CHECK(run(R"({{split "a,b,c" ","}})") == "[a b c]");
  CHECK(run(R"({{join (split "a,b,c" ",") "+"}})") == "a+b+c");
  CHECK(run(R"({{join .Config.Cmd " "}})", kContainer) == "sh -c a<b && c>d");
}

TEST_CASE("template truncate keeps the first n bytes", "[template]") {
  CHECK(run(R"({{truncate "abcdef" 3}}|{{truncate "ab" 3}})") == "abc|ab");
}

TEST_CASE("template pad surrounds non-empty strings with spaces", "[template]") {
  CHECK(run(R"([{{pad "ab" 2 1}}][{{pad "" 2 1}}])") == "[  ab ][]");
}

TEST_CASE("template comparisons", "[template]") {
  CHECK(run(R"({{eq .State.Status "paused" "running"}} {{ne 1 2}} {{lt 1 2}} {{le 2 2}} {{gt 1.5 0.5}} {{ge "a" "b"}})",
            kContainer) == "true true true true true false");
}

TEST_CASE("template comparing different kinds is Go's error", "[template]") {
  CHECK(exec_error(R"({{eq 1 "a"}})") ==
        "template: :1:2: executing \"\" at <eq 1 \"a\">: error calling eq: incompatible types for comparison");
}

TEST_CASE("template and/or return the deciding operand and short-circuit", "[template]") {
  CHECK(run(R"({{or .Name "default"}}|{{or "" "default"}}|{{and 1 0 .NotAField}})", kContainer) ==
        "web|default|0");
}

TEST_CASE("template not, len and slice", "[template]") {
  CHECK(run(R"({{not .Empty}} {{len .Ports}} {{len "abc"}} {{slice "abcdef" 1 3}} {{slice .Ports 1}})", kContainer) ==
        "true 2 3 bc [443]");
}

TEST_CASE("template html, js and urlquery escapers", "[template]") {
  CHECK(run(R"({{html "<a href='x'>"}}|{{js "it's <b>"}}|{{urlquery "a b&c"}})") ==
        R"(&lt;a href=&#39;x&#39;&gt;|it\'s \u003Cb\u003E|a+b%26c)");
}

TEST_CASE("template wrong argument count names the function", "[template]") {
  CHECK(exec_error("{{upper}}") ==
        "template: :1:2: executing \"\" at <upper>: wrong number of args for upper: want 1 got 0");
}

TEST_CASE("template wrong argument type names the argument", "[template]") {
  CHECK(exec_error("{{upper .State.Pid}}", kContainer) ==
        "template: :1:14: executing \"\" at <.State.Pid>: wrong type for value; expected string; got int");
}

// ---- Control structures ----

TEST_CASE("template range over an array", "[template]") {
  CHECK(run("{{range .Config.Cmd}}[{{.}}]{{end}}", kContainer) == "[sh][-c][a<b && c>d]");
}

TEST_CASE("template range over an object visits keys in sorted order", "[template]") {
  CHECK(run("{{range $k, $v := .M}}{{$k}}={{$v}};{{end}}", Json::parse(R"({"M":{"b":2,"c":3,"a":1}})")) ==
        "a=1;b=2;c=3;");
}

TEST_CASE("template range with index and element variables", "[template]") {
  CHECK(run("{{range $i, $e := .Ports}}{{$i}}:{{$e}} {{end}}", kContainer) == "0:80 1:443 ");
}

TEST_CASE("template range else runs for empty and null", "[template]") {
  CHECK(run("{{range .Empty}}x{{else}}none{{end}}|{{range .State.Health}}x{{else}}none{{end}}", kContainer) ==
        "none|none");
}

TEST_CASE("template break and continue inside range", "[template]") {
  CHECK(run("{{range .}}{{if eq . 3}}{{break}}{{end}}{{if eq . 1}}{{continue}}{{end}}{{.}}{{end}}",
            Json::parse("[0,1,2,3,4]")) == "02");
}

TEST_CASE("template $ is the data inside range", "[template]") {
  CHECK(run("{{range .Ports}}{{$.Name}}:{{.}} {{end}}", kContainer) == "web:80 web:443 ");
}

TEST_CASE("template if / else if / else chain", "[template]") {
  const char* text = "{{if eq .N 1}}one{{else if eq .N 2}}two{{else}}many{{end}}";
  CHECK(run(text, Json{{"N", 1}}) == "one");
  CHECK(run(text, Json{{"N", 2}}) == "two");
  CHECK(run(text, Json{{"N", 7}}) == "many");
}

TEST_CASE("template truthiness follows Go", "[template]") {
  const char* text = "{{if .}}T{{else}}F{{end}}";
  for (const char* falsy : {"false", "0", "0.0", "\"\"", "[]", "{}", "null"}) CHECK(run(text, Json::parse(falsy)) == "F");
  for (const char* truthy : {"true", "1", "0.5", "\"x\"", "[0]", "{\"a\":0}"}) CHECK(run(text, Json::parse(truthy)) == "T");
}

TEST_CASE("template with sets dot and has else", "[template]") {
  CHECK(run("{{with .State}}{{.Status}}{{end}}|{{with .Empty}}x{{else}}none{{end}}", kContainer) == "running|none");
}

TEST_CASE("template variables: declare, assign, scope", "[template]") {
  CHECK(run(R"({{$x := .Name}}{{$x}}{{if true}}{{$x = "b"}}{{end}}{{$x}})", kContainer) == "webb");
  CHECK(parse_error("{{if true}}{{$y := 1}}{{end}}{{$y}}") == "template: :1: undefined variable \"$y\"");
}

TEST_CASE("template define, template and block", "[template]") {
  CHECK(run(R"({{define "item"}}[{{.}}]{{end}}{{template "item" .Name}}{{block "b" .}}<{{.State.Status}}>{{end}})",
            kContainer) == "[web]<running>");
}

TEST_CASE("template errors inside a defined template name it", "[template]") {
  CHECK(exec_error(R"({{define "t"}}{{.Foo}}{{end}}{{template "t" .}})", kContainer) ==
        "template: :1:16: executing \"t\" at <.Foo>: can't evaluate field Foo");
}

TEST_CASE("template undefined template is an execution error", "[template]") {
  CHECK(exec_error(R"({{template "nope"}})") ==
        "template: :1:11: executing \"\" at <{{template \"nope\"}}>: template \"nope\" not defined");
}

TEST_CASE("template trim markers remove surrounding whitespace", "[template]") {
  CHECK(run("a  \n {{- .Name -}} \n  b", kContainer) == "awebb");
  CHECK(run("a {{.Name}} b", kContainer) == "a web b");
}

TEST_CASE("template comments print nothing", "[template]") {
  CHECK(run("a{{/* a comment */}}b {{- /* trimmed */ -}} c") == "abc");
}

// ---- Parse and execution errors ----

TEST_CASE("template unclosed action", "[template]") {
  CHECK(parse_error("{{.Name") == "template: :1: unclosed action");
  CHECK(parse_error("{{.Name\n") == "template: :2: unclosed action started at :1");
}

TEST_CASE("template stray brace in an action", "[template]") {
  CHECK(parse_error("{{.Foo}") == "template: :1: unexpected \"}\" in operand");
}

TEST_CASE("template unknown function", "[template]") {
  CHECK(parse_error("{{foo .}}") == "template: :1: function \"foo\" not defined");
}

TEST_CASE("template unbalanced blocks", "[template]") {
  CHECK(parse_error("{{if .X}}a") == "template: :1: unexpected EOF");
  CHECK(parse_error("a\n{{end}}") == "template: :2: unexpected {{end}}");
  CHECK(parse_error("{{else}}") == "template: :1: unexpected {{else}}");
  CHECK(parse_error("{{break}}") == "template: :1: {{break}} outside {{range}}");
}

TEST_CASE("template bad syntax inside actions", "[template]") {
  CHECK(parse_error("{{1a}}") == "template: :1: bad number syntax: \"1a\"");
  CHECK(parse_error(R"({{"\q"}})") == "template: :1: invalid syntax");
  CHECK(parse_error(R"({{.X | "a"}})") == "template: :1: non executable command in pipeline stage 2");
  CHECK(parse_error("{{}}") == "template: :1: missing value for command");
  CHECK(parse_error("{{/* open") == "template: :1: unclosed comment");
}

TEST_CASE("template execution errors for non-functions and nil", "[template]") {
  CHECK(exec_error(R"({{"a" 1}})") == "template: :1:2: executing \"\" at <\"a\">: can't give argument to non-function \"a\"");
  CHECK(exec_error("{{nil}}") == "template: :1:2: executing \"\" at <nil>: nil is not a command");
  CHECK(exec_error("{{range .Name}}{{end}}", kContainer) ==
        "template: :1:8: executing \"\" at <.Name>: range can't iterate over web");
}

TEST_CASE("template deep parenthesis nesting is an error, not a crash", "[template]") {
  std::string text = "{{" + std::string(10000, '(') + "1" + std::string(10000, ')') + "}}";
  CHECK(parse_error(text) == "template: :1: max expression depth exceeded");
  std::string fine = "{{" + std::string(50, '(') + "1" + std::string(50, ')') + "}}";
  CHECK(run(fine) == "1");
}

TEST_CASE("template deep block nesting is an error, not a crash", "[template]") {
  std::string text;
  for (int i = 0; i < 10000; ++i) text += "{{if 1}}";
  for (int i = 0; i < 10000; ++i) text += "{{end}}";
  CHECK(parse_error(text) == "template: :1: max expression depth exceeded");
}

TEST_CASE("template infinite recursion stops with an error", "[template]") {
  CHECK(exec_error(R"({{define "x"}}{{template "x" .}}{{end}}{{template "x" .}})") ==
        "template: :1:25: executing \"x\" at <{{template \"x\" .}}>: exceeded maximum template depth (100)");
}

TEST_CASE("template can be executed many times", "[template]") {
  auto parsed = Template::parse("{{.}};");
  REQUIRE(parsed.ok());
  Template copy = *parsed;
  CHECK(*parsed->execute(Json(1)) == "1;");
  CHECK(*copy.execute(Json("two")) == "two;");
}

// ---- Column alignment (text/tabwriter, minwidth 10, padding 3) ----

TEST_CASE("align_columns pads columns to the widest cell plus 3, at least 10", "[template]") {
  CHECK(align_columns("a\tb\tc\n"
                      "long-cell-value\tx\ty\n") ==
        "a                 b         c\n"
        "long-cell-value   x         y\n");
}

TEST_CASE("align_columns leaves the last cell of a line unpadded", "[template]") {
  CHECK(align_columns("a\tb\n"
                      "ccccccccccccccc\n") ==
        "a         b\n"
        "ccccccccccccccc\n");
}

TEST_CASE("align_columns column blocks end at a line without the column", "[template]") {
  CHECK(align_columns("x\tlong-cell-number-one\tz\n"
                      "y\n"
                      "w\tshort\tq\n") ==
        "x         long-cell-number-one   z\n"
        "y\n"
        "w         short     q\n");
}

TEST_CASE("align_columns pads empty and trailing tab-terminated cells", "[template]") {
  CHECK(align_columns("a\t\tc\nbb\tdd\t\n") ==
        "a                   c\n"
        "bb        dd        \n");
}

TEST_CASE("align_columns counts wide characters as two columns", "[template]") {
  CHECK(align_columns("\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\xe6\x96\x87\xe5\xad\x97\xe5\x88\x97\tx\n"
                      "a\ty\n") ==
        "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\xe6\x96\x87\xe5\xad\x97\xe5\x88\x97   x\n"
        "a              y\n");
}

// ---- docker's --format ----

namespace {

const char* kImagesTable = "table {{.Repository}}\\t{{.Tag}}\\t{{.ID}}\\t{{.CreatedSince}}\\t{{.Size}}";

const Json kImagesHeader = {
    {"Repository", "REPOSITORY"}, {"Tag", "TAG"}, {"ID", "IMAGE ID"}, {"CreatedSince", "CREATED"}, {"Size", "SIZE"}};

const std::vector<Json> kImages = {
    {{"Repository", "alpine"}, {"Tag", "latest"}, {"ID", "b2aa39c304c2"}, {"CreatedSince", "2 weeks ago"}, {"Size", "7.8MB"}},
    {{"Repository", "registry.example.com/team/web"}, {"Tag", "1.25"}, {"ID", "0123456789ab"},
     {"CreatedSince", "3 months ago"}, {"Size", "187MB"}},
};

}  // namespace

TEST_CASE("format_rows default table aligns like docker images", "[template]") {
  auto out = format_rows("", kImagesTable, kImagesHeader, kImages);
  REQUIRE(out.ok());
  CHECK(*out ==
        "REPOSITORY                      TAG       IMAGE ID       CREATED        SIZE\n"
        "alpine                          latest    b2aa39c304c2   2 weeks ago    7.8MB\n"
        "registry.example.com/team/web   1.25      0123456789ab   3 months ago   187MB\n");
}

TEST_CASE("format_rows \"table\" alone uses the default table", "[template]") {
  auto out = format_rows("table", kImagesTable, kImagesHeader, {});
  REQUIRE(out.ok());
  CHECK(*out == "REPOSITORY   TAG       IMAGE ID   CREATED   SIZE\n");
}

TEST_CASE("format_rows custom table with literal backslash-t", "[template]") {
  auto out = format_rows("table {{.Repository}}\\t{{.Size}}", kImagesTable, kImagesHeader, kImages);
  REQUIRE(out.ok());
  CHECK(*out ==
        "REPOSITORY                      SIZE\n"
        "alpine                          7.8MB\n"
        "registry.example.com/team/web   187MB\n");
}

TEST_CASE("format_rows header keeps titles through docker's header functions", "[template]") {
  auto out = format_rows("table {{lower .Repository}}\t{{truncate .ID 4}}", kImagesTable, kImagesHeader, {kImages[0]});
  REQUIRE(out.ok());
  CHECK(*out ==
        "REPOSITORY   IMAGE ID\n"
        "alpine       b2aa\n");
}

TEST_CASE("format_rows table without a header has only rows", "[template]") {
  auto out = format_rows("table {{.Tag}}\\t{{.Size}}", kImagesTable, nullptr, kImages);
  REQUIRE(out.ok());
  CHECK(*out ==
        "latest    7.8MB\n"
        "1.25      187MB\n");
}

TEST_CASE("format_rows plain template prints one line per row", "[template]") {
  auto out = format_rows("{{.Repository}}:{{.Tag}}\\n--", kImagesTable, kImagesHeader, kImages);
  REQUIRE(out.ok());
  CHECK(*out == "alpine:latest\n--\nregistry.example.com/team/web:1.25\n--\n");
}

TEST_CASE("format_rows json prints compact rows", "[template]") {
  auto out = format_rows("json", kImagesTable, kImagesHeader, {Json{{"ID", "abc"}, {"Size", 5}}});
  REQUIRE(out.ok());
  CHECK(*out == "{\"ID\":\"abc\",\"Size\":5}\n");
}

TEST_CASE("format_rows errors carry docker's prefix", "[template]") {
  auto bad_parse = format_rows("{{.ID", kImagesTable, kImagesHeader, kImages);
  REQUIRE_FALSE(bad_parse.ok());
  CHECK(bad_parse.error().message() == "template parsing error: template: :1: unclosed action");
  auto bad_field = format_rows("{{.Nope}}", kImagesTable, kImagesHeader, kImages);
  REQUIRE_FALSE(bad_field.ok());
  CHECK(bad_field.error().message() ==
        "template parsing error: template: :1:2: executing \"\" at <.Nope>: can't evaluate field Nope");
}

TEST_CASE("format_each runs the template per item", "[template]") {
  auto out = format_each("{{.Name}} {{.State.Status}}", {kContainer, Json{{"Name", "db"}, {"State", {{"Status", "exited"}}}}});
  REQUIRE(out.ok());
  CHECK(*out == "web running\ndb exited\n");
}

TEST_CASE("template methods of one string argument read a row's \"Name()\" object", "[template]") {
  Json row = {{"Name", "web"}, {"Label()", {{"tier", "front"}}}};
  CHECK(run("{{.Label \"tier\"}}|{{.Label \"nope\"}}", row) == "front|");
  CHECK(run("{{\"tier\" | .Label}}", row) == "front");
  CHECK(run("{{$k := \"tier\"}}{{.Label $k}}", row) == "front");
  CHECK(exec_error("{{.Label 1}}", row).find("wrong type for value; expected string; got") != std::string::npos);
  CHECK(exec_error("{{.Label \"a\" \"b\"}}", row).find("wrong number of args for Label: want 1 got 2") !=
        std::string::npos);
  // Without a method of its name, a field with arguments stays Go's error.
  CHECK(exec_error("{{.Name \"x\"}}", row).find("Name is not a method but has arguments") != std::string::npos);
  auto json = format_rows("json", "", Json(), {row});
  REQUIRE(json.ok());
  CHECK(*json == "{\"Name\":\"web\"}\n");
}
