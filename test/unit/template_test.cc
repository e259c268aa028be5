// Go text/template over JSON: placeholder, filled below.
#include <catch2/catch.hpp>

#include "template/go_template.h"

using namespace skiff;

TEST_CASE("template prints a field", "[template]") {
  auto t = Template::parse("{{.A}}");
  REQUIRE(t.ok());
  CHECK(*t->execute(Json{{"A", "x"}}) == "x");
}
