// The Dockerfile parser and the build-time variable expander: what docker's
// reference and BuildKit's parser and shell lexer do, case by case.
#include <catch2/catch.hpp>

#include "build/dockerfile.h"

using namespace skiff;

namespace {

Dockerfile parse(std::string_view text) {
  auto result = parse_dockerfile(text, "Dockerfile");
  if (!result.ok()) FAIL("unexpected error: " << result.error().text());
  return std::move(result).value();
}

std::string parse_error(std::string_view text) {
  auto result = parse_dockerfile(text, "Dockerfile");
  if (result.ok()) FAIL("parsed, but an error was expected for:\n" << text);
  return result.error().text();
}

// The instructions of the only stage.
std::vector<Instruction> body(std::string_view text) {
  Dockerfile file = parse(text);
  REQUIRE(file.stages.size() == 1);
  return file.stages[0].instructions;
}

Instruction only(std::string_view text) {
  std::vector<Instruction> instructions = body(text);
  REQUIRE(instructions.size() == 1);
  return instructions[0];
}

using Strings = std::vector<std::string>;

const VariableLookup kEnv = lookup_in({{"PWD", "/home"},
                                       {"SHELL", "bash"},
                                       {"KOREAN", "한국어"},
                                       {"NULL", ""},
                                       {"UNSET_ARG", std::nullopt},
                                       {"space", "abc  def"},
                                       {"leading", "  ab c"},
                                       {"path", "/usr/local/lib/libfoo.so.1"}});

std::string word(std::string_view text, char escape = '\\') {
  auto result = expand_word(text, kEnv, escape);
  if (!result.ok()) FAIL("unexpected error expanding " << text << ": " << result.error().text());
  return result->value;
}

std::string word_error(std::string_view text) {
  auto result = expand_word(text, kEnv);
  if (result.ok()) FAIL("expanded " << text << " to `" << result->value << "`, an error was expected");
  return result.error().text();
}

Strings words(std::string_view text) {
  auto result = expand_words(text, kEnv);
  if (!result.ok()) FAIL("unexpected error expanding " << text << ": " << result.error().text());
  return result->words;
}

}  // namespace

// ---------------------------------------------------------------------------
// Lines, comments, continuations.

TEST_CASE("a minimal Dockerfile: one stage, its FROM and instructions with lines and text", "[dockerfile]") {
  Dockerfile file = parse("FROM alpine:3.19\nRUN echo hi\n");
  CHECK(file.escape == '\\');
  CHECK(file.syntax.empty());
  CHECK(file.global_args.empty());
  REQUIRE(file.stages.size() == 1);
  const Stage& stage = file.stages[0];
  CHECK(stage.base == "alpine:3.19");
  CHECK(stage.name.empty());
  CHECK(stage.platform.empty());
  CHECK(stage.from.name == "FROM");
  CHECK(stage.from.line == 1);
  CHECK(stage.from.original == "FROM alpine:3.19");
  CHECK(stage.from.args == Strings{"alpine:3.19"});
  REQUIRE(stage.instructions.size() == 1);
  const Instruction& run = stage.instructions[0];
  CHECK(run.name == "RUN");
  CHECK(run.line == 2);
  CHECK(run.original == "RUN echo hi");
  CHECK(run.args == Strings{"echo hi"});
  CHECK_FALSE(run.json_form);
  CHECK(run.flags.empty());
  CHECK(run.pairs.empty());
  CHECK(run.heredocs.empty());
  CHECK(run.trigger == nullptr);
}

TEST_CASE("instruction words are case-insensitive and stored upper-case", "[dockerfile]") {
  Dockerfile file = parse("from alpine As Build\nrun echo hi\nWorkDir /app\n");
  CHECK(file.stages[0].from.name == "FROM");
  CHECK(file.stages[0].name == "build");
  CHECK(file.stages[0].from.args == Strings{"alpine", "As", "Build"});
  CHECK(file.stages[0].from.original == "from alpine As Build");
  CHECK(file.stages[0].instructions[0].name == "RUN");
  CHECK(file.stages[0].instructions[1].name == "WORKDIR");
  CHECK(file.stages[0].instructions[1].args == Strings{"/app"});
}

TEST_CASE("comments and blank lines are skipped, and line numbers still count them", "[dockerfile]") {
  Dockerfile file = parse(
      "# a comment\n"
      "\n"
      "   # an indented comment\n"
      "FROM scratch\n"
      "\t\n"
      "  COPY a /b   \n"
      "RUN echo a # not a comment\n");
  CHECK(file.stages[0].from.line == 4);
  auto& instructions = file.stages[0].instructions;
  REQUIRE(instructions.size() == 2);
  CHECK(instructions[0].line == 6);
  CHECK(instructions[0].original == "COPY a /b");
  CHECK(instructions[1].line == 7);
  CHECK(instructions[1].args == Strings{"echo a # not a comment"});
}

TEST_CASE("CRLF line ends and a UTF-8 byte order mark", "[dockerfile]") {
  Dockerfile file = parse("\xEF\xBB\xBF# escape=`\r\nFROM alpine\r\nRUN echo a `\r\n  b\r\nENV A=1\r\n");
  CHECK(file.escape == '`');
  CHECK(file.stages[0].base == "alpine");
  auto& instructions = file.stages[0].instructions;
  REQUIRE(instructions.size() == 2);
  CHECK(instructions[0].args == Strings{"echo a   b"});
  CHECK(instructions[1].line == 5);
  CHECK(instructions[1].pairs == std::vector<KeyValue>{{"A", "1"}});
}

TEST_CASE("continuation lines are joined as docker joins them", "[dockerfile]") {
  SECTION("the escape and blanks after it go, indentation of the next line stays") {
    Instruction run =
        only("FROM a\nRUN apt-get update \\\n    && apt-get install -y curl \\  \n    && true\n");
    CHECK(run.line == 2);
    CHECK(run.original == "RUN apt-get update     && apt-get install -y curl     && true");
    CHECK(run.args == Strings{"apt-get update     && apt-get install -y curl     && true"});
  }
  SECTION("comment lines and empty lines inside a continuation are dropped") {
    std::vector<Instruction> instructions = body(
        "FROM a\n"
        "RUN one \\\n"
        "# a comment inside\n"
        "\n"
        "   \n"
        "  # another \\\n"
        "  two\n"
        "USER me\n");
    REQUIRE(instructions.size() == 2);
    CHECK(instructions[0].args == Strings{"one   two"});
    CHECK(instructions[1].line == 8);
    CHECK(instructions[1].args == Strings{"me"});
  }
  SECTION("an escaped escape at the end of a line does not continue it") {
    std::vector<Instruction> instructions = body("FROM a\nRUN echo \\\\\nUSER me\n");
    REQUIRE(instructions.size() == 2);
    CHECK(instructions[0].args == Strings{"echo \\\\"});
  }
  SECTION("an escape alone on a line continues") {
    Instruction run = only("FROM a\nRUN a \\\n\\\n b\n");
    CHECK(run.args == Strings{"a  b"});
  }
  SECTION("a continuation at the end of the file ends the instruction") {
    Instruction run = only("FROM a\nRUN echo \\");
    CHECK(run.args == Strings{"echo"});
  }
  SECTION("a backslash mid-line is kept") {
    Instruction run = only("FROM a\nRUN printf 'a\\nb'\n");
    CHECK(run.args == Strings{"printf 'a\\nb'"});
  }
}

// ---------------------------------------------------------------------------
// Parser directives.

