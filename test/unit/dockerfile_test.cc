#include <catch2/catch.hpp>

#include "build/dockerfile.h"
