# The test-only sink plugins, shared by tests/sdk and tests/plugins (each
# includes this file; the guard builds them once). They go to their own
# directory, not the real plugin directory, so `spsync sinks` in the build
# tree lists only real sinks.

# Set before the guard: every includer needs the variable in its own scope.
set(SPSYNC_TEST_SINK_DIR "${CMAKE_BINARY_DIR}/lib/spsync/test-sinks")
include_guard(GLOBAL)
set(_sinks "${CMAKE_CURRENT_LIST_DIR}/sinks")

# spsync_add_test_sink(<name> SOURCES ... [INCLUDE <dir>]): like a vendor's
# plugin; INCLUDE replaces the SDK's include directory (for the frozen header).
function(spsync_add_test_sink name)
  cmake_parse_arguments(ARG "" "INCLUDE" "SOURCES" ${ARGN})
  set(target spsync_test_sink_${name})
  add_library(${target} MODULE ${ARG_SOURCES})
  spsync_target_defaults(${target})
  if(ARG_INCLUDE)
    target_include_directories(${target} PRIVATE ${ARG_INCLUDE})
  else()
    target_link_libraries(${target} PRIVATE spsync::sdk)
  endif()
  set_target_properties(${target} PROPERTIES
    PREFIX "libspsync-sink-" OUTPUT_NAME ${name}
    C_STANDARD 99 C_STANDARD_REQUIRED ON C_EXTENSIONS OFF
    CXX_STANDARD 17
    LIBRARY_OUTPUT_DIRECTORY ${SPSYNC_TEST_SINK_DIR})
  target_compile_options(${target} PRIVATE $<$<COMPILE_LANGUAGE:C>:-pedantic>)
  target_link_options(${target} PRIVATE -Wl,--no-undefined)
endfunction()

# Built against ONLY the frozen 1.0 header: proves an older minor still loads.
spsync_add_test_sink(abi10 SOURCES ${_sinks}/abi10_sink.c INCLUDE ${CMAKE_CURRENT_LIST_DIR}/abi_v1_0)
# Built against ONLY the frozen 1.1 header: the 1.2 host never calls it
# through a 1.2 member.
spsync_add_test_sink(abi11 SOURCES ${_sinks}/abi11_sink.c INCLUDE ${CMAKE_CURRENT_LIST_DIR}/abi_v1_1)
spsync_add_test_sink(major2 SOURCES ${_sinks}/major2_sink.c)
spsync_add_test_sink(noentry SOURCES ${_sinks}/noentry_sink.c)
spsync_add_test_sink(bad SOURCES ${_sinks}/bad_sink.c)
spsync_add_test_sink(throwing SOURCES ${_sinks}/throwing_sink.cpp)
spsync_add_test_sink(memory SOURCES ${_sinks}/memory_sink.cpp)
spsync_add_test_sink(vtable SOURCES ${_sinks}/vtable_sink.c)

add_custom_target(spsync_test_sinks DEPENDS
  spsync_test_sink_abi10 spsync_test_sink_abi11 spsync_test_sink_major2 spsync_test_sink_noentry
  spsync_test_sink_bad spsync_test_sink_throwing spsync_test_sink_memory
  spsync_test_sink_vtable)
