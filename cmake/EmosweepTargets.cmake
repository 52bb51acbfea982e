# Shared compile settings for every emosweep target.
add_library(emosweep_options INTERFACE)
target_compile_options(emosweep_options INTERFACE -Wall -Wextra -Wpedantic)
# GCC 12 reports false -Wrestrict positives inside libstdc++'s string concatenation at -O3
# (GCC bug 105329); they are not ours to fix.
# GCC 12 also misreads Asio's coroutine-frame allocator as a mismatched new/delete pair when
# it inlines across the frame (seen at -O2).
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
  target_compile_options(emosweep_options INTERFACE -Wno-restrict -Wno-mismatched-new-delete)
endif()
if(EMOSWEEP_WERROR)
  target_compile_options(emosweep_options INTERFACE -Werror)
endif()
if(EMOSWEEP_SANITIZE MATCHES "thread" AND CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
  # GCC warns that TSan does not model the atomic_thread_fence Asio uses; not ours to fix.
  target_compile_options(emosweep_options INTERFACE -Wno-tsan)
endif()
if(EMOSWEEP_SANITIZE)
  target_compile_options(emosweep_options INTERFACE -fsanitize=${EMOSWEEP_SANITIZE} -fno-omit-frame-pointer
                                                    -fno-sanitize-recover=all)
  target_link_options(emosweep_options INTERFACE -fsanitize=${EMOSWEEP_SANITIZE})
endif()
target_include_directories(emosweep_options INTERFACE ${PROJECT_SOURCE_DIR})
# Asio: coroutines, no deprecated names; Beast: header-only in every TU that includes it.
target_compile_definitions(emosweep_options INTERFACE
  BOOST_ASIO_NO_DEPRECATED BOOST_ASIO_DISABLE_BOOST_COROUTINE
  EMOSWEEP_VERSION="${PROJECT_VERSION}"
  EMOSWEEP_SOURCE_DIR="${PROJECT_SOURCE_DIR}")

# emosweep_library(NAME SOURCES ... DEPS ...): one folder = one library.
function(emosweep_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_library(${name} STATIC ${ARG_SOURCES})
  target_link_libraries(${name} PUBLIC emosweep_options ${ARG_DEPS})
endfunction()

# emosweep_test(NAME SOURCES ... DEPS ... LABELS ...): one gtest executable per suite.
function(emosweep_test name)
  cmake_parse_arguments(ARG "" "TIMEOUT" "SOURCES;DEPS;LABELS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE emosweep_options ${ARG_DEPS} GTest::gtest GTest::gtest_main
                                        GTest::gmock)
  target_compile_definitions(${name} PRIVATE
    EMOSWEEP_SHARED_DIR="${PROJECT_SOURCE_DIR}/../shared"
    EMOSWEEP_BINARY_DIR="${PROJECT_BINARY_DIR}")
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 300)
  endif()
  # gtest_discover_tests loses the ';' of a list-valued property, so several labels become one
  # joined with '-' ("unit-concurrent"); `ctest -L` matches labels by regular expression, so
  # `-L unit` and `-L concurrent` both select it.
  string(REPLACE ";" "-" _labels "${ARG_LABELS}")
  gtest_discover_tests(${name} PROPERTIES LABELS "${_labels}" TIMEOUT ${ARG_TIMEOUT}
                       DISCOVERY_TIMEOUT 60)
  emosweep_register_test_target(${name} "${ARG_LABELS}")
endfunction()

# Every unit test executable joins `unit_tests` and every concurrent one `concurrent_tests`,
# so that the sanitizer trees build only what they run.
function(emosweep_register_test_target name labels)
  if("unit" IN_LIST labels)
    set_property(GLOBAL APPEND PROPERTY EMOSWEEP_UNIT_TESTS ${name})
  endif()
  if("concurrent" IN_LIST labels)
    set_property(GLOBAL APPEND PROPERTY EMOSWEEP_CONCURRENT_TESTS ${name})
  endif()
endfunction()
