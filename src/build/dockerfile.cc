#include "build/dockerfile.h"
