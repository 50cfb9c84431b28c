#pragma once
// libespeak-ng's API for herald-espeak, which links the library statically (see pcaudio_absent.c).
#include <espeak-ng/speak_lib.h>