TEST_CASE("parser directives at the top: escape, syntax, check", "[dockerfile]") {
  SECTION("escape=` makes the backtick continue lines, and the backslash is plain") {
    Dockerfile file = parse("# escape=`\nFROM mcr.microsoft.com/windows\nRUN dir c:\\ `\n  /w\n");
    CHECK(file.escape == '`');
    CHECK(file.stages[0].instructions[0].args == Strings{"dir c:\\   /w"});
  }
  SECTION("escape=\\ is the default written out") { CHECK(parse("# escape=\\\nFROM a\n").escape == '\\'); }
  SECTION("names are case-insensitive and blanks around = are allowed") {
    Dockerfile file = parse("#  SYNTAX = docker/dockerfile:1.7 \n# Escape= `\n#check=skip=all\nFROM a\n");
    CHECK(file.syntax == "docker/dockerfile:1.7");
    CHECK(file.escape == '`');
  }
  SECTION("after a comment, a directive is just a comment") {
    CHECK(parse("# hello\n# escape=`\nFROM a\n").escape == '\\');
  }
  SECTION("after a blank line, a directive is just a comment") {
    CHECK(parse("\n# escape=`\nFROM a\n").escape == '\\');
  }
  SECTION("after an instruction, a directive is just a comment") {
    Dockerfile file = parse("FROM a\n# escape=`\nRUN x \\\n y\n");
    CHECK(file.escape == '\\');
    CHECK(file.stages[0].instructions[0].args == Strings{"x  y"});
  }
  SECTION("an unknown directive ends the directives") {
    CHECK(parse("# foo=bar\n# escape=`\nFROM a\n").escape == '\\');
  }
  SECTION("a directive twice is an error") {
    CHECK(parse_error("# escape=`\n# escape=\\\nFROM a\n") ==
          "Dockerfile:2: only one escape parser directive can be used");
  }
  SECTION("an escape that is neither ` nor \\ is an error") {
    CHECK(parse_error("# escape=x\nFROM a\n") ==
          "Dockerfile:1: invalid escape token `x` does not match ` or \\");
  }
}

// ---------------------------------------------------------------------------
// Errors with their location.

TEST_CASE("an unknown instruction is an error naming file, line and word", "[dockerfile]") {
  CHECK(parse_error("FROM a\n\nFRM b\n") == "Dockerfile:3: unknown instruction: FRM");
  CHECK(parse_error("FROM a\nrn echo\n") == "Dockerfile:2: unknown instruction: rn");
  auto other = parse_dockerfile("FROM a\nRUN a \\\n  b\nBOGUS x\n", "app/Containerfile");
  REQUIRE_FALSE(other.ok());
  CHECK(other.error().text() == "app/Containerfile:4: unknown instruction: BOGUS");
}

TEST_CASE("a missing argument is an error at the instruction's first line", "[dockerfile]") {
  CHECK(parse_error("FROM\n") == "Dockerfile:1: FROM requires either one or three arguments");
  CHECK(parse_error("FROM a\nRUN\n") == "Dockerfile:2: RUN requires at least one argument");
  CHECK(parse_error("FROM a\nRUN []\n") == "Dockerfile:2: RUN requires at least one argument");
  CHECK(parse_error("FROM a\nCOPY onlyone\n") ==
        "Dockerfile:2: COPY requires at least two arguments: a source and a destination");
  CHECK(parse_error("FROM a\nADD [\"x\"]\n") ==
        "Dockerfile:2: ADD requires at least two arguments: a source and a destination");
  CHECK(parse_error("FROM a\nEXPOSE\n") == "Dockerfile:2: EXPOSE requires at least one argument");
  CHECK(parse_error("FROM a\nVOLUME\n") == "Dockerfile:2: VOLUME requires at least one argument");
  CHECK(parse_error("FROM a\nVOLUME []\n") == "Dockerfile:2: VOLUME requires at least one argument");
  CHECK(parse_error("FROM a\nVOLUME [\"/a\", \" \"]\n") ==
        "Dockerfile:2: VOLUME specified can not be an empty string");
  CHECK(parse_error("FROM a\nUSER\n") == "Dockerfile:2: USER requires at least one argument");
  CHECK(parse_error("FROM a\nWORKDIR   \n") == "Dockerfile:2: WORKDIR requires at least one argument");
  CHECK(parse_error("FROM a\nSTOPSIGNAL\n") == "Dockerfile:2: STOPSIGNAL requires at least one argument");
  CHECK(parse_error("FROM a\nMAINTAINER\n") == "Dockerfile:2: MAINTAINER requires at least one argument");
  CHECK(parse_error("FROM a\nSHELL []\n") == "Dockerfile:2: SHELL requires at least one argument");
  CHECK(parse_error("FROM a\nSHELL\n") == "Dockerfile:2: SHELL requires the arguments to be in JSON form");
  CHECK(parse_error("FROM a\nSHELL /bin/bash -c\n") ==
        "Dockerfile:2: SHELL requires the arguments to be in JSON form");
  CHECK(parse_error("FROM a\nENV\n") == "Dockerfile:2: ENV requires at least one argument");
  CHECK(parse_error("FROM a\nLABEL\n") == "Dockerfile:2: LABEL requires at least one argument");
  CHECK(parse_error("FROM a\nARG\n") == "Dockerfile:2: ARG requires at least one argument");
  CHECK(parse_error("FROM a\nONBUILD\n") == "Dockerfile:2: ONBUILD requires at least one argument");
  CHECK(parse_error("FROM a\nHEALTHCHECK\n") == "Dockerfile:2: HEALTHCHECK requires at least one argument");
  CHECK(parse_error("FROM a\nRUN echo \\\n  a\nCOPY x\n") ==
        "Dockerfile:4: COPY requires at least two arguments: a source and a destination");
}

TEST_CASE("a file must have instructions and a FROM before anything but ARG", "[dockerfile]") {
  CHECK(parse_error("") == "Dockerfile: file with no instructions");
  CHECK(parse_error("# only a comment\n\n") == "Dockerfile: file with no instructions");
  CHECK(parse_error("ARG A=1\n") == "Dockerfile: no FROM instruction: there is no stage to build");
  CHECK(parse_error("ARG A=1\nRUN echo\nFROM a\n") ==
        "Dockerfile:2: RUN before the first FROM: only ARG may come before it");
}

// ---------------------------------------------------------------------------
// FROM and stages.

TEST_CASE("FROM: base, AS name, --platform, and stages in order", "[dockerfile]") {
  Dockerfile file = parse(
      "ARG GO=1.22\n"
      "ARG BASE\n"
      "FROM --platform=$BUILDPLATFORM golang:${GO} AS Builder\n"
      "RUN go build\n"
      "FROM alpine\n"
      "COPY --from=builder /out /usr/bin/\n");
  REQUIRE(file.global_args.size() == 2);
  CHECK(file.global_args[0].pairs == std::vector<KeyValue>{{"GO", "1.22"}});
  CHECK(file.global_args[1].pairs == std::vector<KeyValue>{{"BASE", std::nullopt}});
  REQUIRE(file.stages.size() == 2);
  CHECK(file.stages[0].base == "golang:${GO}");
  CHECK(file.stages[0].name == "builder");
  CHECK(file.stages[0].platform == "$BUILDPLATFORM");
  CHECK(file.stages[0].from.flags == std::vector<InstructionFlag>{{"platform", "$BUILDPLATFORM"}});
  CHECK(file.stages[0].instructions.size() == 1);
  CHECK(file.stages[1].base == "alpine");
  CHECK(file.stages[1].name.empty());
  CHECK(file.stages[1].instructions.size() == 1);
  CHECK(file.stages[1].instructions[0].flag("from") == "builder");
}

