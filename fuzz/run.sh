#!/bin/sh
# Builds Herald's libFuzzer targets and runs each for a bounded time.
#
#   fuzz/run.sh [SECONDS] [TARGET...]     SECONDS per target (default 60);
#                                         TARGETs among: ssip text config dbus (default all)
#
# Each target starts from its seeds in fuzz/corpus/<target>/ (kept in the
# repository) and grows a working corpus in .build-fuzz/corpus/<target>/
# (not kept). A crash, a sanitizer report, a leak, an input slower than
# FUZZ_TIMEOUT seconds or memory past FUZZ_RSS_MB fails the script; the input
# that did it is left in fuzz/artifacts/ for a regression test, and can be
# replayed with:  .build-fuzz/debug/Fuzz<Target> fuzz/artifacts/<file>
set -eu
cd "$(dirname "$0")/.."

seconds=${1:-60}
[ $# -gt 0 ] && shift
targets=${*:-ssip text config dbus}
rss_mb=${FUZZ_RSS_MB:-2048}
timeout=${FUZZ_TIMEOUT:-10}
scratch=.build-fuzz

product() {
    case $1 in
        ssip) echo FuzzSSIP ;;
        text) echo FuzzText ;;
        config) echo FuzzConfig ;;
        dbus) echo FuzzDBus ;;
        *) echo "unknown fuzz target: $1 (use ssip, text, config or dbus)" >&2; exit 2 ;;
    esac
}

# The longest input each target is given: room for a few SSIP commands with
# a long line (the harness's line limit is 256 bytes), a page of text, a config
# file, a large D-Bus message.
max_len() {
    case $1 in
        ssip) echo 4096 ;;
        text) echo 4096 ;;
        config) echo 4096 ;;
        dbus) echo 8192 ;;
    esac
}

export HERALD_FUZZ=1
for target in $targets; do
    name=$(product "$target")
    echo "== building $name" >&2
    # SwiftPM's own --sanitize fuzzer (not only -Xswiftc): with it, SwiftPM lets
    # libFuzzer's main stand instead of renaming the target's entry point.
    #
    # Not also `--sanitize address`: SwiftPM passes each sanitizer as its own
    # `-sanitize=` flag, in the order of a Set (random per run), and the Swift
    # driver gives the compiler only the LAST one (the linker gets both). So each
    # build had either coverage or AddressSanitizer in the Swift code, never
    # both, and each new order rebuilt everything. One comma-joined flag, given
    # after SwiftPM's, reaches the compiler whole; -Xcc/-Xcxx add ASan to the
    # C and C++ targets (toml++), which `--sanitize address` used to do.
    swift build --scratch-path "$scratch" -c debug --product "$name" \
        --sanitize fuzzer -Xswiftc -sanitize=fuzzer,address \
        -Xcc -fsanitize=address -Xcxx -fsanitize=address -Xswiftc -parse-as-library >&2
done

# Set only now: SwiftPM rebuilds everything when the environment it builds in changes.
# Leaks in dependencies, each with its reason, are listed in fuzz/lsan.supp.
export LSAN_OPTIONS="suppressions=$PWD/fuzz/lsan.supp:print_suppressions=0"
# libFuzzer and ASan print the stack; Swift's own backtracer would only add
# minutes (and trips ASan reading the crashed process's memory).
export SWIFT_BACKTRACE=enable=no

mkdir -p fuzz/artifacts
failed=""
for target in $targets; do
    name=$(product "$target")
    work="$scratch/corpus/$target"
    mkdir -p "$work"
    if [ "$target" = dbus ]; then
        # Real, marshalled method calls of org.herald.Speech1 as extra seeds.
        HERALD_FUZZ_SEEDS="$work" "$scratch/debug/$name" -runs=0 "$work" >/dev/null 2>&1 || true
    fi
    # The kept seeds, if the target has any (dbus makes its own, above).
    seeds=fuzz/corpus/$target
    [ -d "$seeds" ] || seeds=""
    log="$scratch/fuzz-$target.log"
    echo "== fuzzing $target for ${seconds}s (log: $log)" >&2
    # shellcheck disable=SC2086 # $seeds is one folder or none
    if "$scratch/debug/$name" "$work" $seeds \
        -max_total_time="$seconds" -rss_limit_mb="$rss_mb" -malloc_limit_mb="$rss_mb" \
        -max_len="$(max_len "$target")" -timeout="$timeout" -detect_leaks=1 \
        -artifact_prefix="fuzz/artifacts/$target-" -print_final_stats=1 >"$log" 2>&1
    then
        grep -E "^(#[0-9]+.*DONE|stat::number_of_executed_units|stat::peak_rss_mb)" "$log" | tr '\n' ' ' >&2
        echo >&2
        # libFuzzer prints no cov: figure when no instrumented edge ran: the run
        # was blind mutation, which is no evidence of anything.
        if ! grep -q "INITED cov: [1-9]" "$log"; then
            echo "!! $target ran without coverage feedback (no cov: at INITED); is the code instrumented?" >&2
            failed="$failed $target"
        fi
    else
        echo "!! $target failed; the end of its log:" >&2
        tail -n 40 "$log" >&2
        failed="$failed $target"
    fi
done

if [ -n "$failed" ]; then
    echo "fuzzing found problems in:$failed (inputs in fuzz/artifacts/)" >&2
    exit 1
fi
echo "fuzzing: no crash, leak, timeout or memory blow-up in: $targets" >&2
