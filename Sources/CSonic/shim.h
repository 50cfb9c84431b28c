#pragma once
// libsonic-dev ships no pkg-config file: the module map links "sonic" by name.
#include <sonic.h>