TEST_CASE("FROM errors: argument count, stage names", "[dockerfile]") {
  CHECK(parse_error("FROM a b\n") == "Dockerfile:1: FROM requires either one or three arguments");
  CHECK(parse_error("FROM a AS\n") == "Dockerfile:1: FROM requires either one or three arguments");
  CHECK(parse_error("FROM a IS b\n") == "Dockerfile:1: FROM requires either one or three arguments");
  CHECK(
      parse_error("FROM a AS 1st\n") ==
      "Dockerfile:1: invalid name for build stage: `1st`, name can't start with a number or contain symbols");
  CHECK(
      parse_error("FROM a AS b$c\n") ==
      "Dockerfile:1: invalid name for build stage: `b$c`, name can't start with a number or contain symbols");
  CHECK(parse_error("FROM a AS x\nFROM b AS X\n") == "Dockerfile:2: duplicate stage name `x`");
  CHECK(parse("FROM a AS my-stage_1.0\n").stages[0].name == "my-stage_1.0");
}

// ---------------------------------------------------------------------------
// Flags.

TEST_CASE("flags come before the arguments, in order, quotes removed, unexpanded", "[dockerfile]") {
  Instruction copy =
      only("FROM a\nCOPY --from=build --chown=\"app:app\" --chmod=0755 --link src/ ${DEST}/\n");
  CHECK(copy.flags == std::vector<InstructionFlag>{
                          {"from", "build"}, {"chown", "app:app"}, {"chmod", "0755"}, {"link", "true"}});
  CHECK(copy.args == Strings{"src/", "${DEST}/"});
  CHECK(copy.flag("chmod") == "0755");
  CHECK(copy.flag("parents") == std::nullopt);
  CHECK(copy.original == "COPY --from=build --chown=\"app:app\" --chmod=0755 --link src/ ${DEST}/");
}

TEST_CASE("flags each instruction takes", "[dockerfile]") {
  SECTION("RUN: repeated --mount, --network, --security") {
    Instruction run = only(
        "FROM a\n"
        "RUN --mount=type=cache,target=/root/.cache \\\n"
        "    --mount=type=secret,id=tok --network=none --security=insecure make\n");
    CHECK(run.flag_values("mount") == Strings{"type=cache,target=/root/.cache", "type=secret,id=tok"});
    CHECK(run.flag("network") == "none");
    CHECK(run.flag("security") == "insecure");
    CHECK(run.args == Strings{"make"});
  }
  SECTION("ADD: --checksum, --keep-git-dir, --unpack, --exclude") {
    Instruction add = only(
        "FROM a\nADD --checksum=sha256:abc --keep-git-dir=false --unpack --exclude=*.md --exclude=.git "
        "https://x/y.tar.gz /src\n");
    CHECK(add.flag("checksum") == "sha256:abc");
    CHECK(add.flag("keep-git-dir") == "false");
    CHECK(add.flag("unpack") == "true");
    CHECK(add.flag_values("exclude") == Strings{"*.md", ".git"});
    CHECK(add.args == Strings{"https://x/y.tar.gz", "/src"});
  }
  SECTION("COPY: --parents and --exclude") {
    Instruction copy = only("FROM a\nCOPY --parents=TRUE --exclude=x ./a/b /c/\n");
    CHECK(copy.flag("parents") == "true");
    CHECK(copy.flag_values("exclude") == Strings{"x"});
  }
  SECTION("HEALTHCHECK: the timing options") {
    Instruction health = only(
        "FROM a\nHEALTHCHECK --interval=5m --timeout=3s --start-period=1s --start-interval=2s --retries=3 "
        "CMD curl -f http://localhost/\n");
    CHECK(health.flags == std::vector<InstructionFlag>{{"interval", "5m"},
                                                       {"timeout", "3s"},
                                                       {"start-period", "1s"},
                                                       {"start-interval", "2s"},
                                                       {"retries", "3"}});
    CHECK(health.args == Strings{"CMD", "curl -f http://localhost/"});
  }
  SECTION("a lone -- ends the flags") {
    Instruction run = only("FROM a\nRUN --network=host -- --not-a-flag\n");
    CHECK(run.flags == std::vector<InstructionFlag>{{"network", "host"}});
    CHECK(run.args == Strings{"--not-a-flag"});
  }
  SECTION("a flag value may hold quoted blanks and escapes") {
    Instruction run = only("FROM a\nRUN --mount=type=bind,source=\"a b\",target=/x\\ y ls\n");
    CHECK(run.flag_values("mount") == Strings{"type=bind,source=a b,target=/x y"});
    CHECK(run.args == Strings{"ls"});
  }
  SECTION("words starting with a single dash are arguments") {
    Instruction run = only("FROM a\nRUN -x --y\n");
    CHECK(run.flags.empty());
    CHECK(run.args == Strings{"-x --y"});
  }
}

TEST_CASE("flag errors name the instruction and the flag", "[dockerfile]") {
  CHECK(parse_error("FROM a\nCOPY --form=x a b\n") == "Dockerfile:2: unknown flag for COPY: --form");
  CHECK(parse_error("FROM a\nRUN --from=x ls\n") == "Dockerfile:2: unknown flag for RUN: --from");
  CHECK(parse_error("FROM a\nENV --x=1 A=b\n") == "Dockerfile:2: unknown flag for ENV: --x");
  CHECK(parse_error("FROM --platfrom=linux/amd64 a\n") == "Dockerfile:1: unknown flag for FROM: --platfrom");
  CHECK(parse_error("FROM a\nADD --from=x a b\n") == "Dockerfile:2: unknown flag for ADD: --from");
  CHECK(parse_error("FROM a\nCOPY --from=a --from=b x y\n") == "Dockerfile:2: duplicate flag: --from");
  CHECK(parse_error("FROM a\nCOPY --from x y\n") == "Dockerfile:2: missing a value on flag: --from");
  CHECK(parse_error("FROM a\nCOPY --link= x y\n") == "Dockerfile:2: missing a value on flag: --link");
  CHECK(parse_error("FROM a\nCOPY --link=yes x y\n") ==
        "Dockerfile:2: expecting a boolean value for flag --link, not: yes");
  CHECK(parse_error("FROM a\nONBUILD --x RUN y\n") == "Dockerfile:2: unknown flag for ONBUILD: --x");
  CHECK(parse("FROM a\nCOPY --chown= x y\n").stages[0].instructions[0].flag("chown") ==
        "");  // an empty value is one
}

// ---------------------------------------------------------------------------
// Exec (JSON) form and shell form.

