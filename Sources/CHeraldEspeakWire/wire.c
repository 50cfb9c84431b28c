// A C target needs a source file; this one checks the header compiles alone.
#include "herald_espeak_wire.h"

_Static_assert(HERALD_ESPEAK_KIND_START_FAILED <= 0xff, "a kind is one byte");
