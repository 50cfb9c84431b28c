// herald-espeak: libespeak-ng in a process of its own, so that a synthesis
// that hangs or crashes costs heraldd one chunk, not its voice. heraldd starts
// it with a stream socket as descriptor 3 and speaks the frames of `EspeakWire`
// (Sources/HeraldEspeakProtocol/EspeakWire.swift, which documents them) over it.
//
// Two threads: the main thread owns libespeak-ng (the library keeps global
// state) and runs one request at a time; a reader thread takes requests off
// the socket, and a `cancel` sets a value the synth callback reads, so a stop
// takes effect at the next buffer rather than after the chunk. Only the main
// thread writes to the socket once `ready` is sent.
//
// In C, not Swift: the helper stays resident beside heraldd all day, and the
// Swift runtime it would carry is 1.6 MB of resident memory (the standard
// library's code is one section, which the kernel maps whole around the few
// functions a helper calls) for some 300 lines of frame handling.

#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <espeak-ng/speak_lib.h>

// The socket descriptor, frame limit and kinds, shared with heraldd's side.
#include "herald_espeak_wire.h"

// MARK: Frames

/// One frame being built: a length placeholder, the kind byte, then fields.
struct frame {
    uint8_t *bytes;
    size_t count, capacity;
};

static void frame_reserve(struct frame *frame, size_t more) {
    if (frame->count + more <= frame->capacity) return;
    size_t capacity = frame->capacity ? frame->capacity : 64;
    while (capacity < frame->count + more) capacity *= 2;
    uint8_t *bytes = realloc(frame->bytes, capacity);
    if (!bytes) exit(1);
    frame->bytes = bytes;
    frame->capacity = capacity;
}

static void frame_bytes(struct frame *frame, const void *bytes, size_t count) {
    frame_reserve(frame, count);
    if (count) memcpy(frame->bytes + frame->count, bytes, count);
    frame->count += count;
}

static void frame_u32(struct frame *frame, uint32_t value) {
    uint8_t le[4] = {value, value >> 8, value >> 16, value >> 24};
    frame_bytes(frame, le, 4);
}

static void frame_string(struct frame *frame, const char *string) {
    size_t count = strlen(string);
    frame_u32(frame, (uint32_t)count);
    frame_bytes(frame, string, count);
}

/// The frame being built. Only the main thread writes once `ready` is sent
/// (and before that there is no other thread), so one buffer serves every
/// frame, and sending audio allocates nothing once it has grown.
static struct frame out;

static struct frame *frame_begin(uint8_t kind, size_t capacity) {
    out.count = 0;
    frame_reserve(&out, capacity + 5);
    uint8_t header[5] = {0, 0, 0, 0, kind};
    frame_bytes(&out, header, 5);
    return &out;
}

/// Fills in the length and writes the whole frame, or exits: with heraldd
/// gone there is no one to speak for.
static void frame_send(struct frame *frame) {
    uint32_t length = (uint32_t)(frame->count - 4);
    for (int shift = 0; shift < 4; shift++) frame->bytes[shift] = (uint8_t)(length >> (8 * shift));
    size_t offset = 0;
    while (offset < frame->count) {
        ssize_t written = send(HERALD_ESPEAK_SOCKET, frame->bytes + offset, frame->count - offset, MSG_NOSIGNAL);
        if (written < 0 && errno == EINTR) continue;
        if (written <= 0) exit(0);
        offset += (size_t)written;
    }
}

/// Sends a frame of a request id and one text (mark, notice, failed).
static void send_text(uint8_t kind, uint32_t id, const char *text) {
    struct frame *frame = frame_begin(kind, 8 + strlen(text));
    frame_u32(frame, id);
    frame_string(frame, text);
    frame_send(frame);
}

/// Reads the fields of one frame's body; a field past the end is a broken
/// heraldd, and the helper exits (status 2) rather than guess.
struct reader {
    const uint8_t *next, *end;
};

