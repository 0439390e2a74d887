#!/usr/bin/env bash
# Runs the libFuzzer targets of tests/fuzz (README "Fuzzing"):
#   tools/fuzz.sh [seconds-per-target] [target...]     (default: 60 s, all)
# Builds build-fuzz (clang, -DOVERLAYD_FUZZ=ON) first, then runs the targets
# one after another, each on its checked-in seeds and dictionary. New inputs
# go to build-fuzz/fuzz-corpus/<target> (kept between runs, so long runs
# add up; the checked-in corpus is only read), crash inputs to
# build-fuzz/fuzz-artifacts/ (or $FUZZ_ARTIFACTS), logs beside them.
# Exits non-zero when any target crashed, leaked, timed out or ran out of
# memory. Environment: FUZZ_BUILD_LOCK, a file to flock around the build
# (shared machines); FUZZ_JOBS, build parallelism (default nproc).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build_dir="$root/build-fuzz"
seconds="${1:-60}"
shift || true
all_targets=(fuzz_frame_reader fuzz_json fuzz_msgpack fuzz_uapi fuzz_wg_device fuzz_stun
             fuzz_relay fuzz_dns)
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=("${all_targets[@]}")

# The target's dictionary, if it has one.
dict_of() {
  case "$1" in
    fuzz_json) echo "$root/tests/fuzz/json.dict" ;;
    fuzz_msgpack) echo "$root/tests/fuzz/msgpack.dict" ;;
    fuzz_uapi) echo "$root/tests/fuzz/uapi.dict" ;;
    *) echo "" ;;
  esac
}

for t in "${targets[@]}"; do
  case " ${all_targets[*]} " in *" $t "*) ;; *) echo "fuzz: unknown target $t" >&2; exit 2 ;; esac
done

# RelWithDebInfo: -O2 runs several times the executions of -O0 per second,
# -g keeps the stacks readable, and the fuzz option keeps assert() on.
echo "== fuzz: building $build_dir"
launcher=()
if command -v ccache >/dev/null; then
  launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
fi
build=(env CC=clang CXX=clang++ BUILD_DIR="$build_dir" BUILD_TYPE=RelWithDebInfo
       "$root/scripts/build.sh" -DOVERLAYD_FUZZ=ON "${launcher[@]}")
if [ -n "${FUZZ_BUILD_LOCK:-}" ]; then
  flock "$FUZZ_BUILD_LOCK" "${build[@]}"
else
  "${build[@]}"
fi

artifacts="${FUZZ_ARTIFACTS:-$build_dir/fuzz-artifacts}"
mkdir -p "$artifacts"
echo "== fuzz: ${seconds} s per target; crash inputs and logs in $artifacts"
# Any sanitizer report ends the run with a stack; leaks count as findings.
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

failed=()
summary=()
for t in "${targets[@]}"; do
  corpus="$build_dir/fuzz-corpus/$t"
  mkdir -p "$corpus"
  log="$artifacts/$t.log"
  args=(-max_total_time="$seconds" -print_final_stats=1 -timeout=5 -rss_limit_mb=2048
        -artifact_prefix="$artifacts/$t-")
  dict="$(dict_of "$t")"
  [ -n "$dict" ] && args+=(-dict="$dict")
  rc=0
  # Writable corpus first: libFuzzer adds new inputs only to the first one.
  nice "$build_dir/bin/$t" "${args[@]}" "$corpus" "$root/tests/fuzz/corpus/$t" >"$log" 2>&1 || rc=$?
  execs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)"
  last="$(grep -E '^#[0-9]+' "$log" | tail -1 || true)"
  cov="$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")"
  ft="$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")"
  corp="$(sed -n 's/.* corp: \([0-9]*\)\/.*/\1/p' <<<"$last")"
  line="$t: execs ${execs:-?} cov: ${cov:-?} ft: ${ft:-?} corpus: ${corp:-?} in ${seconds} s"
  if [ "$rc" -ne 0 ]; then
    line="$line FAILED (exit $rc; see $log)"
    failed+=("$t")
    grep -E '^(==[0-9]+==ERROR|SUMMARY:|.*property failed|.*runtime error|artifact_prefix|Test unit written)' \
      "$log" | head -8 | sed 's/^/    /' || true
  fi
  echo "$line"
  summary+=("$line")
done

echo "== fuzz: summary"
printf '%s\n' "${summary[@]}"
if [ ${#failed[@]} -ne 0 ]; then
  echo "fuzz: findings in ${failed[*]}; inputs in $artifacts" >&2
  exit 1
fi