TEST_CASE("JSON arrays are the exec form; anything else is the shell form", "[dockerfile]") {
  std::vector<Instruction> instructions = body(
      "FROM a\n"
      "RUN [\"echo\", \"a b\", \"\\u00e9\"]\n"
      "CMD [ \"nginx\" , \"-g\", \"daemon off;\" ]\n"
      "ENTRYPOINT [\"/bin/sh\", \"-c\"]\n"
      "SHELL [\"/bin/bash\", \"-o\", \"pipefail\", \"-c\"]\n"
      "COPY [\"a b\", \"c\", \"/d/\"]\n"
      "ADD [\"x\", \"/y\"]\n"
      "VOLUME [\"/data\", \"/logs\"]\n"
      "HEALTHCHECK CMD [\"curl\", \"-f\", \"http://x/\"]\n"
      "CMD []\n");
  REQUIRE(instructions.size() == 9);
  for (const Instruction& ins : instructions) CHECK(ins.json_form);
  CHECK(instructions[0].args == Strings{"echo", "a b", "\xC3\xA9"});
  CHECK(instructions[1].args == Strings{"nginx", "-g", "daemon off;"});
  CHECK(instructions[2].args == Strings{"/bin/sh", "-c"});
  CHECK(instructions[3].args == Strings{"/bin/bash", "-o", "pipefail", "-c"});
  CHECK(instructions[4].args == Strings{"a b", "c", "/d/"});
  CHECK(instructions[5].args == Strings{"x", "/y"});
  CHECK(instructions[6].args == Strings{"/data", "/logs"});
  CHECK(instructions[7].args == Strings{"CMD", "curl", "-f", "http://x/"});
  CHECK(instructions[8].args.empty());
}

TEST_CASE("text that is not a valid JSON array falls back to the shell form", "[dockerfile]") {
  std::vector<Instruction> instructions = body(
      "FROM a\n"
      "CMD ['single', 'quotes']\n"
      "RUN [\"a\", ]\n"
      "RUN [\"a\"] && echo\n"
      "RUN [ -f /x ] && echo yes\n"
      "ENTRYPOINT exec nginx\n"
      "COPY a b /c/\n"
      "VOLUME /data /logs\n"
      "CMD\n");
  REQUIRE(instructions.size() == 8);
  CHECK(instructions[0].args == Strings{"['single', 'quotes']"});
  CHECK(instructions[1].args == Strings{"[\"a\", ]"});
  CHECK(instructions[2].args == Strings{"[\"a\"] && echo"});
  CHECK(instructions[3].args == Strings{"[ -f /x ] && echo yes"});
  CHECK(instructions[4].args == Strings{"exec nginx"});
  CHECK(instructions[5].args == Strings{"a", "b", "/c/"});
  CHECK(instructions[6].args == Strings{"/data", "/logs"});
  CHECK(instructions[7].args.empty());
  for (const Instruction& ins : instructions) CHECK_FALSE(ins.json_form);
}

TEST_CASE("a JSON array with something other than strings is an error, as in docker", "[dockerfile]") {
  CHECK(parse_error("FROM a\nCMD [\"a\", 1]\n") ==
        "Dockerfile:2: when using JSON array syntax, arrays must be comprised of strings only");
  CHECK(parse_error("FROM a\nRUN [[\"a\"]]\n") ==
        "Dockerfile:2: when using JSON array syntax, arrays must be comprised of strings only");
}

TEST_CASE("COPY, ADD, EXPOSE split on whitespace without looking at quotes", "[dockerfile]") {
  std::vector<Instruction> instructions = body("FROM a\nCOPY \"a b\"  c\t/d\nEXPOSE 80/tcp  443 ${PORT}\n");
  CHECK(instructions[0].args == Strings{"\"a", "b\"", "c", "/d"});
  CHECK(instructions[1].args == Strings{"80/tcp", "443", "${PORT}"});
}

TEST_CASE("USER, WORKDIR, STOPSIGNAL, MAINTAINER keep the rest of the line as one argument", "[dockerfile]") {
  std::vector<Instruction> instructions =
      body("FROM a\nUSER app:app\nWORKDIR /my dir\nSTOPSIGNAL SIGTERM\nMAINTAINER Jo <jo@example.com>\n");
  CHECK(instructions[0].args == Strings{"app:app"});
  CHECK(instructions[1].args == Strings{"/my dir"});
  CHECK(instructions[2].args == Strings{"SIGTERM"});
  CHECK(instructions[3].args == Strings{"Jo <jo@example.com>"});
}

TEST_CASE("HEALTHCHECK: NONE, CMD in both forms, and the errors", "[dockerfile]") {
  std::vector<Instruction> instructions =
      body("FROM a\nHEALTHCHECK none\nHEALTHCHECK cmd curl -f x || exit 1\n");
  CHECK(instructions[0].args == Strings{"NONE"});
  CHECK(instructions[1].args == Strings{"CMD", "curl -f x || exit 1"});
  CHECK_FALSE(instructions[1].json_form);
  CHECK(parse_error("FROM a\nHEALTHCHECK NONE x\n") == "Dockerfile:2: HEALTHCHECK NONE takes no arguments");
  CHECK(parse_error("FROM a\nHEALTHCHECK CMD\n") == "Dockerfile:2: missing command after HEALTHCHECK CMD");
  CHECK(parse_error("FROM a\nHEALTHCHECK CMD []\n") == "Dockerfile:2: missing command after HEALTHCHECK CMD");
  CHECK(parse_error("FROM a\nHEALTHCHECK RUN x\n") ==
        "Dockerfile:2: unknown HEALTHCHECK type `RUN` (use CMD or NONE)");
  CHECK(parse_error("FROM a\nHEALTHCHECK --interval=1s --bogus=2 CMD x\n") ==
        "Dockerfile:2: unknown flag for HEALTHCHECK: --bogus");
}

// ---------------------------------------------------------------------------
// ENV, LABEL, ARG.

TEST_CASE("ENV and LABEL: key=value pairs with raw values", "[dockerfile]") {
  std::vector<Instruction> instructions = body(
      "FROM a\n"
      "ENV A=1 B=\"two words\" C='$x' D=a\\ b E= F=${G:-x}\n"
      "LABEL org.opencontainers.image.title=\"My app\" \"quoted key\"=v\n"
      "ENV PATH=/x:$PATH \\\n"
      "    HOME=/root\n");
  CHECK(instructions[0].pairs ==
        std::vector<KeyValue>{
            {"A", "1"}, {"B", "\"two words\""}, {"C", "'$x'"}, {"D", "a\\ b"}, {"E", ""}, {"F", "${G:-x}"}});
  CHECK(instructions[0].args.empty());
  CHECK(instructions[1].pairs ==
        std::vector<KeyValue>{{"org.opencontainers.image.title", "\"My app\""}, {"\"quoted key\"", "v"}});
  CHECK(instructions[2].pairs == std::vector<KeyValue>{{"PATH", "/x:$PATH"}, {"HOME", "/root"}});
}

TEST_CASE("ENV and LABEL: the legacy `KEY value with spaces` form", "[dockerfile]") {
  std::vector<Instruction> instructions =
      body("FROM a\nENV MY_VAR  some value  with \"spaces\"\nLABEL description This is=fine\nENV X=1\n");
  CHECK(instructions[0].pairs == std::vector<KeyValue>{{"MY_VAR", "some value  with \"spaces\""}});
  CHECK(instructions[1].pairs == std::vector<KeyValue>{{"description", "This is=fine"}});
  CHECK(instructions[2].pairs == std::vector<KeyValue>{{"X", "1"}});
}

TEST_CASE("ENV and LABEL errors", "[dockerfile]") {
  CHECK(parse_error("FROM a\nENV ONLYKEY\n") == "Dockerfile:2: ENV must have two arguments");
  CHECK(parse_error("FROM a\nLABEL ONLYKEY\n") == "Dockerfile:2: LABEL must have two arguments");
  CHECK(parse_error("FROM a\nENV A=1 B\n") ==
        "Dockerfile:2: syntax error: can't find = in `B`; it must be of the form name=value");
  CHECK(parse_error("FROM a\nENV =x\n") == "Dockerfile:2: ENV names can not be blank");
  CHECK(parse_error("FROM a\nLABEL a=b =c\n") == "Dockerfile:2: LABEL names can not be blank");
}

