# The fuzz targets in fuzz/ built with a plain main() (fuzz/replay_main.cc)
# that replays their seed corpus and the inputs of past crashes
# (fuzz/regressions/<target>/). Runs in every build, under the sanitizers in
# the ASan build. Fuzzing itself is fuzz/build.sh and fuzz/run.sh.
set(TRUSTCOACH_FUZZ_DIR ${CMAKE_SOURCE_DIR}/fuzz)
set(TRUSTCOACH_REPLAYED normalize engine_turn dialog_loader session)
if(TARGET trustcoach_server)
  list(APPEND TRUSTCOACH_REPLAYED api_request)
endif()
foreach(name ${TRUSTCOACH_REPLAYED})
  add_executable(${name}_replay ${TRUSTCOACH_FUZZ_DIR}/${name}_fuzzer.cc
                                ${TRUSTCOACH_FUZZ_DIR}/replay_main.cc)
  target_include_directories(${name}_replay PRIVATE ${CMAKE_SOURCE_DIR})
  target_compile_definitions(${name}_replay PRIVATE
    TRUSTCOACH_DIALOGS_DIR="${TRUSTCOACH_DIALOGS_DIR}"
    TRUSTCOACH_FUZZ_DIALOGS_DIR="${CMAKE_SOURCE_DIR}/tests/engine/testdata/dialogs")
  target_link_libraries(${name}_replay PRIVATE trustcoach_engine trustcoach_warnings)
  if(name STREQUAL "api_request")
    target_link_libraries(${name}_replay PRIVATE trustcoach_server)
  endif()
  set(inputs ${TRUSTCOACH_FUZZ_DIR}/corpus/${name})
  if(EXISTS ${TRUSTCOACH_FUZZ_DIR}/regressions/${name})
    list(APPEND inputs ${TRUSTCOACH_FUZZ_DIR}/regressions/${name})
  endif()
  add_test(NAME fuzz_replay_${name} COMMAND ${name}_replay ${inputs})
  set_tests_properties(fuzz_replay_${name} PROPERTIES TIMEOUT 600 LABELS fuzz)
endforeach()
