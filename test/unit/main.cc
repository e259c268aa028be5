// The Catch2 (v2) test runner; every other file in test/unit adds cases.
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