TEST_CASE("ENV with escape=`: the backtick protects blanks, and expands with the same escape",
          "[dockerfile]") {
  Dockerfile file = parse("# escape=`\nFROM a\nENV A=a` b C=c:\\d D=\"x`\"y\"\n");
  const Instruction& env = file.stages[0].instructions[0];
  CHECK(env.pairs == std::vector<KeyValue>{{"A", "a` b"}, {"C", "c:\\d"}, {"D", "\"x`\"y\""}});
  auto a = expand_word(*env.pairs[0].value, lookup_in({}), file.escape);
  auto c = expand_word(*env.pairs[1].value, lookup_in({}), file.escape);
  auto d = expand_word(*env.pairs[2].value, lookup_in({}), file.escape);
  REQUIRE((a.ok() && c.ok() && d.ok()));
  CHECK(a->value == "a b");
  CHECK(c->value == "c:\\d");
  CHECK(d->value == "x\"y");
}

TEST_CASE("ARG: names with and without defaults", "[dockerfile]") {
  Instruction arg = only("FROM a\nARG VERSION=1.0 USER EMPTY= QUOTED=\"a b\"\n");
  CHECK(arg.pairs == std::vector<KeyValue>{
                         {"VERSION", "1.0"}, {"USER", std::nullopt}, {"EMPTY", ""}, {"QUOTED", "\"a b\""}});
  CHECK(parse_error("FROM a\nARG =1\n") == "Dockerfile:2: ARG names can not be blank");
}

// ---------------------------------------------------------------------------
// ONBUILD.

TEST_CASE("ONBUILD carries its trigger as a parsed instruction", "[dockerfile]") {
  std::vector<Instruction> instructions =
      body("FROM a\nONBUILD copy --chown=1:1 . /app/src\nonbuild RUN [\"make\"]\n");
  const Instruction& copy = instructions[0];
  CHECK(copy.name == "ONBUILD");
  CHECK(copy.args == Strings{"copy --chown=1:1 . /app/src"});
  REQUIRE(copy.trigger != nullptr);
  CHECK(copy.trigger->name == "COPY");
  CHECK(copy.trigger->line == 2);
  CHECK(copy.trigger->original == "copy --chown=1:1 . /app/src");
  CHECK(copy.trigger->flags == std::vector<InstructionFlag>{{"chown", "1:1"}});
  CHECK(copy.trigger->args == Strings{".", "/app/src"});
  REQUIRE(instructions[1].trigger != nullptr);
  CHECK(instructions[1].trigger->json_form);
  CHECK(instructions[1].trigger->args == Strings{"make"});
}

TEST_CASE("ONBUILD refuses ONBUILD, FROM and MAINTAINER, and checks its trigger", "[dockerfile]") {
  CHECK(parse_error("FROM a\nONBUILD ONBUILD RUN x\n") ==
        "Dockerfile:2: chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed");
  CHECK(parse_error("FROM a\nONBUILD FROM b\n") == "Dockerfile:2: FROM isn't allowed as an ONBUILD trigger");
  CHECK(parse_error("FROM a\nONBUILD maintainer me\n") ==
        "Dockerfile:2: MAINTAINER isn't allowed as an ONBUILD trigger");
  CHECK(parse_error("FROM a\nONBUILD RUNN x\n") == "Dockerfile:2: unknown instruction: RUNN");
  CHECK(parse_error("FROM a\nONBUILD COPY x\n") ==
        "Dockerfile:2: COPY requires at least two arguments: a source and a destination");
  CHECK(parse_error("FROM a\nONBUILD COPY --bad=1 x y\n") == "Dockerfile:2: unknown flag for COPY: --bad");
}

// ---------------------------------------------------------------------------
// Heredocs.

TEST_CASE("RUN <<EOF takes the lines up to the delimiter as a body", "[dockerfile]") {
  std::vector<Instruction> instructions = body(
      "FROM a\n"
      "RUN <<EOF\n"
      "set -e\n"
      "# a comment in the script\n"
      "\n"
      "echo $HOME \\\n"
      "EOF\n"
      "USER me\n");
  REQUIRE(instructions.size() == 2);
  const Instruction& run = instructions[0];
  CHECK(run.args == Strings{"<<EOF"});
  CHECK(run.original == "RUN <<EOF");
  REQUIRE(run.heredocs.size() == 1);
  CHECK(run.heredocs[0] ==
        Heredoc{"EOF", "set -e\n# a comment in the script\n\necho $HOME \\\n", true, false});
  CHECK(instructions[1].line == 8);
}

TEST_CASE("heredoc delimiters: <<- strips tabs, quotes turn expansion off", "[dockerfile]") {
  std::vector<Instruction> instructions = body(
      "FROM a\n"
      "RUN <<-EOT\n"
      "\tif true; then\n"
      "\t\techo  \"in\"\n"
      "\tfi\n"
      "\tEOT\n"
      "RUN <<'EOF'\necho $HOME\nEOF\n"
      "RUN <<\"EOF\"\nx\nEOF\n"
      "RUN <<E\"O\"F\nx\nEOF\n"
      "RUN <<-'EOF'\n\t$x\nEOF\n"
      "RUN <<eo\\'f\nx\neo'f\n"
      "RUN <<  EOF  > /out\nx\nEOF\n"
      "RUN 3<<EOF cat <&3\nx\nEOF\n"
      "RUN <<$EOF\nx\n$EOF\n");
  REQUIRE(instructions.size() == 9);
  CHECK(instructions[0].heredocs ==
        std::vector<Heredoc>{{"EOT", "if true; then\necho  \"in\"\nfi\n", true, true}});
  CHECK(instructions[1].heredocs == std::vector<Heredoc>{{"EOF", "echo $HOME\n", false, false}});
  CHECK(instructions[2].heredocs == std::vector<Heredoc>{{"EOF", "x\n", false, false}});
  CHECK(instructions[3].heredocs == std::vector<Heredoc>{{"EOF", "x\n", false, false}});
  CHECK(instructions[4].heredocs == std::vector<Heredoc>{{"EOF", "$x\n", false, true}});
  CHECK(instructions[5].heredocs == std::vector<Heredoc>{{"eo'f", "x\n", true, false}});
  CHECK(instructions[6].heredocs == std::vector<Heredoc>{{"EOF", "x\n", true, false}});
  CHECK(instructions[6].args == Strings{"<<  EOF  > /out"});
  CHECK(instructions[7].heredocs == std::vector<Heredoc>{{"EOF", "x\n", true, false}});
  CHECK(instructions[8].heredocs == std::vector<Heredoc>{{"$EOF", "x\n", true, false}});
}

