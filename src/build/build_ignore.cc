#include "build/build_ignore.h"
