// herald-espeak links libespeak-ng statically (libespeak-ng.a, from libespeak-ng-dev) and
// defines here the eight functions of libpcaudio that the library refers to.
//
// Why: libespeak-ng.so needs libpcaudio.so, which loads PulseAudio, ALSA, X11, D-Bus,
// systemd, libsndfile and five codecs: 29 libraries and about 3.3 MB resident in a helper
// that never plays a sound (it runs espeak-ng in AUDIO_OUTPUT_SYNCHRONOUS mode and hands
// every sample to heraldd). In that mode espeak-ng never calls these functions; if it ever
// did, it would find no audio device and report an error, as it does on a machine without
// one. Written by hand because no library provides "no audio output" for espeak-ng.
#include <stddef.h>
#include <stdint.h>

struct audio_object;

struct audio_object *create_audio_device_object(const char *device, const char *application, const char *description) {
    (void)device; (void)application; (void)description;
    return NULL;
}

int audio_object_open(struct audio_object *object, int format, uint32_t rate, uint8_t channels) {
    (void)object; (void)format; (void)rate; (void)channels;
    return -1;
}

void audio_object_close(struct audio_object *object) { (void)object; }

void audio_object_destroy(struct audio_object *object) { (void)object; }

int audio_object_write(struct audio_object *object, const void *data, size_t bytes) {
    (void)object; (void)data; (void)bytes;
    return -1;
}

int audio_object_drain(struct audio_object *object) { (void)object; return -1; }

int audio_object_flush(struct audio_object *object) { (void)object; return -1; }

const char *audio_object_strerror(struct audio_object *object, int error) {
    (void)object; (void)error;
    return "herald-espeak has no audio output";
}