TEST_CASE("several heredocs on one line are read one after the other", "[dockerfile]") {
  std::vector<Instruction> instructions = body(
      "FROM a\n"
      "COPY <<FILE1 <<-FILE2 /dest/\n"
      "content 1\n"
      "FILE1\n"
      "\tcontent 2\n"
      "\tFILE2\n"
      "RUN <<A cat - <<B\n"
      "B\n"
      "A\n"
      "A\n"
      "B\n");
  REQUIRE(instructions.size() == 2);
  const Instruction& copy = instructions[0];
  CHECK(copy.args == Strings{"<<FILE1", "<<-FILE2", "/dest/"});
  CHECK(copy.heredocs ==
        std::vector<Heredoc>{{"FILE1", "content 1\n", true, false}, {"FILE2", "content 2\n", true, true}});
  REQUIRE(copy.heredoc_for("<<FILE1") != nullptr);
  CHECK(copy.heredoc_for("<<FILE1")->body == "content 1\n");
  REQUIRE(copy.heredoc_for("<<-FILE2") != nullptr);
  CHECK(copy.heredoc_for("<<-FILE2")->name == "FILE2");
  CHECK(copy.heredoc_for("<<\"FILE1\"") == &copy.heredocs[0]);
  CHECK(copy.heredoc_for("/dest/") == nullptr);
  CHECK(copy.heredoc_for("<<NOPE") == nullptr);
  CHECK(instructions[1].heredocs ==
        std::vector<Heredoc>{{"A", "B\n", true, false}, {"B", "A\n", true, false}});
}

TEST_CASE("heredocs: where they are not, and their errors", "[dockerfile]") {
  SECTION("the exec form and quoted words have no heredocs") {
    std::vector<Instruction> instructions =
        body("FROM a\nRUN [\"<<EOF\"]\nRUN echo \"<<EOF\"\nRUN cat a<<b\n");
    for (const Instruction& ins : instructions) CHECK(ins.heredocs.empty());
  }
  SECTION("other instructions have no heredocs: the next line is an instruction") {
    CHECK(parse_error("FROM a\nUSER <<EOF\nEOF\n") == "Dockerfile:3: unknown instruction: EOF");
  }
  SECTION("a continued line's heredoc starts after its last line") {
    Instruction run = only("FROM a\nRUN --network=none \\\n  <<EOF\nbody\nEOF\n");
    CHECK(run.heredocs == std::vector<Heredoc>{{"EOF", "body\n", true, false}});
  }
  SECTION("an ONBUILD trigger keeps its heredocs") {
    Instruction onbuild = only("FROM a\nONBUILD RUN <<EOF\necho hi\nEOF\n");
    CHECK(onbuild.heredocs.empty());
    REQUIRE(onbuild.trigger != nullptr);
    CHECK(onbuild.trigger->heredocs == std::vector<Heredoc>{{"EOF", "echo hi\n", true, false}});
  }
  SECTION("CRLF line ends do not reach the body") {
    Instruction run = only("FROM a\r\nRUN <<EOF\r\necho hi\r\nEOF\r\n");
    CHECK(run.heredocs == std::vector<Heredoc>{{"EOF", "echo hi\n", true, false}});
  }
  SECTION("a heredoc without its delimiter is an error at the instruction") {
    CHECK(parse_error("FROM a\nRUN <<EOF\necho\n EOF\n") == "Dockerfile:2: unterminated heredoc `EOF`");
  }
  SECTION("a heredoc cannot be the destination") {
    CHECK(parse_error("FROM a\nCOPY a <<EOF\nx\nEOF\n") ==
          "Dockerfile:2: COPY cannot accept a heredoc as a destination");
  }
}

// ---------------------------------------------------------------------------
// A realistic file.

