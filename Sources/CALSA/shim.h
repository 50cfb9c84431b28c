#pragma once
#include <alsa/asoundlib.h>
#include <poll.h>
