/*
 * LD_PRELOAD shim for the latency benchmark: timestamps the moments a daemon
 * hands audio to ALSA and takes it back.
 *
 * Every snd_pcm_writei / snd_pcm_writen that accepted frames, every
 * snd_pcm_drop, snd_pcm_drain, snd_pcm_prepare and snd_pcm_close appends one
 * line to the file named by $BENCH_ALSA_LOG:
 *
 *     <CLOCK_MONOTONIC ns> <pid> <call> <frames or result> <delay> <rate> <ring>
 *
 * `delay` is snd_pcm_delay() right after a write, in frames: the audio queued
 * ahead of the speaker at that moment, the sound server's share included.
 * `ring` is the part still in the ALSA buffer (buffer size − snd_pcm_avail):
 * what the daemon itself holds ahead. One write(2) per line on an O_APPEND descriptor,
 * so lines from several processes (speech-dispatcher and its module) never
 * interleave. Built by bench/run; never installed.
 */
#define _GNU_SOURCE
#include <alsa/asoundlib.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static int log_fd = -2;

static void log_line(const char *call, long value, long delay, unsigned rate, long ring) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (log_fd == -2) {
        const char *path = getenv("BENCH_ALSA_LOG");
        log_fd = path ? open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600) : -1;
    }
    if (log_fd < 0) return;
    char line[160];
    int length = snprintf(line, sizeof line, "%lld %d %s %ld %ld %u %ld\n",
                          (long long)now.tv_sec * 1000000000LL + now.tv_nsec, (int)getpid(), call, value, delay, rate, ring);
    if (length > 0) (void)!write(log_fd, line, (size_t)length);
}

static unsigned rate_of(snd_pcm_t *pcm, snd_pcm_uframes_t *buffer) {
    snd_pcm_hw_params_t *params;
    snd_pcm_hw_params_alloca(&params);
    unsigned rate = 0;
    *buffer = 0;
    if (snd_pcm_hw_params_current(pcm, params) == 0) {
        snd_pcm_hw_params_get_rate(params, &rate, NULL);
        snd_pcm_hw_params_get_buffer_size(params, buffer);
    }
    return rate;
}

static void log_write(const char *call, snd_pcm_t *pcm, snd_pcm_sframes_t written) {
    if (written <= 0) return;
    snd_pcm_sframes_t delay = -1;
    if (snd_pcm_delay(pcm, &delay) < 0) delay = -1;
    snd_pcm_uframes_t buffer;
    unsigned rate = rate_of(pcm, &buffer);
    snd_pcm_sframes_t avail = snd_pcm_avail_update(pcm);
    long ring = avail >= 0 && buffer > 0 ? (long)buffer - (long)avail : -1;
    log_line(call, (long)written, (long)delay, rate, ring);
}

#define REAL(name) \
    static __typeof__(name) *real = NULL; \
    if (!real) real = (__typeof__(name) *)dlsym(RTLD_NEXT, #name)

snd_pcm_sframes_t snd_pcm_writei(snd_pcm_t *pcm, const void *buffer, snd_pcm_uframes_t size) {
    REAL(snd_pcm_writei);
    snd_pcm_sframes_t written = real(pcm, buffer, size);
    log_write("writei", pcm, written);
    return written;
}

snd_pcm_sframes_t snd_pcm_writen(snd_pcm_t *pcm, void **bufs, snd_pcm_uframes_t size) {
    REAL(snd_pcm_writen);
    snd_pcm_sframes_t written = real(pcm, bufs, size);
    log_write("writen", pcm, written);
    return written;
}

int snd_pcm_drop(snd_pcm_t *pcm) {
    REAL(snd_pcm_drop);
    int result = real(pcm);
    log_line("drop", result, -1, 0, -1);
    return result;
}

int snd_pcm_drain(snd_pcm_t *pcm) {
    REAL(snd_pcm_drain);
    int result = real(pcm);
    log_line("drain", result, -1, 0, -1);
    return result;
}

int snd_pcm_prepare(snd_pcm_t *pcm) {
    REAL(snd_pcm_prepare);
    int result = real(pcm);
    log_line("prepare", result, -1, 0, -1);
    return result;
}

int snd_pcm_close(snd_pcm_t *pcm) {
    REAL(snd_pcm_close);
    int result = real(pcm);
    log_line("close", result, -1, 0, -1);
    return result;
}
