# The fuzz targets (tests/fuzz/fuzz_<name>.c), one per parser of untrusted input, and their seed corpora.
# With FV_FUZZ (clang): libFuzzer binaries, everything instrumented (CMakeLists.txt), run by tests/fuzz/run.sh.
# Otherwise (any compiler): the same targets linked with tests/fuzz/driver.c, registered in ctest, where each
# replays the generated seed corpus and the kept crash inputs (tests/fuzz/regressions/<name>/) once.
set(FV_FUZZ_TARGETS caffe graphdef onnx jobs objective npy png jpeg)
get_target_property(fv_app_sources fv_app SOURCES)
if("host/app/journal.c" IN_LIST fv_app_sources) # the journal parser, once fv_app has it
  list(APPEND FV_FUZZ_TARGETS journal)
endif()

# The seed corpora: small valid files of every kind, written by the tests (ctest fixture fuzz_seeds) or run.sh.
add_executable(make_fuzz_seeds tests/fuzz/seeds.c tests/fuzz/seeds_models.c tests/fuzz/seeds_onnx.c tests/fuzz/seeds_images.c
  tests/tf_writer.c tests/onnx_writer.c)
target_include_directories(make_fuzz_seeds PRIVATE ${FV_INCLUDES} tests ${FV_GEN})
target_compile_options(make_fuzz_seeds PRIVATE ${FV_C_WARNINGS})
target_link_libraries(make_fuzz_seeds PRIVATE fv_models fv_io fv_core PkgConfig::PROTOBUFC PkgConfig::PNG PkgConfig::JPEG)

add_custom_target(fuzz_targets)
add_dependencies(fuzz_targets make_fuzz_seeds)
foreach(t ${FV_FUZZ_TARGETS})
  if(FV_FUZZ)
    add_executable(fuzz_${t} tests/fuzz/fuzz_${t}.c tests/fuzz/fuzz_util.c)
    target_link_options(fuzz_${t} PRIVATE -fsanitize=fuzzer)
  else()
    add_executable(fuzz_${t} tests/fuzz/fuzz_${t}.c tests/fuzz/fuzz_util.c tests/fuzz/driver.c)
  endif()
  target_include_directories(fuzz_${t} PRIVATE ${FV_INCLUDES} tests)
  target_compile_options(fuzz_${t} PRIVATE ${FV_C_WARNINGS})
  target_link_libraries(fuzz_${t} PRIVATE featvis)
  add_dependencies(fuzz_targets fuzz_${t})
endforeach()

if(FV_BUILD_TESTS AND NOT FV_FUZZ)
  add_test(NAME fuzz_seeds COMMAND sh -c "rm -rf fuzz-seeds && $<TARGET_FILE:make_fuzz_seeds> fuzz-seeds")
  set_tests_properties(fuzz_seeds PROPERTIES FIXTURES_SETUP fuzz_seeds)
  foreach(t ${FV_FUZZ_TARGETS})
    set(dirs ${CMAKE_BINARY_DIR}/fuzz-seeds/${t})
    if(EXISTS ${CMAKE_SOURCE_DIR}/tests/fuzz/regressions/${t})
      list(APPEND dirs ${CMAKE_SOURCE_DIR}/tests/fuzz/regressions/${t})
    endif()
    add_test(NAME fuzz_${t} COMMAND fuzz_${t} -v ${dirs})
    set_tests_properties(fuzz_${t} PROPERTIES FIXTURES_REQUIRED fuzz_seeds
      ENVIRONMENT "OMP_WAIT_POLICY=passive;FV_SHARED_DIR=${FV_SHARED_DIR}")
    if(FV_CUDA_EMULATE)
      set_tests_properties(fuzz_${t} PROPERTIES DISABLED TRUE)
    endif()
  endforeach()
  if(FV_CUDA_EMULATE)
    set_tests_properties(fuzz_seeds PROPERTIES DISABLED TRUE)
  endif()
endif()
