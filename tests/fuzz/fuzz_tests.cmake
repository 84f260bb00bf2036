# The fuzz targets as CTest tests (label `fuzz`), included from tests/CMakeLists.txt. They are
# built by run-fuzz.sh with clang++ into <build>/fuzz (its own CMake project, CMakeLists.txt
# here), then each runs a bounded number of iterations. Every test skips (exit 77) where clang++
# or libFuzzer is missing. More iterations: tests/fuzz/run-fuzz.sh 100000 (bench/README.md).
set(FUZZ_SCRIPT ${CMAKE_CURRENT_LIST_DIR}/run-fuzz.sh)
# A fixed seed and a fresh corpus: the same code gives the same inputs, so a test never fails
# by chance (longer runs with random seeds find new things: bench/README.md).
set(FUZZ_ENV "FINEPRUNE_FUZZ_BUILD=${CMAKE_BINARY_DIR}/fuzz" FINEPRUNE_FUZZ_FRESH=1 FUZZ_ARGS=-seed=1)
set(FUZZ_CI_ITERATIONS 3000 CACHE STRING "Iterations per fuzz target in the fuzz tests")

add_test(NAME fuzz_build COMMAND ${FUZZ_SCRIPT} --build-only)
set_tests_properties(fuzz_build PROPERTIES
  LABELS fuzz SKIP_RETURN_CODE 77 TIMEOUT 900 ENVIRONMENT "${FUZZ_ENV}"
  FIXTURES_SETUP fuzz_targets PROCESSORS 2)

foreach(target idx cifar10 hdf5_images experiment_spec checkpoint training_state)
  add_test(NAME fuzz_${target}
           COMMAND ${FUZZ_SCRIPT} --run-only ${FUZZ_CI_ITERATIONS} fuzz_${target})
  set_tests_properties(fuzz_${target} PROPERTIES
    LABELS fuzz SKIP_RETURN_CODE 77 TIMEOUT 300 ENVIRONMENT "${FUZZ_ENV}"
    FIXTURES_REQUIRED fuzz_targets)
endforeach()

# The generated reproducers of past findings (tests/fuzz/README.md), each a hard failure.
add_test(NAME fuzz_regressions COMMAND ${FUZZ_SCRIPT} --regressions)
set_tests_properties(fuzz_regressions PROPERTIES
  LABELS fuzz SKIP_RETURN_CODE 77 TIMEOUT 300 ENVIRONMENT "${FUZZ_ENV}"
  FIXTURES_REQUIRED fuzz_targets)
