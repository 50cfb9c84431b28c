#pragma once

// The constants of the protocol between heraldd and its herald-espeak helper,
// in the one place both sides read them: the helper's C (Sources/herald-espeak/
// main.c) includes this header, and the Swift side (Sources/HeraldEspeakProtocol/
// EspeakWire.swift, which describes each frame's fields) imports it. A kind
// changed here is changed for both, and the end-to-end tests run the two together.

/// The descriptor the helper finds its socket on.
#define HERALD_ESPEAK_SOCKET 3
/// Frames larger than this are a broken peer, not a long text.
#define HERALD_ESPEAK_MAXIMUM_FRAME (64u << 20)

// The kind byte after each frame's length. heraldd → helper:
#define HERALD_ESPEAK_KIND_SPEAK 0x01
#define HERALD_ESPEAK_KIND_CANCEL 0x02
// helper → heraldd:
#define HERALD_ESPEAK_KIND_READY 0x81
#define HERALD_ESPEAK_KIND_AUDIO 0x82
#define HERALD_ESPEAK_KIND_MARK 0x83
#define HERALD_ESPEAK_KIND_NOTICE 0x84
#define HERALD_ESPEAK_KIND_END 0x85
#define HERALD_ESPEAK_KIND_FAILED 0x86
#define HERALD_ESPEAK_KIND_START_FAILED 0x87
