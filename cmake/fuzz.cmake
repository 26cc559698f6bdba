# Fuzz targets for every parser of the project: one LLVMFuzzerTestOneInput per parser under
# tests/fuzz/, built two ways from the same source.
#
# - With clang and -DHUB_FUZZ=ON (deploy/fuzz.sh, build-fuzz/): a real libFuzzer binary
#   (-fsanitize=fuzzer,address,undefined). The whole build is instrumented for coverage and the
#   sanitizers (-fsanitize=fuzzer-no-link), so the libraries under test are too.
# - Otherwise (GCC, the default build): the same function linked with
#   tests/fuzz/standalone_fuzz_main.cpp, a driver that replays the seed corpus and then a fixed
#   number of deterministic mutations of it; registered with CTest under its name (a few seconds).
#
#   hub_add_fuzzer(NAME SOURCES... LIBS libs... CORPUS dirs-or-files... [DICT file] [RUNS n])
#
# Every target is listed in ${CMAKE_BINARY_DIR}/fuzz/targets.txt (name|dict|corpus;...) for
# deploy/fuzz.sh.
option(HUB_FUZZ "Build libFuzzer targets (clang only; see deploy/fuzz.sh)" OFF)

if(HUB_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "HUB_FUZZ needs clang (CC=clang CXX=clang++), not ${CMAKE_CXX_COMPILER_ID}")
  endif()
  add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
endif()

set(HUB_FUZZ_MANIFEST ${CMAKE_BINARY_DIR}/fuzz/targets.txt)
file(WRITE ${HUB_FUZZ_MANIFEST} "")

function(hub_add_fuzzer name)
  cmake_parse_arguments(F "" "DICT;RUNS" "SOURCES;LIBS;CORPUS" ${ARGN})
  if(NOT F_SOURCES)
    set(F_SOURCES ${F_UNPARSED_ARGUMENTS})
  endif()
  if(NOT F_RUNS)
    set(F_RUNS 3000)
  endif()
  if(HUB_FUZZ)
    add_executable(${name} ${F_SOURCES})
    target_link_options(${name} PRIVATE -fsanitize=fuzzer,address,undefined)
  else()
    add_executable(${name} ${F_SOURCES} ${PROJECT_SOURCE_DIR}/tests/fuzz/standalone_fuzz_main.cpp)
    set(dict_args "")
    if(F_DICT)
      set(dict_args --dict ${F_DICT})
    endif()
    add_test(NAME ${name} COMMAND ${name} --runs ${F_RUNS} --seed 1 ${dict_args} ${F_CORPUS})
    set_tests_properties(${name} PROPERTIES TIMEOUT 120 LABELS fuzz)
  endif()
  target_link_libraries(${name} PRIVATE ${F_LIBS})
  string(REPLACE ";" "," corpus "${F_CORPUS}")
  file(APPEND ${HUB_FUZZ_MANIFEST} "${name}|${F_DICT}|${corpus}\n")
endfunction()