static uint32_t read_u32(struct reader *reader) {
    if (reader->end - reader->next < 4) exit(2);
    const uint8_t *p = reader->next;
    reader->next += 4;
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static char *read_string(struct reader *reader) {
    uint32_t count = read_u32(reader);
    if ((size_t)(reader->end - reader->next) < count) exit(2);
    char *string = malloc((size_t)count + 1);
    if (!string) exit(1);
    memcpy(string, reader->next, count);
    string[count] = 0;
    reader->next += count;
    return string;
}

// MARK: Requests from the reader thread

struct request {
    uint32_t id;
    int32_t rate, pitch, pitch_range, volume;
    char *voice, *language, *ssml;
    struct request *next;
};

static pthread_mutex_t pending_lock = PTHREAD_MUTEX_INITIALIZER;
static struct request *pending_first, *pending_last;
static sem_t wakeup;
/// The id heraldd last cancelled; ids only grow, so an old cancel never matches a new request.
static _Atomic uint32_t cancelled;

static void handle(uint8_t kind, struct reader *reader) {
    if (kind == HERALD_ESPEAK_KIND_CANCEL) {
        atomic_store_explicit(&cancelled, read_u32(reader), memory_order_release);
        return;
    }
    if (kind != HERALD_ESPEAK_KIND_SPEAK) exit(2);
    struct request *request = calloc(1, sizeof *request);
    if (!request) exit(1);
    request->id = read_u32(reader);
    request->rate = (int32_t)read_u32(reader);
    request->pitch = (int32_t)read_u32(reader);
    request->pitch_range = (int32_t)read_u32(reader);
    request->volume = (int32_t)read_u32(reader);
    request->voice = read_string(reader);
    request->language = read_string(reader);
    request->ssml = read_string(reader);
    pthread_mutex_lock(&pending_lock);
    if (pending_last) pending_last->next = request; else pending_first = request;
    pending_last = request;
    pthread_mutex_unlock(&pending_lock);
    sem_post(&wakeup);
}

static void *read_requests(void *unused) {
    (void)unused;
    uint8_t *buffer = NULL;
    size_t count = 0, capacity = 0;
    for (;;) {
        if (capacity - count < 65536) {
            capacity = count + 65536;
            buffer = realloc(buffer, capacity);
            if (!buffer) exit(1);
        }
        ssize_t got = read(HERALD_ESPEAK_SOCKET, buffer + count, capacity - count);
        if (got < 0 && errno == EINTR) continue;
        // heraldd closed its end (or died): nothing more to do.
        if (got <= 0) exit(0);
        count += (size_t)got;
        size_t start = 0;
        while (count - start >= 4) {
            const uint8_t *p = buffer + start;
            uint32_t length = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
            if (length < 1 || length > HERALD_ESPEAK_MAXIMUM_FRAME) exit(2);
            if (count - start - 4 < length) break;
            struct reader reader = {p + 5, p + 4 + length};
            handle(p[4], &reader);
            start += 4 + (size_t)length;
        }
        memmove(buffer, buffer + start, count - start);
        count -= start;
    }
    return NULL;
}

// MARK: libespeak-ng

static int sample_rate;

/// The request being synthesised: set by the main thread around
/// `espeak_Synth` and read by the callback, which runs on that same thread.
static struct {
    uint32_t id;
    int active;
    long frames;
} current;

static void send_audio(const short *samples, long from, long to) {
    if (to <= from) return;
    struct frame *frame = frame_begin(HERALD_ESPEAK_KIND_AUDIO, 4 + (size_t)(to - from) * 2);
    frame_u32(frame, current.id);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    frame_bytes(frame, samples + from, (size_t)(to - from) * 2);
#else
    for (long index = from; index < to; index++) {
        uint16_t value = (uint16_t)samples[index];
        uint8_t le[2] = {value, value >> 8};
        frame_bytes(frame, le, 2);
    }
#endif
    frame_send(frame);
    current.frames += to - from;
}

/// Forwards samples and marks as they are made, the samples split at each
/// mark's position; returns 1 (abort) once the request is cancelled.
static int synth_callback(short *wav, int count, espeak_EVENT *events) {
    if (!current.active || atomic_load_explicit(&cancelled, memory_order_acquire) == current.id) return 1;
    // Samples sent before this buffer: a mark's position counts from the start of the request.
    long total = wav ? (count > 0 ? count : 0) : 0, cursor = 0, before = current.frames;
    for (espeak_EVENT *event = events; event && event->type != espeakEVENT_LIST_TERMINATED; event++) {
        if (event->type != espeakEVENT_MARK || !event->id.name) continue;
        long position = (long)event->audio_position * sample_rate / 1000 - before;
        long end = position < cursor ? cursor : position;
        if (end > total) end = total;
        send_audio(wav, cursor, end);
        cursor = end > cursor ? end : cursor;
        send_text(HERALD_ESPEAK_KIND_MARK, current.id, event->id.name);
    }
    send_audio(wav, cursor, total);
    return 0;
}

// MARK: Voices

static const char id_prefix[] = "espeak-ng:";

static void send_ready(void) {
    const espeak_VOICE **list = espeak_ListVoices(NULL);
    uint32_t voices = 0;
    for (int index = 0; list && list[index]; index++)
        if (list[index]->name && list[index]->identifier) voices++;
    struct frame *frame = frame_begin(HERALD_ESPEAK_KIND_READY, 8 + voices * 40);
    frame_u32(frame, (uint32_t)sample_rate);
    frame_u32(frame, voices);
    for (int index = 0; list && list[index]; index++) {
        const espeak_VOICE *voice = list[index];
        if (!voice->name || !voice->identifier) continue;
        frame_string(frame, voice->identifier);
        frame_string(frame, voice->name);
        // `languages` is priority byte, name, NUL, repeated; the first name is the main one.
        frame_string(frame, voice->languages && voice->languages[0] ? voice->languages + 1 : "");
    }
    frame_send(frame);
}

static int lowercase_equal(const char *a, const char *b) {
    for (; *a && *b; a++, b++)
        if ((*a | 0x20) != (*b | 0x20)) return 0;
    return *a == *b;
}

/// Selects by voice id or name when given, else by language (NULL: none).
/// Returns 0 when nothing matched.
static int select_voice(const char *voice, const char *language) {
    if (voice) {
        const char *name = strncmp(voice, id_prefix, sizeof id_prefix - 1) ? voice : voice + sizeof id_prefix - 1;
        if (espeak_SetVoiceByName(name) == EE_OK) return 1;
        const char *file = strrchr(name, '/');
        if (file && file[1] && espeak_SetVoiceByName(file + 1) == EE_OK) return 1;
        if (!language) return 0;
    }
    char code[64];
    snprintf(code, sizeof code, "%s", language ? language : "en");
    for (char *c = code; *c; c++)
        if (*c >= 'A' && *c <= 'Z') *c += 'a' - 'A';
    espeak_VOICE spec = {0};
    spec.languages = code;
    return espeak_SetVoiceByProperties(&spec) == EE_OK;
}

/// −100 → 80 wpm (espeak-ng's slowest), 0 → 175 (its default), 100 → 525 (three times as
/// fast; beyond 450 espeak-ng speeds its speech up with libsonic).
/// The same mapping as `Prosody` (Sources/HeraldCore/Engine/Prosody.swift), which the
/// sonic stage uses for the other engines: keep the two together. So are pitch
/// (espeak-ng's 0…100 is 2^(−1…1) in its pitch table) and volume (linear).
static int words_per_minute(int32_t rate) {
    return rate < 0 ? 175 + rate * 95 / 100 : 175 + rate * 350 / 100;
}

static char *applied_voice;

/// Maps Herald's −100…100 settings onto espeak-ng's scales; 0 is each voice's normal.
static void apply(const struct request *request) {
    // "C" and "POSIX" are what clients send from an unset locale: English, quietly.
    const char *language = request->language;
    if (!language[0] || lowercase_equal(language, "c") || lowercase_equal(language, "posix")) language = NULL;
    const char *voice = request->voice[0] ? request->voice : NULL;
    const char *key = voice ? voice : language ? language : "en";
    if (!applied_voice || strcmp(key, applied_voice)) {
        if (!select_voice(voice, language)) {
            char text[512];
            snprintf(text, sizeof text, "espeak-ng has no voice %s; using English", key);
            send_text(HERALD_ESPEAK_KIND_NOTICE, request->id, text);
            select_voice(NULL, "en");
        }
        free(applied_voice);
        applied_voice = strdup(key);
    }
    espeak_SetParameter(espeakRATE, words_per_minute(request->rate), 0);
    espeak_SetParameter(espeakPITCH, 50 + request->pitch / 2, 0);
    espeak_SetParameter(espeakRANGE, 50 + request->pitch_range / 2, 0);
    espeak_SetParameter(espeakVOLUME, (request->volume + 100) / 2, 0);
}

static void run(const struct request *request) {
    if (atomic_load_explicit(&cancelled, memory_order_acquire) != request->id) {
        apply(request);
        current.id = request->id;
        current.frames = 0;
        current.active = 1;
        espeak_ERROR status = espeak_Synth(request->ssml, strlen(request->ssml) + 1, 0, POS_CHARACTER, 0,
            espeakCHARS_UTF8 | espeakSSML, NULL, NULL);
        current.active = 0;
        if (status != EE_OK && atomic_load_explicit(&cancelled, memory_order_acquire) != request->id) {
            char text[64];
            snprintf(text, sizeof text, "synthesis failed (espeak error %d)", (int)status);
            send_text(HERALD_ESPEAK_KIND_FAILED, request->id, text);
            return;
        }
    }
    struct frame *frame = frame_begin(HERALD_ESPEAK_KIND_END, 4);
    frame_u32(frame, request->id);
    frame_send(frame);
}

// MARK: Main

/// SwiftPM links every executable with the Swift toolchain's start-up object,
/// whose constructor registers the image's Swift metadata with the runtime;
/// this program has none. Defining the registration here keeps the runtime's
/// archive members out of the link (about 300 KB resident: its data,
/// relocated at every start, and the code the registration runs).
void swift_addNewDSOImage(const void *sections);
void swift_addNewDSOImage(const void *sections) { (void)sections; }

int main(int argc, char **argv) {
    // Dies with heraldd; heraldd passes its pid, so a parent that died before
    // PR_SET_PDEATHSIG took is noticed. Non-dumpable as heraldd is (exec resets it).
    prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    char *end;
    long parent = argc > 1 ? strtol(argv[1], &end, 10) : 0;
    if (argc > 1 && !*end && getppid() != (pid_t)parent) return 0;
    // Keeps only what it was handed, even if a library of heraldd left a descriptor open.
    syscall(SYS_close_range, (unsigned int)HERALD_ESPEAK_SOCKET + 1, ~0U, 0);
    signal(SIGPIPE, SIG_IGN);
    sem_init(&wakeup, 0, 0);

    sample_rate = espeak_Initialize(AUDIO_OUTPUT_SYNCHRONOUS, 40, NULL, espeakINITIALIZE_DONT_EXIT);
    if (sample_rate <= 0) {
        struct frame *frame = frame_begin(HERALD_ESPEAK_KIND_START_FAILED, 80);
        frame_string(frame, "libespeak-ng could not load its data; install the espeak-ng-data package");
        frame_send(frame);
        return 1;
    }
    espeak_SetSynthCallback(synth_callback);
    send_ready();

    pthread_t reader;
    if (pthread_create(&reader, NULL, read_requests, NULL) != 0) return 1;
    for (;;) {
        while (sem_wait(&wakeup) != 0) {}
        pthread_mutex_lock(&pending_lock);
        struct request *request = pending_first;
        if (request) {
            pending_first = request->next;
            if (!pending_first) pending_last = NULL;
        }
        pthread_mutex_unlock(&pending_lock);
        if (!request) continue;
        run(request);
        free(request->voice);
        free(request->language);
        free(request->ssml);
        free(request);
    }
}
