#include <catch2/catch.hpp>

#include "build/build_ignore.h"
