# Builds samples/vendor-sink the way a vendor would: install the SDK into a
# fresh prefix, then configure the sample with only that prefix on
# CMAKE_PREFIX_PATH. Fails if the sample's build saw anything of the
# repository (its compile commands are checked for the source tree's paths).
#
# -DBINARY_DIR -DSOURCE_DIR -DREPO_DIR -DWORK_DIR -DGENERATOR -DBUILD_TYPE -DSANITIZE

function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
  if(NOT rc EQUAL 0)
    string(REPLACE ";" " " cmd "${ARGN}")
    message(FATAL_ERROR "failed (${rc}): ${cmd}\n${out}")
  endif()
endfunction()

file(REMOVE_RECURSE ${WORK_DIR})
file(MAKE_DIRECTORY ${WORK_DIR})
set(prefix ${WORK_DIR}/prefix)

# Only the SDK component: the rest of the project need not be built for this.
run(${CMAKE_COMMAND} --install ${BINARY_DIR} --component sdk --prefix ${prefix})
if(NOT EXISTS ${prefix}/include/spsync/sink.h OR NOT EXISTS ${prefix}/include/spsync/sink.hpp)
  message(FATAL_ERROR "the SDK install did not put the headers in ${prefix}/include/spsync")
endif()

set(flags "-Wall -Wextra -Werror")
if(SANITIZE)
  # The host runs under ASan; a plugin it loads must agree on the runtime.
  string(APPEND flags " -fsanitize=address,undefined -fno-omit-frame-pointer")
endif()
run(${CMAKE_COMMAND} -S ${SOURCE_DIR} -B ${WORK_DIR}/build -G ${GENERATOR}
    -DCMAKE_PREFIX_PATH=${prefix}
    -DCMAKE_BUILD_TYPE=${BUILD_TYPE}
    -DCMAKE_CXX_FLAGS=${flags}
    -DCMAKE_EXPORT_COMPILE_COMMANDS=ON)
run(${CMAKE_COMMAND} --build ${WORK_DIR}/build)

if(NOT EXISTS ${WORK_DIR}/build/libspsync-sink-jsonl.so)
  message(FATAL_ERROR "the sample did not produce libspsync-sink-jsonl.so")
endif()
file(READ ${WORK_DIR}/build/compile_commands.json commands)
string(FIND "${commands}" "${REPO_DIR}/sdk" leak)
if(NOT leak EQUAL -1)
  message(FATAL_ERROR "the sample was compiled against the source tree's SDK:\n${commands}")
endif()
string(FIND "${commands}" "${prefix}/include" used)
if(used EQUAL -1)
  message(FATAL_ERROR "the sample was not compiled against the installed SDK:\n${commands}")
endif()
message(STATUS "vendor sample built in ${WORK_DIR}/build against ${prefix}")
