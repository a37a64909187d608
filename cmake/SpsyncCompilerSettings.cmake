# Compiler settings shared by every target we own.
#
# Third-party headers come in through imported targets, which CMake already
# treats as SYSTEM includes, so -Werror applies to our code only.

find_program(CCACHE_PROGRAM ccache)
if(CCACHE_PROGRAM)
  set(CMAKE_C_COMPILER_LAUNCHER ${CCACHE_PROGRAM})
  set(CMAKE_CXX_COMPILER_LAUNCHER ${CCACHE_PROGRAM})
endif()

if(SPSYNC_SANITIZE)
  # Applied globally so every object, plugin and test agrees on the runtime.
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
  add_compile_definitions(SPSYNC_SANITIZED=1)
endif()

# spsync_target_defaults(<target>): warnings as errors and hidden visibility.
function(spsync_target_defaults target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Werror)
  set_target_properties(${target} PROPERTIES
    CXX_VISIBILITY_PRESET hidden
    C_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON)
endfunction()

# spsync_add_sink_plugin(<name> SOURCES ... [LIBRARIES ...]): a sink built the
# way a vendor would build one: against the SDK only, as a MODULE library with
# hidden visibility that exports just the entry point.
function(spsync_add_sink_plugin name)
  cmake_parse_arguments(ARG "" "" "SOURCES;LIBRARIES" ${ARGN})
  set(target spsync_sink_${name})
  add_library(${target} MODULE ${ARG_SOURCES})
  spsync_target_defaults(${target})
  target_link_libraries(${target} PRIVATE spsync::sdk ${ARG_LIBRARIES})
  set_target_properties(${target} PROPERTIES
    PREFIX "libspsync-sink-"
    OUTPUT_NAME ${name}
    LIBRARY_OUTPUT_DIRECTORY ${SPSYNC_PLUGIN_BUILD_DIR})
  # Refuse undefined symbols at link time instead of at dlopen time.
  target_link_options(${target} PRIVATE -Wl,--no-undefined)
  install(TARGETS ${target} LIBRARY DESTINATION ${SPSYNC_PLUGIN_INSTALL_DIR})
endfunction()