TEST_CASE("a realistic multi-stage Dockerfile", "[dockerfile]") {
  Dockerfile file = parse(R"(# syntax=docker/dockerfile:1
# escape=\

# Build arguments shared by the stages.
ARG GO_VERSION=1.22
ARG ALPINE_VERSION=3.19

FROM --platform=$BUILDPLATFORM golang:${GO_VERSION}-alpine AS build
WORKDIR /src
ENV CGO_ENABLED=0 \
    GOFLAGS="-trimpath -mod=readonly"
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod \
    go mod download
COPY . .
ARG TARGETOS TARGETARCH
RUN --mount=type=cache,target=/root/.cache/go-build \
    GOOS=$TARGETOS GOARCH=$TARGETARCH go build -o /out/app ./cmd/app

FROM alpine:${ALPINE_VERSION} AS runtime
LABEL org.opencontainers.image.source="https://example.com/app" \
      maintainer="ops@example.com"
RUN apk add --no-cache ca-certificates tzdata \
 && addgroup -S app && adduser -S app -G app
COPY --from=build --chown=app:app --chmod=0755 /out/app /usr/local/bin/app
COPY <<EOF /etc/app/config.yaml
listen: ":${PORT:-8080}"
EOF
USER app
EXPOSE 8080/tcp
VOLUME ["/var/lib/app"]
HEALTHCHECK --interval=30s --timeout=3s CMD ["/usr/local/bin/app", "health"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/app"]
CMD ["serve"]
)");
  CHECK(file.syntax == "docker/dockerfile:1");
  CHECK(file.escape == '\\');
  REQUIRE(file.global_args.size() == 2);
  CHECK(file.global_args[0].line == 5);
  CHECK(file.global_args[1].pairs == std::vector<KeyValue>{{"ALPINE_VERSION", "3.19"}});
  REQUIRE(file.stages.size() == 2);

  const Stage& build = file.stages[0];
  CHECK(build.name == "build");
  CHECK(build.base == "golang:${GO_VERSION}-alpine");
  CHECK(build.platform == "$BUILDPLATFORM");
  CHECK(build.from.line == 8);
  REQUIRE(build.instructions.size() == 7);
  CHECK(build.instructions[0].name == "WORKDIR");
  CHECK(build.instructions[1].pairs ==
        std::vector<KeyValue>{{"CGO_ENABLED", "0"}, {"GOFLAGS", "\"-trimpath -mod=readonly\""}});
  CHECK(build.instructions[2].args == Strings{"go.mod", "go.sum", "./"});
  CHECK(build.instructions[3].line == 13);
  CHECK(build.instructions[3].flag_values("mount") == Strings{"type=cache,target=/go/pkg/mod"});
  CHECK(build.instructions[3].args == Strings{"go mod download"});
  CHECK(build.instructions[5].pairs ==
        std::vector<KeyValue>{{"TARGETOS", std::nullopt}, {"TARGETARCH", std::nullopt}});
  CHECK(build.instructions[6].line == 17);
  CHECK(
      build.instructions[6].original ==
      "RUN --mount=type=cache,target=/root/.cache/go-build     GOOS=$TARGETOS GOARCH=$TARGETARCH go build -o "
      "/out/app ./cmd/app");

  const Stage& runtime = file.stages[1];
  CHECK(runtime.name == "runtime");
  CHECK(runtime.base == "alpine:${ALPINE_VERSION}");
  CHECK(runtime.from.line == 20);
  REQUIRE(runtime.instructions.size() == 11);
  std::vector<std::string> names;
  for (const Instruction& ins : runtime.instructions) names.push_back(ins.name);
  CHECK(names == Strings{"LABEL", "RUN", "COPY", "COPY", "USER", "EXPOSE", "VOLUME", "HEALTHCHECK",
                         "STOPSIGNAL", "ENTRYPOINT", "CMD"});
  CHECK(runtime.instructions[0].pairs ==
        std::vector<KeyValue>{{"org.opencontainers.image.source", "\"https://example.com/app\""},
                              {"maintainer", "\"ops@example.com\""}});
  CHECK(runtime.instructions[2].flags ==
        std::vector<InstructionFlag>{{"from", "build"}, {"chown", "app:app"}, {"chmod", "0755"}});
  const Instruction& config = runtime.instructions[3];
  CHECK(config.line == 26);
  CHECK(config.args == Strings{"<<EOF", "/etc/app/config.yaml"});
  REQUIRE(config.heredoc_for(config.args[0]) != nullptr);
  CHECK(config.heredoc_for(config.args[0])->body == "listen: \":${PORT:-8080}\"\n");
  CHECK(runtime.instructions[4].line == 29);
  CHECK(runtime.instructions[7].flag("interval") == "30s");
  CHECK(runtime.instructions[7].args == Strings{"CMD", "/usr/local/bin/app", "health"});
  CHECK(runtime.instructions[10].args == Strings{"serve"});

  // What the executor will do with the heredoc: expand it with the stage's values.
  auto expanded = expand_heredoc(config.heredocs[0].body, lookup_in({}));
  REQUIRE(expanded.ok());
  CHECK(expanded->value == "listen: \":8080\"\n");
  CHECK(expanded->names_read == std::set<std::string>{"PORT"});
}

// ---------------------------------------------------------------------------
// Variable expansion.

TEST_CASE("expand_word: plain text, quotes and escapes", "[expand]") {
  CHECK(word("hello") == "hello");
  CHECK(word("he'll'o") == "hello");
  CHECK(word("he\\'llo") == "he'llo");
  CHECK(word("abc\\tdef") == "abctdef");
  CHECK(word("\"abc\\tdef\"") == "abc\\tdef");
  CHECK(word("\"abc\\\\tdef\"") == "abc\\tdef");
  CHECK(word("'abc\\tdef'") == "abc\\tdef");
  CHECK(word("hello\\") == "hello");
  CHECK(word("hello\\\\") == "hello\\");
  CHECK(word("\"hel'lo\"") == "hel'lo");
  CHECK(word("'hello\\'") == "hello\\");
  CHECK(word("\"''\"") == "''");
  CHECK(word("'\"hello\"'") == "\"hello\"");
  CHECK(word("  keeps   blanks  ") == "  keeps   blanks  ");
  CHECK(word("안'녕'하세요") == "안녕하세요");
  CHECK(word("") == "");
}

TEST_CASE("expand_word: $VAR and ${VAR}", "[expand]") {
  CHECK(word("he$PWD") == "he/home");
  CHECK(word("he${PWD}xx") == "he/homexx");
  CHECK(word("$PWD/bin:$SHELL") == "/home/bin:bash");
  CHECK(word("he$PWDxx") == "he");  // the name runs on: PWDxx is unset
  CHECK(word("he$pwd.") == "he.");  // names are case-sensitive
  CHECK(word("he${hi}xx") == "hexx");
  CHECK(word("$UNSET_ARG") == "");
  CHECK(word("$KOREAN!") == "한국어!");
  CHECK(word("$.") == "$.");
  CHECK(word("a$") == "a$");
  CHECK(word("he$1x") == "hex");
  CHECK(word("${aaa}}") == "}");
  CHECK(word("$@@@") == "@@");
  CHECK(word("${999}aaa") == "aaa");
}

TEST_CASE("expand_word: the escape character and quotes around $", "[expand]") {
  CHECK(word("he\\$PWD") == "he$PWD");
  CHECK(word("he\\\\$PWD") == "he\\/home");
  CHECK(word("\"he\\$PWD\"") == "he$PWD");
  CHECK(word("\"he\\\\$PWD\"") == "he\\/home");
  CHECK(word("\\${}") == "${}");
  CHECK(word("he\\${}xx") == "he${}xx");
  CHECK(word("'he${XX}'") == "he${XX}");
  CHECK(word("'$PWD'") == "$PWD");
  CHECK(word("'\\$PWD'") == "\\$PWD");
  CHECK(word("\"he'$PWD'\"") == "he'/home'");
  CHECK(word("\"$PWD\"") == "/home");
  SECTION("with escape=` the backtick escapes and the backslash is plain") {
    CHECK(word("c:\\dir\\$PWD", '`') == "c:\\dir\\/home");
    CHECK(word("`$PWD", '`') == "$PWD");
    CHECK(word("\"a`\"b\"", '`') == "a\"b");
  }
}

TEST_CASE("expand_word: defaults and alternatives", "[expand]") {
  CHECK(word("he${XXX:-000}xx") == "he000xx");
  CHECK(word("he${PWD:-000}xx") == "he/homexx");
  CHECK(word("he${XXX:-$PWD}xx") == "he/homexx");
  CHECK(word("he${XXX:-${PWD:-yyy}}xx") == "he/homexx");
  CHECK(word("he${XXX:-${YYY:-yyy}}xx") == "heyyyxx");
  CHECK(word("${NULL:-empty}") == "empty");
  CHECK(word("${NULL-empty}") == "");
  CHECK(word("${XXX-unset}") == "unset");
  CHECK(word("${UNSET_ARG-unset}") == "unset");
  CHECK(word("he${XXX:+000}xx") == "hexx");
  CHECK(word("he${PWD:+000}xx") == "he000xx");
  CHECK(word("he${PWD:+${SHELL}}xx") == "hebashxx");
  CHECK(word("he${PWD:+${XXX}}xx") == "hexx");
  CHECK(word("${NULL:+set}") == "");
  CHECK(word("${NULL+set}") == "set");
  CHECK(word("${XXX+set}") == "");
  CHECK(word("he${PWD:+${PWD}:}xx") == "he/home:xx");
  CHECK(word("he${XXX:-\\$PWD:}xx") == "he$PWD:xx");
  CHECK(word("he${XXX:-\\${PWD}z}xx") == "he${PWDz}xx");
  CHECK(word("${aaa:-bbb}}") == "bbb}");
  CHECK(word("${aaa:-bbb {foo}") == "bbb {foo");
  CHECK(word("${XXX:-'a  b'}") == "a  b");
  CHECK(word("${XXX:-\"$SHELL x\"}") == "bash x");
  CHECK(word("${1:-bbb}aaa") == "bbbaaa");
  CHECK(word("${@:+bbb}aaa") == "aaa");
  CHECK(word("${PWD?}") == "/home");
  CHECK(word("${PWD:?}") == "/home");
  CHECK(word("${NULL?}") == "");
}

TEST_CASE("expand_word: ${VAR?message} and ${VAR:?message} fail when unset or empty", "[expand]") {
  CHECK(word_error("he${XXX?}") == "expand `he${XXX?}`: XXX: is not allowed to be unset");
  CHECK(word_error("he${XXX:?}") == "expand `he${XXX:?}`: XXX: is not allowed to be unset");
  CHECK(word_error("he${NULL:?}") == "expand `he${NULL:?}`: NULL: is not allowed to be empty");
  CHECK(word_error("${XXX:?set XXX to $SHELL}") ==
        "expand `${XXX:?set XXX to $SHELL}`: XXX: set XXX to bash");
  CHECK(word_error("${UNSET_ARG?need it}") == "expand `${UNSET_ARG?need it}`: UNSET_ARG: need it");
}

TEST_CASE("expand_word: syntax errors", "[expand]") {
  CHECK(word_error("he'llo") == "expand `he'llo`: unterminated single quote");
  CHECK(word_error("he\\\\'llo") == "expand `he\\\\'llo`: unterminated single quote");
  CHECK(word_error("\"hello") == "expand `\"hello`: unterminated double quote");
  CHECK(word_error("\"hello\\\"") == "expand `\"hello\\\"`: unterminated double quote");
  CHECK(word_error("${}") == "expand `${}`: bad substitution");
  CHECK(word_error("he${}xx") == "expand `he${}xx`: bad substitution");
  CHECK(word_error("${{aaa}") == "expand `${{aaa}`: bad substitution");
  CHECK(word_error("${:-bbb}") == "expand `${:-bbb}`: bad substitution");
  CHECK(word_error("he${PWD") == "expand `he${PWD`: missing '}'");
  CHECK(word_error("${") == "expand `${`: missing '}'");
  CHECK(word_error("${aaa:-bbb") == "expand `${aaa:-bbb`: missing '}'");
  CHECK(word_error("${aaa:-bbb ${foo}") == "expand `${aaa:-bbb ${foo}`: missing '}'");
  CHECK(word_error("${a:") == "expand `${a:`: missing '}'");
  CHECK(word_error("he${.}") == "expand `he${.}`: unsupported modifier (.) in substitution");
  CHECK(word_error("he${XXX:YYY}") == "expand `he${XXX:YYY}`: unsupported modifier (:Y) in substitution");
  CHECK(word_error("he${PWD:=000}xx") ==
        "expand `he${PWD:=000}xx`: unsupported modifier (:=) in substitution");
  CHECK(word_error("${PWD:#x}") == "expand `${PWD:#x}`: unsupported modifier (:#) in substitution");
  CHECK(word_error("${PWD/x}") == "expand `${PWD/x}`: missing '/' in ${...}");
}

TEST_CASE("expand_word: pattern removal and replacement", "[expand]") {
  VariableLookup env = lookup_in({{"str", "foobarbaz"}, {"file", "archive.tar.gz"}, {"u", "é/à/ü"}});
  auto expand = [&](std::string_view text) {
    auto result = expand_word(text, env);
    REQUIRE(result.ok());
    return result->value;
  };
  CHECK(expand("${str#f*b}") == "arbaz");
  CHECK(expand("${str##f*b}") == "az");
  CHECK(expand("${str%b*}") == "foobar");
  CHECK(expand("${str%%b*}") == "foo");
  CHECK(expand("${str#x*}") == "foobarbaz");
  CHECK(expand("${str#???}") == "barbaz");
  CHECK(expand("${str%\\*}") == "foobarbaz");
  CHECK(expand("${file%.*}") == "archive.tar");
  CHECK(expand("${file%%.*}") == "archive");
  CHECK(expand("${file#*.}") == "tar.gz");
  CHECK(expand("${str/ba/fo}") == "fooforbaz");
  CHECK(expand("${str//ba/fo}") == "fooforfoz");
  CHECK(expand("${str//o/}") == "fbarbaz");
  CHECK(expand("${str/b*a/X}") == "fooXz");
  CHECK(expand("${str/#/X}") == "foobarbaz");
  CHECK(expand("${str//x/y}") == "foobarbaz");
  CHECK(expand("${unset#x}") == "");
  CHECK(expand("${u#?/}") == "à/ü");
  CHECK(expand("${u%/?}") == "é/à");
  CHECK(expand("${u//\\//-}") == "é-à-ü");
}

TEST_CASE("expand_word: names_read lists every variable looked up, set or not", "[expand]") {
  auto result =
      expand_word("$PWD ${XXX:-${SHELL}} ${NULL:+$YYY} \\$ESCAPED '$QUOTED' \"$DQ\" ${UNSET_ARG-x}", kEnv);
  REQUIRE(result.ok());
  CHECK(result->value == "/home bash  $ESCAPED $QUOTED  x");
  CHECK(result->names_read == std::set<std::string>{"PWD", "XXX", "SHELL", "NULL", "YYY", "DQ", "UNSET_ARG"});
  auto none = expand_word("no variables", kEnv);
  REQUIRE(none.ok());
  CHECK(none->names_read.empty());
}

TEST_CASE("expand_word: values are used as they are, never expanded again", "[expand]") {
  VariableLookup env = lookup_in({{"A", "$B 'q'"}, {"B", "b"}});
  auto result = expand_word("$A", env);
  REQUIRE(result.ok());
  CHECK(result->value == "$B 'q'");
  CHECK(result->names_read == std::set<std::string>{"A"});
}

TEST_CASE("expand_word: a lookup can be any function", "[expand]") {
  int calls = 0;
  VariableLookup lookup = [&](const std::string& name) -> std::optional<std::string> {
    ++calls;
    if (name == "N") return std::to_string(calls);
    return std::nullopt;
  };
  auto result = expand_word("$N-$N-${M:-m}", lookup);
  REQUIRE(result.ok());
  CHECK(result->value == "1-2-m");
  CHECK(calls == 3);
}

TEST_CASE("expand_words: splits on unquoted, unescaped whitespace, values included", "[expand]") {
  CHECK(words("hello") == Strings{"hello"});
  CHECK(words("hello${hi}bye") == Strings{"hellobye"});
  CHECK(words("hello${space}bye") == Strings{"helloabc", "defbye"});
  CHECK(words("hello\"${space}\"bye") == Strings{"helloabc  defbye"});
  CHECK(words("hello \"${space}\"bye") == Strings{"hello", "abc  defbye"});
  CHECK(words("hello${leading}def") == Strings{"hello", "ab", "cdef"});
  CHECK(words("hello\"${leading}\" def") == Strings{"hello  ab c", "def"});
  CHECK(words("hello\" there  \"") == Strings{"hello there  "});
  CHECK(words("  hello   there  ") == Strings{"hello", "there"});
  CHECK(words("hello\\ there") == Strings{"hello there"});
  CHECK(words("hello\\\" there") == Strings{"hello\"", "there"});
  CHECK(words("hello\"\\\\there\"") == Strings{"hello\\there"});
  CHECK(words("hello'\\there'") == Strings{"hello\\there"});
  CHECK(words("hello'$there'") == Strings{"hello$there"});
  CHECK(words("80/tcp ${XXX:-443 8443}") == Strings{"80/tcp", "443", "8443"});
  CHECK(words("a${space}b${leading}") == Strings{"aabc", "defb", "ab", "c"});
  CHECK(words("'' \"\" $NULL") == Strings{});
  CHECK(words("") == Strings{});
  auto failed = expand_words("hello\" there", kEnv);
  REQUIRE_FALSE(failed.ok());
  CHECK(failed.error().text() == "expand `hello\" there`: unterminated double quote");
  auto read = expand_words("$PWD ${XXX}", kEnv);
  REQUIRE(read.ok());
  CHECK(read->names_read == std::set<std::string>{"PWD", "XXX"});
}

TEST_CASE("expand_heredoc: variables expand, quotes stay", "[expand]") {
  auto result = expand_heredoc("echo \"$PWD\" '$SHELL' \\$NOT ${XXX:-d}\n", kEnv);
  REQUIRE(result.ok());
  CHECK(result->value == "echo \"/home\" 'bash' $NOT d\n");
  CHECK(result->names_read == std::set<std::string>{"PWD", "SHELL", "XXX"});
  auto failed = expand_heredoc("${X:?missing}", kEnv);
  REQUIRE_FALSE(failed.ok());
  CHECK(failed.error().text() == "expand heredoc: X: missing");
}

TEST_CASE("lookup_in: absent names and nullopt values are unset, empty values are set", "[expand]") {
  VariableLookup lookup = lookup_in({{"A", "1"}, {"E", ""}, {"U", std::nullopt}});
  CHECK(lookup("A") == "1");
  CHECK(lookup("E") == "");
  CHECK(lookup("U") == std::nullopt);
  CHECK(lookup("missing") == std::nullopt);
}
